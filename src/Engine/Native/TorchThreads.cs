using System.Globalization;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Chooses libtorch's intra-op thread count. On a machine whose cores are already busy, libtorch's
/// OpenMP threads wait on each other at every op: measured on the 2-core development machine with a
/// load average of 8, one training step of the built-in model (batch 4) took 8.6 s on 2 threads and
/// 0.26 s on 1. So only cores that are idle now are used.
/// </summary>
public static class TorchThreads
{
    /// <summary>The environment variable that fixes the count (e.g. <c>LORA_THREADS=2</c>).</summary>
    public const string Variable = "LORA_THREADS";

    /// <summary>
    /// Applies <see cref="OneDnn"/>'s settings, then sets and returns the thread count: <see cref="Variable"/> when set, else the cores not busy by the
    /// 1-minute load average (at least 1), else libtorch's default when the load cannot be read.
    /// </summary>
    public static int Apply()
    {
        OneDnn.Apply(); // the process's other libtorch settings: oneDNN's switch found, libtorch's C++ log quieted
        var threads = Environment.GetEnvironmentVariable(Variable) is { } text && int.TryParse(text, out var given) && given > 0
            ? given
            : IdleCores() ?? get_num_threads();
        set_num_threads(threads);
        return threads;
    }

    private static int? IdleCores()
    {
        try
        {
            var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
            return Math.Clamp(Environment.ProcessorCount - (int)Math.Ceiling(load), 1, Environment.ProcessorCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
