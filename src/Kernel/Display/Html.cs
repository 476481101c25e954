using System.Globalization;
using System.Net;

namespace LoraNotebooks.Kernel.Display;

/// <summary>Small helpers shared by the HTML renderers.</summary>
internal static class Html
{
    /// <summary>Text made safe for HTML.</summary>
    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A number with invariant formatting.</summary>
    public static string Num(double value, string format = "0.####") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>An inline PNG, scaled up without smoothing so small pictures stay crisp.</summary>
    public static string Png(byte[] png, int width) =>
        $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" width=\"{width}\" style=\"image-rendering:pixelated\" alt=\"\"/>";

    /// <summary>A byte count as B, KB, MB or GB.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return $"{Num(value, unit == 0 ? "0" : "0.#")} {units[unit]}";
    }

    /// <summary>
    /// The scores of a run in one line (losses as numbers, judged shares as percentages), or null when it
    /// has none: <c>train loss 0.1234 · validation loss 0.2 · fidelity 38% · leakage 13% · prompt following 50%</c>.
    /// </summary>
    public static string? Scores(Engine.Training.EvaluationMetrics? metrics)
    {
        if (metrics is null) return null;
        var parts = new List<string>();
        if (metrics.TrainLoss is { } train) parts.Add($"train loss {Num(train)}");
        if (metrics.ValidationLoss is { } validation) parts.Add($"validation loss {Num(validation)}");
        if (metrics.Fidelity is { } fidelity) parts.Add($"fidelity {Num(fidelity, "0%")}");
        if (metrics.Leakage is { } leakage) parts.Add($"leakage {Num(leakage, "0%")}");
        if (metrics.PromptFollowing is { } following) parts.Add($"prompt following {Num(following, "0%")}");
        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

    /// <summary>A duration as m:ss or h:mm:ss.</summary>
    public static string Duration(TimeSpan time) =>
        time.TotalHours >= 1 ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
