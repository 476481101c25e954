using System.Diagnostics;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using TorchSharp;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Bench;

/// <summary>
/// The training loops the bench compares, all on one model, one batch size and one thread count: the
/// trainer (<see cref="LoraTrainer"/>, the code behind <c>lora run</c>) and a minimal hand-written loop
/// (fixed batch, <c>model.Loss</c>, backward, AdamW) with a LoRA adapter or with every weight trainable.
/// Each returns the seconds of its steps after the first.
/// </summary>
internal sealed class TrainingBench
{
    private const string AdapterName = "bench";
    private readonly TinyDiffusionModel _model;
    private readonly BenchSettings _settings;
    private readonly string _folder;
    private int _trainerRuns;

    public TrainingBench(TinyDiffusionModel model, BenchSettings settings, string folder)
    {
        _model = model;
        _settings = settings;
        _folder = folder;
        Plan = PlanFor(settings.StepsPerRound);
        var data = TrainingData.Load(Plan, model.Resolution);
        var images = data.Datasets[0].Train.Take(settings.Batch).ToList();
        Images = ImageTensors.FromRgb([.. images.Select(i => i.Rgb)], model.Resolution);
        Captions = [.. images.Select(i => i.Caption)];
    }

    /// <summary>The training plan of the trainer's runs: the main job's shape (world concept, rank, batch, AdamW at 1e-3).</summary>
    public TrainingPlan Plan { get; }

    /// <summary>The minimal loops' fixed batch: the dataset's first images [B, 3, H, W] in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>The captions of <see cref="Images"/>.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>The plan of a <paramref name="steps"/>-step run; <paramref name="extra"/> adds statements to the train block.</summary>
    public TrainingPlan PlanFor(int steps, string extra = "") => Check($$"""
        dataset "stars" {
          world concept "star" count 8
          trigger "zxc star"
        }
        lora {
          rank {{_settings.Rank}}
        }
        train {
          steps {{steps}}
          batch {{_settings.Batch}}
          lr 1e-3
          seed 1
          output "{{Path.Combine(_folder, "trainer.safetensors")}}"
          {{extra}}
        }
        """).Training!;

    /// <summary>A checked plan; the bench's own scripts have no errors.</summary>
    public ScriptPlan Check(string script)
    {
        var path = Path.Combine(_folder, "bench.lora");
        var result = LoraScript.Check(script, path, new CheckContext(WorldCatalog.Instance));
        return result.Plan ?? throw new InvalidOperationException("the bench's script does not check:\n" + result.Render(path));
    }

    /// <summary>One run of the trainer; the seconds between consecutive step events.</summary>
    public List<double> Trainer() => Trainer(Plan, _ => { });

    /// <summary>Runs <paramref name="plan"/> on the bench's model; <paramref name="onEvent"/> sees every event.</summary>
    public List<double> Trainer(TrainingPlan plan, Action<TrainingEvent> onEvent)
    {
        var seconds = new List<double>();
        var clock = new Stopwatch();
        using var lora = new LoraModel(_model.Parts);
        var result = new LoraTrainer(_model, lora, plan).Run(e =>
        {
            if (e is StepEvent)
            {
                if (clock.IsRunning)
                    seconds.Add(clock.Elapsed.TotalSeconds);
                clock.Restart();
            }
            onEvent(e);
        });
        result.Network.Dispose();
        _trainerRuns++;
        return seconds;
    }

    /// <summary>
    /// The minimal loop for <see cref="BenchSettings.StepsPerRound"/> steps: LoRA on the plan's targets
    /// (<paramref name="full"/> false) or every base weight trainable. <paramref name="optimizerBytes"/>:
    /// the size of AdamW's serialised state after the last step.
    /// </summary>
    public List<double> Minimal(bool full, out long optimizerBytes)
    {
        var seconds = new List<double>();
        using var lora = new LoraModel(_model.Parts);
        LoraNetwork? network = null;
        IList<TorchSharp.Modules.Parameter> parameters;
        if (full)
        {
            parameters = [.. _model.parameters()];
            foreach (var p in parameters)
                p.requires_grad = true;
        }
        else
        {
            using var init = new Generator(1);
            network = lora.Add(new LoraNetwork(AdapterName, PlanTargets.Find(_model.Parts, Plan.Lora), PlanTargets.Options(Plan.Lora), init));
            parameters = [.. network.parameters()];
        }
        var snapshot = full ? Snapshot() : null;
        try
        {
            using var optimizer = optim.AdamW(parameters, lr: 1e-3);
            using var noise = new Generator(2);
            _model.train();
            for (var step = 0; step < _settings.StepsPerRound; step++)
            {
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    OneDnn.Backward(_model.Loss(Images, Captions, noise));
                    optimizer.step();
                }
                if (step > 0)
                    seconds.Add(clock.Elapsed.TotalSeconds);
            }
            using var state = new MemoryStream();
            using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
                optimizer.save_state_dict(writer);
            optimizerBytes = state.Length;
        }
        finally
        {
            _model.eval();
            if (snapshot is not null)
                Restore(snapshot);
            network?.Dispose();
        }
        return seconds;
    }

    /// <summary>A copy of every base weight, so full fine-tuning leaves the model as it found it.</summary>
    private Dictionary<string, Tensor> Snapshot()
    {
        using var _ = no_grad();
        return _model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
    }

    private void Restore(Dictionary<string, Tensor> snapshot)
    {
        using (no_grad())
        {
            foreach (var (name, parameter) in _model.named_parameters())
            {
                parameter.copy_(snapshot[name]);
                parameter.requires_grad = false;
            }
        }
        foreach (var tensor in snapshot.Values)
            tensor.Dispose();
    }
}
