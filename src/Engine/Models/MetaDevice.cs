using TorchSharp;

namespace LoraNotebooks.Engine.Models;

/// <summary>Builds modules without memory: on the meta device, tensors have shapes and dtypes but no storage.</summary>
public static class MetaDevice
{
    /// <summary>Runs <paramref name="build"/> with the meta device as the default device.</summary>
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
