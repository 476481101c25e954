using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// The device a run trains and samples on: CUDA when this build has it (<c>-p:TorchBackend=cuda</c>,
/// docs/gpu.md) and a GPU is present, else the CPU. <c>LORA_DEVICE=cpu</c> or <c>LORA_DEVICE=cuda[:N]</c> overrides.
/// </summary>
public static class TorchDevices
{
    /// <summary>The environment variable that overrides the choice.</summary>
    public const string Variable = "LORA_DEVICE";

    /// <summary>The device to use.</summary>
    /// <exception cref="UserErrorException"><c>LORA_DEVICE</c> names a device that is not there.</exception>
    public static Device Preferred()
    {
        var asked = Environment.GetEnvironmentVariable(Variable)?.Trim();
        if (string.IsNullOrEmpty(asked))
            return cuda.is_available() ? CUDA : CPU;
        if (asked.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new UserErrorException($"{Variable}={asked}, but this build or machine has no CUDA device (docs/gpu.md: build with -p:TorchBackend=cuda)");
        try
        {
            return torch.device(asked.ToLowerInvariant());
        }
        catch (Exception e) when (e is ArgumentException or FormatException or ExternalException)
        {
            throw new UserErrorException($"{Variable}={asked} is not a device; use cpu, cuda or cuda:N");
        }
    }

    /// <summary>"CPU", or "CUDA (N GPU)": for load lines and summaries.</summary>
    public static string Describe() => cuda.is_available() ? $"CUDA ({cuda.device_count()} GPU)" : "CPU";
}
