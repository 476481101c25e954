using TorchSharp;

namespace LoraNotebooks.Engine.Models;

/// <summary>Builds modules without memory: on the meta device, tensors have shapes and dtypes but no storage.</summary>
public static class MetaDevice
{
    /// <summary>Runs <paramref name="build"/> with the meta device as the default device.</summary>
    /// <remarks>
    /// TorchSharp's default device is process-wide, not per thread: a tensor another thread makes meanwhile
    /// without naming a device lands on the meta device. Never call this while a plan runs (<see cref="Training.PlanRunner.IsRunning"/>).
    /// </remarks>
    public static T Use<T>(Func<T> build)
    {
        var previous = torch.get_default_device();
        torch.set_default_device(torch.META);
        try
        {
            return build();
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }
}
