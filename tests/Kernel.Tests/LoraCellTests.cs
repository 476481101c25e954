using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace LoraNotebooks.Kernel.Tests;

public sealed class LoraCellTests
{
    [Fact]
    public async Task a_lora_cell_trains_in_one_display_updated_in_place_then_shows_the_adapter_card()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync(kernel.TinyScript(steps: 6));

        result.AssertSucceeded();
        var live = result.Events.OfType<DisplayedValueProduced>().Single(e => e.Html()?.Contains("class=\"lora-run\"") == true);
        var updates = result.Events.OfType<DisplayedValueUpdated>().Where(e => e.ValueId == live.ValueId).ToList();
        Assert.NotEmpty(updates);
        var last = updates[^1].Html()!;
        Assert.Contains("step 6/6", last);
        Assert.Contains("<svg", last);                       // the static loss chart
        Assert.Contains("Plotly.newPlot", last);             // the interactive one
        Assert.Contains("class=\"lora-grid\"", last);        // the latest preview grid
        Assert.Contains("data:image/png;base64,", last);
        Assert.Contains("finished 6 steps", last);
        Assert.Contains("step 6/6", updates[^1].Text());

        var card = result.Events.OfType<DisplayedValueProduced>().Single(e => e.Html()?.Contains("class=\"lora-card\"") == true).Html()!;
        Assert.Contains("trainable params", card);
        Assert.Contains("zxc star", card);
        Assert.Contains("of the base model", card);

