using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Training;

/// <summary>
/// What samples after training (a <c>grid</c>, an <c>evaluate</c>, <c>lora eval</c>) stops within one
/// denoising step of a cancellation, as training stops within one training step.
/// </summary>
public sealed class SamplingCancellationTests : IDisposable
{
    private readonly TrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    /// <summary>Counts the denoiser's forward passes (one a denoising step with guidance) and runs <paramref name="onPass"/> after each.</summary>
    private IDisposable CountPasses(Action<int> onPass)
    {
        var convIn = (Conv2d)_setup.Model.UNet.named_modules().Single(m => m.name == "conv_in").module;
        var passes = 0;
        var hook = convIn.register_forward_hook((_, _, output) =>
        {
            onPass(++passes);
            return output;
        });
        return new Removal(hook.remove);
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    [Fact]
    public void sampling_stops_before_the_next_denoising_step_once_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var passes = 0;
        using (CountPasses(n => { passes = n; if (n == 3) cancel.Cancel(); }))
            Assert.ThrowsAny<OperationCanceledException>(() =>
                _setup.Model.Sample(["a red circle", "a blue square"], [1, 2], steps: 20, guidance: 3, cancellationToken: cancel.Token));
        Assert.Equal(3, passes);
    }

    [Fact]
    public void a_cancelled_grid_writes_no_picture()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var grid = Path.Combine(_setup.Root, "grid.png");
        Assert.ThrowsAny<OperationCanceledException>(() => PreviewGrid.Draw(_setup.Model, [], [new SamplePrompt("a red circle", null, 1, 20, null)],
            [0.0], Sampler.Ddim, grid, null, cancel.Token));
        Assert.False(File.Exists(grid));
        Assert.False(Directory.Exists(Path.ChangeExtension(grid, null)));
    }

    [Fact]
    public void a_world_evaluation_cancelled_before_it_starts_samples_nothing()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var passes = 0;
        using (CountPasses(n => passes = n))
            Assert.ThrowsAny<OperationCanceledException>(() =>
                WorldEvaluation.Default().Evaluate(_setup.Model, [], null, new EvaluateAction(Samples: 64, Seed: 1), cancel.Token));
        Assert.Equal(0, passes);
    }

    [Fact]
    public void a_cancellation_during_an_evaluate_action_ends_the_run_without_finishing_it()
    {
        _setup.Model.SaveWeights(Path.Combine(_setup.Root, "base.safetensors"));
        var plan = _setup.Plan("base \"base.safetensors\"\n" + TrainingSetup.Script(train: "steps 2", extra: "evaluate samples 64"));
        using var cancel = new CancellationTokenSource();
        var evaluator = new CancelledWhileScoring(cancel);
        var events = new List<TrainingEvent>();

        Assert.ThrowsAny<OperationCanceledException>(() => PlanRunner.Run(plan, events.Add, cancel.Token, evaluator));

        Assert.True(evaluator.Called);
        Assert.Contains(events, e => e is StepEvent { Step: 2 });
        Assert.DoesNotContain(events, e => e is EvaluationEvent or FinishedEvent);
        Assert.True(File.Exists(Path.Combine(_setup.Root, "out", "adapter.safetensors")), "the trained adapter is kept");
    }

    /// <summary>Ctrl+C arrives once scoring has begun: the evaluator must pass the run's token on to its sampling.</summary>
    private sealed class CancelledWhileScoring(CancellationTokenSource cancel) : IAdapterEvaluator
    {
        public bool Called { get; private set; }

        public EvaluationMetrics Evaluate(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters, TrainingPlan? training,
            EvaluateAction action, CancellationToken cancellationToken = default)
        {
            Called = true;
            cancel.Cancel();
            using var images = model.Sample([.. Enumerable.Repeat("a red circle", action.Samples)], [.. Enumerable.Range(1, action.Samples).Select(i => (long)i)],
                cancellationToken: cancellationToken);
            return new EvaluationMetrics(PromptFollowing: 1);
        }
    }
}
