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

    /// <summary>A duration as m:ss or h:mm:ss.</summary>
    public static string Duration(TimeSpan time) =>
        time.TotalHours >= 1 ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