        var run = Lora.LastRun!;
        Assert.False(run.Cancelled);
        Assert.Equal(6, run.StepsDone);
        Assert.True(File.Exists(run.AdapterPath));
        Assert.Equal(2, run.Grids.Count);                    // steps 3 and 6
        Assert.Equal(["strength 0", "strength 1"], run.Grids[0].ColumnLabels);
    }

    [Fact]
    public async Task a_run_that_evaluates_shows_its_judged_scores_under_the_closing_line()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync(kernel.TinyScript(steps: 2, name: "scored") + "\nevaluate samples 1");

        result.AssertSucceeded();
        var live = result.Events.OfType<DisplayedValueProduced>().Single(e => e.Html()?.Contains("class=\"lora-run\"") == true);
        var last = result.Events.OfType<DisplayedValueUpdated>().Last(e => e.ValueId == live.ValueId);
        var metrics = Lora.LastRun!.Metrics!;
        Assert.NotNull(metrics.Fidelity);
        Assert.Contains("class=\"lora-scores\"", last.Html());
        Assert.Contains($"fidelity {metrics.Fidelity:0%}", last.Text());
        Assert.Contains("leakage ", last.Text());
        Assert.Contains("train loss ", last.Text());
    }

    [Fact]
    public async Task a_lora_cell_with_an_error_fails_with_the_diagnostic_and_a_zero_based_span()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora\ntrain {\n  optimizer adamw2\n}");

        // Cell coordinates: the #!lora line is line 1 of the cell, so the error sits on line 3 (index 2).
        Assert.Contains("(3,13): error LORA", result.Failure());
        Assert.Contains("did you mean 'adamw'", result.Failure());
        var diagnostic = result.Events.OfType<DiagnosticsProduced>().SelectMany(d => d.Diagnostics).First(d => d.Message.Contains("adamw2"));
        Assert.Equal(new LinePositionSpan(new LinePosition(2, 12), new LinePosition(2, 18)), diagnostic.LinePositionSpan);
    }

    [Fact]
    public async Task the_check_option_shows_the_preflight_summary_without_training()
    {
        using var kernel = await KernelHarness.StartAsync();
        var before = Lora.Runs.Count;
        var result = await kernel.SubmitAsync(kernel.TinyScript(steps: 6).Replace("#!lora", "#!lora --check"));

        result.AssertSucceeded();
        Assert.Contains(result.Events.OfType<DisplayedValueProduced>(), e => e.Text()?.Contains("pre-flight") == true);
        Assert.Contains(result.Events.OfType<DisplayedValueProduced>(), e => e.Text()?.Contains("peak memory: ~") == true && e.Text()!.Contains("(estimate)"));
        Assert.DoesNotContain(result.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("lora-run") == true);
        Assert.Equal(before, Lora.Runs.Count);
    }

    [Fact]
    public async Task an_unknown_selector_option_is_rejected_by_the_host()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora --chek\nrank 4");
        Assert.Contains("--chek", result.Failure());
    }

    [Fact]
    public async Task diagnostics_requests_are_answered_with_zero_based_spans()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.Root.SendAsync(new RequestDiagnostics("train {\n  optimizer adamw2\n}", targetKernelName: "lora"));

        var diagnostic = result.Events.OfType<DiagnosticsProduced>().SelectMany(d => d.Diagnostics).First(d => d.Message.Contains("adamw2"));
        Assert.Equal(new LinePositionSpan(new LinePosition(1, 12), new LinePosition(1, 18)), diagnostic.LinePositionSpan);
    }

    [Fact]
    public async Task completions_offer_keywords_of_the_block_and_values_after_a_keyword()
    {
        using var kernel = await KernelHarness.StartAsync();
        var inTrain = await kernel.Root.SendAsync(new RequestCompletions("train {\n  opt\n}", new LinePosition(1, 5), targetKernelName: "lora"));
        var produced = inTrain.Events.OfType<CompletionsProduced>().Single();
        Assert.Contains(produced.Completions, c => c.DisplayText == "optimizer");
        Assert.Equal(new LinePositionSpan(new LinePosition(1, 2), new LinePosition(1, 5)), produced.LinePositionSpan);

        var values = await kernel.Root.SendAsync(new RequestCompletions("train {\n  optimizer \n}", new LinePosition(1, 12), targetKernelName: "lora"));
        Assert.Contains(values.Events.OfType<CompletionsProduced>().Single().Completions, c => c.DisplayText == "adamw");
    }

    [Fact]
    public async Task cancel_stops_a_training_within_a_step_saves_the_adapter_so_far_and_the_kernel_stays_usable()
    {
        using var kernel = await KernelHarness.StartAsync();
        var stepsSeen = new TaskCompletionSource();
        using var _ = kernel.Root.KernelEvents.Subscribe(e =>
        {
            // Updates are throttled, so any step past the first will do.
            if (e is DisplayedValueUpdated u && System.Text.RegularExpressions.Regex.Match(u.Text() ?? "", @"step (\d+)/5000") is { Success: true } m
                && int.Parse(m.Groups[1].Value) >= 2)
                stepsSeen.TrySetResult();
        });
        var running = kernel.SubmitAsync(kernel.TinyScript(steps: 5000, name: "long"));
        await stepsSeen.Task.WaitAsync(TimeSpan.FromSeconds(120));
        var cancelledAt = DateTime.UtcNow;
        await kernel.Root.SendAsync(new Cancel());
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(result.Events, e => e is CommandFailed);

        // The host ends the cell at once; the training thread stops at its next step check.
        LoraRun? run = null;
        while (run is null && DateTime.UtcNow - cancelledAt < TimeSpan.FromSeconds(60))
        {
            run = Lora.Runs.LastOrDefault(r => r.TotalSteps == 5000 && r.CheckpointPath?.StartsWith(kernel.Folder, StringComparison.Ordinal) == true);
            await Task.Delay(20);
        }
        var session = Runs.RunSession.Current;
        Assert.True(run is not null, $"no stopped run recorded 60 s after the interrupt; the session: {session?.Title}, step {session?.StepsDone}, " +
            $"stop requested {session?.StopRequested}, running {session?.IsRunning}");
        Assert.True(run.Cancelled);
        Assert.True(run.StepsDone < 5000);
        Assert.True(File.Exists(run.CheckpointPath), "the adapter so far is saved");

        var next = await kernel.SubmitAsync("1 + 1");
        next.AssertSucceeded();
    }

    [Fact]
    public async Task csharp_cells_see_the_last_run_and_can_run_scripts_through_the_api()
    {
        using var kernel = await KernelHarness.StartAsync();
        var script = kernel.TinyScript(steps: 3, name: "from-csharp").Replace("#!lora\n", "").Replace("\"", "\"\"");
        var result = await kernel.SubmitAsync($"var run = Lora.Run(@\"{script}\");\nrun.StepsDone + \":\" + (Lora.LastRun == run)");

        result.AssertSucceeded();
        Assert.Contains(result.Events.OfType<ReturnValueProduced>(), e => e.Text() == "3:True");
        Assert.Contains(result.Events.OfType<DisplayedValueUpdated>(), e => e.Text()?.Contains("step 3/3") == true);
    }
}
