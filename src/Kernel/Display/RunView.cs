using System.Text;
using LoraNotebooks.Kernel.Runs;

namespace LoraNotebooks.Kernel.Display;

/// <summary>
/// What the live output of a run shows at one moment: the progress line, the loss chart and the latest
/// preview grid, plus warnings and the final status. The live display re-renders it in place.
/// </summary>
public sealed class RunView
{
    private readonly List<StepPoint> steps = [];
    private readonly List<ValidationPoint> validation = [];
    private readonly List<string> warnings = [];
    private readonly Lock gate = new();

    /// <summary>What is being trained.</summary>
    public string Title { get; private set; } = "";

    /// <summary>Steps planned.</summary>
    public int TotalSteps { get; private set; }

    /// <summary>The latest preview grid, or null.</summary>
    public SampleGrid? LatestGrid { get; private set; }

    /// <summary>The closing line (finished, interrupted, checkpoint written), or null while running.</summary>
    public string? Status { get; private set; }

    /// <summary>The run's scores (losses, and the judge's shares when it evaluated), or null.</summary>
    public string? Scores { get; private set; }

    /// <summary>Starts a run.</summary>
    public void Start(string title, int totalSteps) { lock (gate) { Title = title; TotalSteps = totalSteps; } }

    /// <summary>Adds a step.</summary>
    public void Add(StepPoint step) { lock (gate) steps.Add(step); }

    /// <summary>Adds a validation point.</summary>
    public void Add(ValidationPoint point) { lock (gate) validation.Add(point); }

    /// <summary>Adds a warning.</summary>
    public void Warn(string message) { lock (gate) warnings.Add(message); }

    /// <summary>Shows <paramref name="grid"/> as the latest preview.</summary>
    public void Show(SampleGrid grid) { lock (gate) LatestGrid = grid; }

    /// <summary>Sets the closing line, and the scores line under it.</summary>
    public void Close(string status, string? scores = null) { lock (gate) { Status = status; Scores = scores; } }

    /// <summary>The progress line: step/total, loss, smoothed loss, learning rate, speed, ETA.</summary>
    public string ProgressLine()
    {
        lock (gate)
        {
            if (steps.Count == 0) return TotalSteps > 0 ? $"{Title}: starting ({TotalSteps} steps)" : Title;
            var s = steps[^1];
            return $"{Title}: step {s.Step}/{s.TotalSteps} · loss {Html.Num(s.Loss)} (smoothed {Html.Num(s.SmoothedLoss)}) · lr {Html.Num(s.LearningRate, "0.###e+0")} · {Html.Num(s.ImagesPerSecond, "0.0")} img/s · ETA {Html.Duration(s.Eta)}";
        }
    }

    /// <summary>Everything as HTML.</summary>
    public string ToHtml()
    {
        lock (gate)
        {
            var html = new StringBuilder("<div class=\"lora-run\">");
            var done = steps.Count == 0 ? 0 : steps[^1].Step;
            html.Append($"<div><progress max=\"{Math.Max(1, TotalSteps)}\" value=\"{done}\" style=\"width:20em\"></progress> <code>{Html.Encode(ProgressLine())}</code></div>");
            foreach (var warning in warnings) html.Append($"<div style=\"color:#a15c00\">warning: {Html.Encode(warning)}</div>");
            if (steps.Count > 0) html.Append(LossChart.Render(steps, validation));
            if (LatestGrid is { } grid) html.Append(GridHtml.Render(grid));
            if (Status is { } status) html.Append($"<div><b>{Html.Encode(status)}</b></div>");
            if (Scores is { } scores) html.Append($"<div class=\"lora-scores\"><code>{Html.Encode(scores)}</code></div>");
            return html.Append("</div>").ToString();
        }
    }

    /// <summary>The progress line, warnings and status as plain text.</summary>
    public string ToText()
    {
        lock (gate)
        {
            var lines = new List<string> { ProgressLine() };
            lines.AddRange(warnings.Select(w => "warning: " + w));
            if (validation.Count > 0) lines.Add($"validation loss {Html.Num(validation[^1].Loss)} at step {validation[^1].Step}");
            if (LatestGrid is { } grid) lines.Add(GridHtml.RenderText(grid));
            if (Status is not null) lines.Add(Status);
            if (Scores is not null) lines.Add(Scores);
            return string.Join("\n", lines);
        }
    }
}
