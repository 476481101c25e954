using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Tests.Training;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Engine.Tests.Native;

/// <summary>oneDNN's switch is the process's: these tests run with no other test beside them.</summary>
[CollectionDefinition(nameof(OneDnnSwitch), DisableParallelization = true)]
public sealed class OneDnnSwitch;

[Collection(nameof(OneDnnSwitch))]
public sealed class OneDnnTests : IDisposable
{
    private readonly TrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    [Fact]
    public void onednn_is_off_while_any_gradient_scope_is_open_and_back_on_after_the_last()
    {
        OneDnn.Apply();
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(OneDnn.Variable) is "0" or "1")
            return; // libtorch's switch is looked up by its Linux name; the variable overrides the scopes
        Assert.True(OneDnn.Enabled, "sampling keeps oneDNN");

        var outer = OneDnn.ForGradients();
        var inner = OneDnn.ForGradients();
        Assert.False(OneDnn.Enabled);
        inner.Dispose();
        inner.Dispose(); // a scope counts once
        Assert.False(OneDnn.Enabled);
        outer.Dispose();
        Assert.True(OneDnn.Enabled);
    }

    [Fact]
    public void forty_short_runs_of_the_tiny_model_never_go_nan()
    {
        // With oneDNN's convolution gradients, about 1 such run in 30 went NaN at an early step on a Zen 5 CPU (OneDnn).
        var plan = _setup.Plan(TrainingSetup.Script("steps 3\noverwrite", lora: "targets [attention, conv]")).Training!;
        for (var run = 0; run < 40; run++)
        {
            var (_, events) = _setup.Train(plan with { Train = plan.Train with { Seed = run } });
            Assert.All(events.OfType<StepEvent>(), e => Assert.True(double.IsFinite(e.Loss), $"run {run}, step {e.Step}: loss {e.Loss}"));
        }
    }
}
