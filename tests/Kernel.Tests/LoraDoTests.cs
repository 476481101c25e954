using Microsoft.DotNet.Interactive.Events;

namespace LoraNotebooks.Kernel.Tests;

public sealed class LoraDoTests
{
    [Fact]
    public async Task an_unknown_option_is_an_error_that_lists_the_valid_ones()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do sample --adapter a.safetensors --prompt \"a star\" --colour red");
        Assert.Equal("#!lora-do: unknown option '--colour' for '#!lora-do sample'; options: --adapter, --prompt, --strength, --seed, --steps, --guidance", result.Failure());
    }

    [Fact]
    public async Task an_unknown_action_is_an_error_that_lists_the_actions()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do train");
        Assert.Equal("#!lora-do: unknown action 'train'; actions: check, inspect, sample, compare, wait, status, stop, help", result.Failure());
    }

    [Fact]
    public async Task help_lists_every_action_and_the_cell_forms()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do help");
        result.AssertSucceeded();
        var help = result.Events.OfType<DisplayedValueProduced>().Single().Text()!;
        Assert.Contains("#!lora --check", help);
        Assert.Contains("#!lora-do compare --adapter PATH --prompt TEXT", help);
    }

    [Fact]
    public async Task check_reports_a_files_diagnostics_with_its_name()
    {
        using var kernel = await KernelHarness.StartAsync();
        var file = Path.Combine(kernel.Folder, "bad.lora");
        await File.WriteAllTextAsync(file, "train {\n  optimizer adamw2\n}\n");
        var result = await kernel.SubmitAsync($"#!lora-do check \"{file}\"");
        Assert.Contains("bad.lora(2,13): error LORA", result.Failure());
    }

    [Fact]
    public async Task sample_and_compare_draw_grids_and_inspect_shows_the_card_in_a_csharp_cell()
    {
        using var kernel = await KernelHarness.StartAsync();
        (await kernel.SubmitAsync(kernel.TinyScript(steps: 2, name: "magic"))).AssertSucceeded();
        var adapter = Path.Combine(kernel.Folder, "magic.safetensors");

        var sample = await kernel.SubmitAsync($"#!lora-do sample --adapter \"{adapter}\" --prompt \"a red circle\" --steps 2\nvar after = 1;");
        sample.AssertSucceeded();
        Assert.Contains(sample.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("a red circle (seed 1)") == true);

        var compare = await kernel.SubmitAsync($"#!lora-do compare --adapter \"{adapter}\" --prompt \"a zxc star\" --prompt \"a red circle\" --strengths 0,1 --steps 2");
        compare.AssertSucceeded();
        var grid = compare.Events.OfType<DisplayedValueProduced>().Single(e => e.Html()?.Contains("lora-grid") == true).Html()!;
        Assert.Equal(4, grid.Split("data:image/png").Length - 1);
        Assert.Contains("strength 0", grid);

        var inspect = await kernel.SubmitAsync($"#!lora-do inspect \"{adapter}\"");
        inspect.AssertSucceeded();
        Assert.Contains(inspect.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("rank") == true && e.Html()!.Contains("magic.safetensors"));
    }

    [Fact]
    public async Task a_missing_file_is_a_clean_error()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do inspect /nonexistent/x.safetensors");
        Assert.StartsWith("#!lora-do inspect: ", result.Failure());
        Assert.DoesNotContain("   at ", result.Failure());
    }

    [Fact]
    public async Task a_background_run_ends_its_cell_at_once_and_stop_in_another_cell_names_its_checkpoint()
    {
        using var kernel = await KernelHarness.StartAsync();
        var start = await kernel.SubmitAsync(kernel.TinyScript(steps: 5000, name: "background").Replace("#!lora\n", "#!lora --background\n"));
        start.AssertSucceeded();
        Assert.Contains(start.Events.OfType<DisplayedValueProduced>(), e => e.Text()?.Contains("started in the background (5000 steps)") == true);

        var session = Runs.RunSession.Current!;
        while (session.StepsDone < 2) await Task.Delay(20);
        var status = await kernel.SubmitAsync("#!lora-do status");
        Assert.Matches(@"background: running, step \d+/5000", status.Events.OfType<DisplayedValueProduced>().Single().Text());

        var second = await kernel.SubmitAsync(kernel.TinyScript(steps: 2, name: "second"));
        Assert.StartsWith("a run is already in progress (background, step", second.Failure());

        var stop = await kernel.SubmitAsync("#!lora-do stop");
        stop.AssertSucceeded();
        var said = stop.Events.OfType<DisplayedValueProduced>().Single().Text()!;
        var checkpoint = System.Text.RegularExpressions.Regex.Match(said, @"^background: stopped at step (\d+)/5000; the adapter so far is in (.+)$");
        Assert.True(checkpoint.Success, said);
        Assert.True(File.Exists(checkpoint.Groups[2].Value), "the checkpoint named is on disk");
        Assert.True(Lora.LastRun!.Cancelled);

        var after = await kernel.SubmitAsync("#!lora-do stop");
        Assert.StartsWith("no run is in progress; background: stopped at step", after.Events.OfType<DisplayedValueProduced>().Single().Text());
    }

    [Fact]
    public async Task wait_replays_a_background_run_and_shows_it_live_to_the_end()
    {
        using var kernel = await KernelHarness.StartAsync();
        (await kernel.SubmitAsync(kernel.TinyScript(steps: 6, name: "watched").Replace("#!lora\n", "#!lora --background\n"))).AssertSucceeded();

        var wait = await kernel.SubmitAsync("#!lora-do wait");

        wait.AssertSucceeded();
        var live = wait.Events.OfType<DisplayEvent>().Where(e => e.Html()?.Contains("lora-run") == true).ToList();
        Assert.Contains("step 6/6", live[^1].Text());
        Assert.Contains(wait.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("watched.safetensors") == true);
        var status = await kernel.SubmitAsync("#!lora-do status");
        Assert.StartsWith("watched: finished at step 6/6; adapter ", status.Events.OfType<DisplayedValueProduced>().Single().Text());
    }

    [Fact]
    public async Task a_cancel_sent_to_the_notebook_stops_the_run_shown_even_when_nothing_cancels_its_watcher()
    {
        using var kernel = await KernelHarness.StartAsync();
        var earlier = Runs.RunSession.Current;
        // Shown live from C# with a token nothing cancels: only the Cancel command can reach the run.
        var shown = Task.Factory.StartNew(() => Lora.Run(kernel.TinyScript(steps: 5000, name: "shown").Replace("#!lora\n", ""), cancellationToken: CancellationToken.None),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // its own thread: Lora.Run blocks
        while (Runs.RunSession.Current is not { StepsDone: >= 2, IsWatched: true } session || session == earlier) await Task.Delay(20);

        await kernel.Root.SendAsync(new Microsoft.DotNet.Interactive.Commands.Cancel());

        var run = await shown.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(run.Cancelled);
        Assert.True(run.StepsDone < 5000);
    }

    [Fact]
    public async Task after_an_interrupted_cell_status_names_the_checkpoint_the_run_wrote()
    {
        using var kernel = await KernelHarness.StartAsync();
        var earlier = Runs.RunSession.Current;
        var running = kernel.SubmitAsync(kernel.TinyScript(steps: 5000, name: "interrupted"));
        // Interrupt only once this cell's run is training (the session of an earlier test may still be Current).
        while (Runs.RunSession.Current is not { StepsDone: >= 2 } session || session == earlier) await Task.Delay(20);
        await kernel.Root.SendAsync(new Microsoft.DotNet.Interactive.Commands.Cancel());
        Assert.Contains((await running).Events, e => e is CommandFailed);

        var interrupted = Runs.RunSession.Current!;
        var ended = await Task.WhenAny(interrupted.Completion, Task.Delay(TimeSpan.FromSeconds(60))) == interrupted.Completion;
        Assert.True(ended, $"{interrupted.Title} still runs 60 s after the interrupt: step {interrupted.StepsDone}, stop requested {interrupted.StopRequested}");
        var status = await kernel.SubmitAsync("#!lora-do status");
        var text = status.Events.OfType<DisplayedValueProduced>().Single().Text()!;
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^interrupted: stopped at step \d+/5000; last checkpoint (.+)$");
        Assert.True(match.Success, text);
        Assert.True(File.Exists(match.Groups[1].Value));
    }
}
