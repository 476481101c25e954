using System.Diagnostics;
using LoraNotebooks.Kernel.Display;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Html = LoraNotebooks.Kernel.Display.Html;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>
/// Shows a run in ONE output that is updated in place (Jupyter's <c>update_display_data</c>): progress,
/// loss chart, latest preview grid. Step updates are throttled; grids, validation points and the end
/// always update. Grids asked for by the script and adapter cards become outputs of their own.
/// </summary>
/// <remarks>
/// Rendering runs on the watching cell's flow (<see cref="Runs.RunSession"/>), beside the training thread,
/// and competes with it for the CPU. Step updates are therefore spaced by at least <see cref="Throttle"/>
/// and at least the last update's own duration divided by <see cref="RenderShare"/>, but never by more than
/// <see cref="MaxGap"/>: on a slow or busy machine updates come less often instead of slowing training down
/// (measured by <c>lora bench</c>'s <c>live_overhead</c>, docs/benchmarks.md), and the display never goes
/// stale for long (a cold first render once made the next update wait two minutes).
/// </remarks>
internal sealed class LiveRunDisplay(KernelInvocationContext context) : IRunObserver
{
    /// <summary>The shortest time between two step updates.</summary>
    public static TimeSpan Throttle { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest share of the run's time that throttled step updates may spend rendering.</summary>
    public const double RenderShare = 0.02;

    /// <summary>The longest time between two step updates, however slow rendering was.</summary>
    public static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(5);

    private readonly RunView view = new();
    private readonly Stopwatch sinceUpdate = new();
    private TimeSpan lastRender;
    private DisplayedValue? shown;

    /// <summary>How many times the live output was replaced (for tests and timing).</summary>
    public int Updates { get; private set; }

    public void Started(string title, int totalSteps)
    {
        view.Start("training " + title, totalSteps);
        Refresh(force: true);
    }

    public void Step(StepPoint step)
    {
        view.Add(step);
        Refresh(force: step.Step == step.TotalSteps);
    }

    public void Validation(ValidationPoint point)
    {
        view.Add(point);
        Refresh(force: true);
    }

    public void SampleGrid(SampleGrid grid, bool preview)
    {
        if (!preview)
        {
            context.Display(grid, HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
            return;
        }
        view.Show(grid);
        Refresh(force: true);
    }

    public void Checkpoint(int step, string path)
    {
        view.Warn($"checkpoint at step {step}: {path}");
        Refresh(force: true);
    }

    public void Warning(string message)
    {
        view.Warn(message);
        if (shown is not null) Refresh(force: true);
        else context.DisplayAs("warning: " + message, PlainTextFormatter.MimeType);
    }

    public void Finished(LoraRun run)
    {
        var scores = Html.Scores(run.Metrics);
        if (shown is not null)
        {
            view.Close(run.Cancelled
                ? $"interrupted at step {run.StepsDone}/{run.TotalSteps} after {Html.Duration(run.Duration)}" +
                  (run.CheckpointPath is null ? "" : $"; the adapter so far is in {run.CheckpointPath}")
                : $"finished {run.StepsDone} steps in {Html.Duration(run.Duration)}", scores);
            Refresh(force: true);
        }
        else if (scores is not null)
        {
            context.DisplayAs(scores, PlainTextFormatter.MimeType); // a script that only evaluates has no live display
        }
        foreach (var card in run.Cards) context.Display(card, HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
    }

    private void Refresh(bool force)
    {
        if (shown is null)
        {
            if (PlotlyJs.TakeOnce() is { } loader) context.DisplayAs(loader, HtmlFormatter.MimeType);
            shown = context.Display(view, HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
            sinceUpdate.Restart();
            return;
        }
        var spacing = TimeSpan.FromTicks(Math.Min((lastRender / RenderShare).Ticks, MaxGap.Ticks));
        if (!force && (sinceUpdate.Elapsed < Throttle || sinceUpdate.Elapsed < spacing)) return;
        var render = Stopwatch.StartNew();
        shown.Update(view);
        lastRender = render.Elapsed;
        Updates++;
        sinceUpdate.Restart();
    }
}
