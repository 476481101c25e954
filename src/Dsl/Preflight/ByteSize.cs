using System.Globalization;

namespace LoraNotebooks.Dsl.Preflight;

/// <summary>Byte counts as people read them, shared by every renderer (pre-flight, inspect, adapter cards).</summary>
public static class ByteSize
{
    /// <summary>1536 → "1.5 KiB"; 12 → "12 B".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
