using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Tests.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Training;

/// <summary>A temporary folder with a tiny image dataset, scripts checked into plans, and runs on the tiny model.</summary>
public sealed class TrainingSetup : IDisposable
{
    static TrainingSetup()
    {
        TorchNativeLoader.EnsureLoadable();
        TorchThreads.Apply();
    }

    public TrainingSetup(int images = 4)
    {
        Root = Directory.CreateTempSubdirectory("training-tests-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(Root, "data")).FullName;
        var world = new StandInWorld(8);
        for (var i = 0; i < images; i++)
        {
            var example = world.Get(i);
            RgbImage.WritePng(Path.Combine(data, $"img-{i}.png"), example.Rgb, 8);
            File.WriteAllText(Path.Combine(data, $"img-{i}.txt"), example.Caption);
        }
        manual_seed(11);
        Model = new TinyDiffusionModel(TinyConfigs.Tiny);
    }

    public string Root { get; }

    public string Data => Path.Combine(Root, "data");

    /// <summary>One base model shared by the runs of a test, so they differ only in what the trainer does.</summary>
    public TinyDiffusionModel Model { get; }

    /// <summary>A training script over the folder dataset; <paramref name="train"/> and <paramref name="extra"/> add statements.</summary>
    public static string Script(string train = "", string dataset = "", string lora = "", string extra = "") => $$"""
        dataset "squares" {
          folder "data"
          trigger "zq"
          {{dataset}}
        }
        lora {
          rank 2
          {{lora}}
        }
        train {
          batch 2
          lr 1e-3
          seed 3
          output "out/adapter.safetensors"
          {{train}}
        }
        {{extra}}
        """;

    /// <summary>The plan of <paramref name="script"/>, which must check without errors.</summary>
    public ScriptPlan Plan(string script)
    {
        var path = Path.Combine(Root, "script.lora");
        var result = LoraScript.Check(script, path, new CheckContext(WorldCatalog.Instance));
        Assert.False(result.HasErrors, result.Render(path));
        return result.Plan!;
    }

    /// <summary>Trains <paramref name="plan"/> on the shared tiny model; returns the adapter's bytes and the events.</summary>
    public (byte[] Adapter, List<TrainingEvent> Events) Train(TrainingPlan plan, CancellationToken cancel = default, Action<TrainingEvent>? also = null)
    {
        var events = new List<TrainingEvent>();
        using var lora = new LoraModel(Model.Parts);
        var result = new LoraTrainer(Model, lora, plan).Run(e => { events.Add(e); also?.Invoke(e); }, cancel);
        return (File.ReadAllBytes(result.AdapterPath), events);
    }

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
