using System.Diagnostics;
using System.Globalization;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// This process's peak resident memory (RSS). On Linux the kernel's high-water mark (<c>VmHWM</c>) can be
/// reset by writing 5 to <c>/proc/self/clear_refs</c>, so a peak can be measured over a stretch of work;
/// elsewhere (or when the reset is refused) the peak is the process's lifetime peak, which is an upper bound.
/// </summary>
public static class PeakMemory
{
    /// <summary>Starts a new measurement; true when the high-water mark was reset.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The peak resident bytes since the last <see cref="Reset"/> (or since the process started).</summary>
    public static long Read()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
