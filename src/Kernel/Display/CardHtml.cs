using System.Text;
using LoraNotebooks.Kernel.Runs;

namespace LoraNotebooks.Kernel.Display;

/// <summary>An <see cref="AdapterCard"/> as a two-column HTML table, metadata folded away.</summary>
public static class CardHtml
{
    /// <summary>The card.</summary>
    public static string Render(AdapterCard card)
    {
        var html = new StringBuilder("<table class=\"lora-card\" style=\"border-collapse:collapse\">");
        html.Append($"<caption style=\"text-align:left;font-weight:bold\">adapter {Html.Encode(Path.GetFileName(card.Report.Path))}</caption>");
        foreach (var (name, value) in Rows(card))
            html.Append($"<tr><th style=\"text-align:left;padding:2px 8px\">{Html.Encode(name)}</th><td style=\"text-align:left;padding:2px 8px\">{Html.Encode(value)}</td></tr>");
        html.Append("</table>");
        if (card.Report.Metadata.Count > 0)
        {
            html.Append($"<details><summary>metadata ({card.Report.Metadata.Count} entries)</summary><table style=\"border-collapse:collapse\">");
            foreach (var (key, value) in card.Report.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                html.Append($"<tr><td style=\"text-align:left;padding:1px 8px\"><code>{Html.Encode(key)}</code></td><td style=\"text-align:left;padding:1px 8px\">{Html.Encode(Shorten(value))}</td></tr>");
            html.Append("</table></details>");
        }
        return html.ToString();
    }

    /// <summary>The card as aligned text lines.</summary>
    public static string RenderText(AdapterCard card) =>
        string.Join("\n", Rows(card).Select(r => $"{r.Name,-18} {r.Value}"));

    private static IEnumerable<(string Name, string Value)> Rows(AdapterCard card)
    {
        var report = card.Report;
        yield return ("rank", string.Join(", ", report.Ranks));
        yield return ("alpha", string.Join(", ", report.Alphas.Select(a => Html.Num(a))));
        yield return ("targets", string.Join(", ", report.TargetGroups.Select(g => $"{g.Key} ×{g.Value}")) + $" ({report.Adapters.Count} layers)");
        yield return ("trainable params", report.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        var size = Html.Bytes(report.FileBytes);
        yield return ("file size", card.BaseModelBytes is { } b && b > 0
            ? $"{size} ({Html.Num(100.0 * report.FileBytes / b, "0.##")}% of the base model's {Html.Bytes(b)})"
            : size);
        yield return ("trigger", card.Trigger ?? "(none)");
        yield return ("format", $"{report.Format}, {string.Join("/", report.DTypes)}" + (report.Adapters.Any(a => a.Dora) ? ", DoRA" : ""));
        yield return ("path", report.Path);
    }

    private static string Shorten(string value) => value.Length <= 200 ? value : value[..200] + "…";
}
