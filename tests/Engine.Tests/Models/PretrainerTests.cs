using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Models;

public sealed class PretrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pretrainer-tests-").FullName;

    static PretrainerTests() => TorchNativeLoader.EnsureLoadable();

    private static readonly PretrainerOptions Options = new() { BatchSize = 4, WarmupSteps = 2, CheckpointEvery = 2, EmaDecay = 0.9, Seed = 3 };

    private Pretrainer Start(string name) => new(TinyConfigs.Tiny, new StandInWorld(8), Options, Path.Combine(_root, name));

    private static List<Tensor> Weights(TinyDiffusionModel model) => model.parameters().Select(p => p.detach().clone()).ToList();

    [Fact]
    public void a_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        List<Tensor> straight, straightEma;
        using (var run = Start("straight"))
        {
            run.Run(4);
            (straight, straightEma) = (Weights(run.Model), Weights(run.Ema!));
        }

        using (var first = Start("resumed"))
            first.Run(3);
        using var second = Start("resumed");
        Assert.Equal(3, second.Step);
        second.Run(4);

        Assert.All(straight.Zip(Weights(second.Model)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
        Assert.All(straightEma.Zip(Weights(second.Ema!)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void an_unfinished_checkpoint_is_ignored_and_only_the_newest_are_kept()
    {
        using (var run = Start("run"))
        {
            run.Run(6);
            Assert.EndsWith("step-000006", run.LatestCheckpoint);
        }
        var directory = Path.Combine(_root, "run");
        Directory.CreateDirectory(Path.Combine(directory, "step-000008.partial"));
        Assert.Equal(["step-000004", "step-000006", "step-000008.partial"],
            Directory.GetDirectories(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var resumed = Start("run");
        Assert.Equal(6, resumed.Step);
        using var saved = Pretrainer.LoadModel(resumed.LatestCheckpoint!);
        Assert.All(Weights(resumed.Ema!).Zip(Weights(saved)), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Fact]
    public void training_steps_report_a_finite_loss_and_warm_up_the_learning_rate()
    {
        using var run = Start("progress");
        var reports = new List<PretrainProgress>();
        run.Run(2, reports.Add);
        Assert.Equal([1L, 2L], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.True(float.IsFinite(r.Loss)));
        Assert.Equal([Options.LearningRate / 2, Options.LearningRate], reports.Select(r => r.LearningRate));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
