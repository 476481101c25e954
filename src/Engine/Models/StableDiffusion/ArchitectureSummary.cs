using LoraNotebooks.Engine.Lora;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// The sizes of a Stable Diffusion architecture, measured on the meta device (modules with shapes but
/// no memory, built in about a second): parameters per part and kohya's default LoRA modules.
/// </summary>
/// <param name="UNet">UNet parameters.</param>
/// <param name="TextEncoder">Text encoder parameters.</param>
/// <param name="Vae">VAE parameters.</param>
/// <param name="LoraUNetModules">UNet modules with a default (kohya) adapter.</param>
/// <param name="LoraTextEncoderModules">Text encoder modules with a default adapter.</param>
/// <param name="LoraParametersPerRank">Adapter parameters per unit of rank over the default modules.</param>
public sealed record ArchitectureSummary(long UNet, long TextEncoder, long Vae, int LoraUNetModules, int LoraTextEncoderModules, long LoraParametersPerRank)
{
    /// <summary>Measures <paramref name="config"/>.</summary>
    public static ArchitectureSummary Of(StableDiffusionConfig config)
    {
        return MetaDevice.Use(() =>
        {
            using var model = new StableDiffusionModel(config, ClipTokenizer.Placeholder(config.TextEncoder.MaxPositionEmbeddings));
            var targets = LoraTarget.Find(model.Parts, new LoraOptions { Targets = StableDiffusionModel.KohyaTargets });
            return new ArchitectureSummary(
                Count(model.UNet), Count(model.TextEncoder), Count(model.Vae),
                targets.Count(t => t.Part.Prefix == ModelPart.UNet), targets.Count(t => t.Part.Prefix == ModelPart.TextEncoder),
                targets.Sum(t => t.BaseWeight.shape[0] + t.BaseWeight.shape[1]));
        });
    }

    private static long Count(nn.Module module) => module.parameters().Sum(p => p.numel());
}
