using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>Exceptions as one clean line for a notebook: what users cause says what to fix; anything else names its type.</summary>
internal static class ErrorMessages
{
    /// <summary>The message to show for <paramref name="e"/>.</summary>
    public static string For(Exception e) => e switch
    {
        LoraScriptException script => script.Message,
        UserErrorException or SafeTensorsFormatException or AdapterFormatException or IOException or UnauthorizedAccessException
            or InvalidDataException or TrainingDivergedException => e.Message,
        _ => $"internal error: {e.GetType().Name}: {e.Message}",
    };
}
