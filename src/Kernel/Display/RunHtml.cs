using System.Text;
using LoraNotebooks.Kernel.Runs;

namespace LoraNotebooks.Kernel.Display;

/// <summary>A finished <see cref="LoraRun"/> as shown from a C# cell: a summary line, the loss chart, the cards and the last grid.</summary>
public static class RunHtml
{
    /// <summary>The run as HTML.</summary>
    public static string Render(LoraRun run)
    {
        var html = new StringBuilder($"<div class=\"lora-result\"><div><code>{Html.Encode(Summary(run))}</code></div>");
        if (run.Steps.Count > 0) html.Append(LossChart.Render(run.Steps, run.Validation));
        foreach (var card in run.Cards) html.Append(CardHtml.Render(card));
        if (run.Grids.Count > 0) html.Append(GridHtml.Render(run.Grids[^1]));
        return html.Append("</div>").ToString();
    }

    /// <summary>The run as one line of text.</summary>
    public static string RenderText(LoraRun run) => Summary(run);

    private static string Summary(LoraRun run) =>
        $"{(run.Cancelled ? "interrupted" : "finished")}: {run.StepsDone}/{run.TotalSteps} steps in {Html.Duration(run.Duration)}" +
        (run.FinalLoss is { } loss ? $", final loss {Html.Num(loss)}" : "") +
        (run.AdapterPath is { } path ? $", adapter {path}" : "") +
        (run.CheckpointPath is { } checkpoint ? $", checkpoint {checkpoint}" : "") +
        $", {run.Grids.Count} grid(s)" +
        (Html.Scores(run.Metrics) is { } scores ? $"; {scores}" : "");
}
