using System.Diagnostics;
using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.Training;

/// <summary>The engine's pre-flight estimates against what a run really does.</summary>
public sealed class PreflightEstimatorTests : IDisposable
{
    private readonly TrainingSetup _setup = new();
    private readonly string _cache;

    public PreflightEstimatorTests()
    {
        _setup.Model.SaveWeights(Path.Combine(_setup.Root, "base.safetensors"));
        _cache = Path.Combine(_setup.Root, "calibration");
    }

    private CheckResult Check(string script, PreflightEstimator estimator)
    {
        var path = Path.Combine(_setup.Root, "script.lora");
        var result = LoraScript.Check(script, path, new CheckContext(WorldCatalog.Instance, estimator));
        Assert.False(result.HasErrors, result.Render(path));
        Assert.Null(result.Summary?.EstimateProblem);
        return result;
    }

    [Theory]
    [InlineData("")]
    [InlineData("targets [attention, conv, text_encoder]\n  target \"**.to_q\" rank 4\n  rslora")]
    public void the_estimated_parameters_and_file_bytes_equal_those_of_a_real_run(string lora)
    {
        var script = "base \"base.safetensors\"\n" + TrainingSetup.Script(train: "steps 2", lora: lora);
        var estimate = Check(script, new PreflightEstimator(_cache)).Summary!.Estimate!;

        var plan = Check(script, new PreflightEstimator(null)).Plan!;
        using var model = PlanRunner.LoadBase(plan.Base, _ => { });
        using var adapters = new LoraModel(model.Parts);
        var result = new LoraTrainer(model, adapters, plan.Training!).Run();

        Assert.Equal(result.Network.parameters().Sum(p => p.numel()), estimate.TrainableParameters);
        Assert.Equal(new FileInfo(result.AdapterPath).Length, estimate.AdapterFileBytes);
    }

    [Fact]
    public void the_summary_labels_estimates_and_a_second_check_reads_the_cached_calibration_quickly()
    {
        var script = "base \"base.safetensors\"\n" + TrainingSetup.Script(train: "steps 40");
        var estimator = new PreflightEstimator(_cache);
        var clock = Stopwatch.StartNew();
        var first = Check(script, estimator);
        var calibrating = clock.Elapsed;
        clock.Restart();
        var second = Check(script, estimator);
        var cached = clock.Elapsed;
        Console.WriteLine($"check with calibration: {calibrating.TotalMilliseconds:F0} ms; from the cache: {cached.TotalMilliseconds:F0} ms");

        var text = PreflightRenderer.Render(second.Summary!);
        Assert.Contains("trainable parameters: ~", text);
        Assert.Contains("peak memory: ~", text);
        Assert.Contains("(estimate)", text);
        Assert.Contains("calibrated on this machine", text);
        Assert.DoesNotContain("cached", PreflightRenderer.Render(first.Summary!));
        Assert.Contains("cached", text);
        Assert.Equal(first.Summary!.Estimate!.PeakMemoryBytes, second.Summary!.Estimate!.PeakMemoryBytes);
        Assert.InRange(second.Summary.Estimate.PeakMemoryBytes, 50L << 20, 64L << 30);
        Assert.True(second.Summary.Estimate.Duration > TimeSpan.Zero);
        Assert.True(cached < TimeSpan.FromSeconds(2), $"a cached check took {cached.TotalMilliseconds:F0} ms");
        Assert.True(calibrating < TimeSpan.FromSeconds(30), $"a calibrating check of the tiny model took {calibrating.TotalSeconds:F1} s");
    }

    [Fact]
    public void the_estimate_says_its_time_leaves_out_the_preserved_pictures_the_base_draws_first()
    {
        var script = "base \"base.safetensors\"\n" + TrainingSetup.Script(train: "steps 2", extra: "dataset \"kept\" {\n  folder \"data\"\n  preserve drawn_by base\n}");

        var basis = Check(script, new PreflightEstimator(_cache)).Summary!.Estimate!.Basis;

        Assert.EndsWith("without previews or validation, nor the 4 preserved pictures the base draws first", basis);
        Assert.EndsWith("without previews or validation", Check(script.Replace(" drawn_by base", ""), new PreflightEstimator(_cache)).Summary!.Estimate!.Basis);
    }

    [Fact]
    public void a_base_the_estimator_cannot_read_shows_why_instead_of_numbers()
    {
        File.WriteAllBytes(Path.Combine(_setup.Root, "broken.safetensors"), [1, 2, 3]);
        var result = LoraScript.Check("base \"broken.safetensors\"\n" + TrainingSetup.Script(train: "steps 2"), Path.Combine(_setup.Root, "script.lora"),
            new CheckContext(WorldCatalog.Instance, new PreflightEstimator(_cache)));
        Assert.Null(result.Summary!.Estimate);
        Assert.Contains("not estimated (file is 3 bytes long", PreflightRenderer.Render(result.Summary));
    }

    [Fact]
    public async Task while_a_plan_runs_in_the_process_checking_does_not_estimate_and_says_why()
    {
        // The estimate builds on the meta device, and TorchSharp's default device is process-wide: a run
        // in progress would make some of its tensors there (a notebook checks cells while a run trains).
        var script = "base \"base.safetensors\"\n" + TrainingSetup.Script(train: "steps 5000");
        var plan = Check(script, new PreflightEstimator(null)).Plan!;
        using var stop = new CancellationTokenSource();
        var training = new TaskCompletionSource();
        var run = Task.Run(() => PlanRunner.Run(plan, e => { if (e is StepEvent) training.TrySetResult(); }, stop.Token));
        try
        {
            await training.Task.WaitAsync(TimeSpan.FromSeconds(120));
            var during = LoraScript.Check(script, Path.Combine(_setup.Root, "script.lora"), new CheckContext(WorldCatalog.Instance, new PreflightEstimator(_cache)));
            Assert.Null(during.Summary!.Estimate);
            Assert.Contains("not estimated (a run is in progress in this process", PreflightRenderer.Render(during.Summary));
        }
        finally
        {
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }
        Assert.False(PlanRunner.IsRunning);
        Assert.NotNull(Check(script, new PreflightEstimator(_cache)).Summary!.Estimate);
    }

    public void Dispose() => _setup.Dispose();
}
