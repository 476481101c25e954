using TorchSharp;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// A module tree that adapters attach to, and the prefix its adapters carry in kohya files:
/// <c>lora_unet</c> for a denoiser, <c>lora_te</c> for a text encoder.
/// </summary>
public sealed record ModelPart(string Prefix, torch.nn.Module Module)
{
    /// <summary>The kohya prefix of a denoiser (UNet) part.</summary>
    public const string UNet = "lora_unet";

    /// <summary>The kohya prefix of an SD1-style text encoder part.</summary>
    public const string TextEncoder = "lora_te";
}
