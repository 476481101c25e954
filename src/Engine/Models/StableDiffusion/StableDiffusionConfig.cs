using System.Text.Json;
using System.Text.Json.Serialization;
using LoraNotebooks.Engine.Diffusion;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// The architecture of a Stable Diffusion 1.x model: the UNet, the CLIP text encoder, the VAE and the
/// noise schedule. <see cref="Sd15"/> is Stable Diffusion 1.5 (the configs of the diffusers folder
/// <c>runwayml/stable-diffusion-v1-5</c>); <see cref="Tiny"/> is the same code at toy sizes for tests.
/// </summary>
public sealed record StableDiffusionConfig
{
    /// <summary>
    /// The single-file metadata key holding the architecture as JSON, written by
    /// <see cref="StableDiffusionCheckpoint.SaveSingleFile"/>; files without it are SD 1.5.
    /// </summary>
    public const string MetadataKey = "lora.sd_config";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The UNet (on latents).</summary>
    public required UNetConfig Unet { get; init; }

    /// <summary>The CLIP text encoder.</summary>
    public required TextEncoderConfig TextEncoder { get; init; }

    /// <summary>The VAE.</summary>
    public required VaeConfig Vae { get; init; }

    /// <summary>The diffusion process (SD 1.5: scaled-linear betas 0.00085..0.012, ε-prediction, 1000 steps).</summary>
    public DiffusionConfig Diffusion { get; init; } = new()
    {
        BetaSchedule = BetaSchedule.ScaledLinear,
        BetaStart = 0.00085,
        BetaEnd = 0.012,
        PredictionType = PredictionType.Epsilon,
    };

    /// <summary>The image size the model was trained at: latent size × the VAE's downscale factor (SD 1.5: 64 × 8 = 512).</summary>
    public int Resolution => Unet.SampleSize * Vae.DownscaleFactor;

    /// <summary>Stable Diffusion 1.5: 859.5 M UNet, 123.1 M text encoder (CLIP ViT-L/14), 83.7 M VAE parameters.</summary>
    public static StableDiffusionConfig Sd15 { get; } = new()
    {
        Unet = new UNetConfig
        {
            SampleSize = 64,
            InChannels = 4,
            OutChannels = 4,
            BlockOutChannels = [320, 640, 1280, 1280],
            DownBlockTypes = [UNetConfig.CrossAttnDownBlock, UNetConfig.CrossAttnDownBlock, UNetConfig.CrossAttnDownBlock, UNetConfig.DownBlock],
            UpBlockTypes = [UNetConfig.UpBlock, UNetConfig.CrossAttnUpBlock, UNetConfig.CrossAttnUpBlock, UNetConfig.CrossAttnUpBlock],
            LayersPerBlock = 2,
            CrossAttentionDim = 768,
            NumAttentionHeads = 8,
            NormNumGroups = 32,
            UseLinearProjection = false,
        },
        TextEncoder = new TextEncoderConfig
        {
            VocabSize = 49408,
            MaxPositionEmbeddings = 77,
            HiddenSize = 768,
            IntermediateSize = 3072,
            NumHiddenLayers = 12,
            NumAttentionHeads = 12,
            HiddenAct = TextEncoderConfig.QuickGelu,
            CausalMask = true,
            PadTokenId = null,
        },
        Vae = new VaeConfig(),
    };

    /// <summary>
    /// The SD 1.5 layout at toy sizes: UNet channels (32, 64) with one ResNet per block, text width 32
    /// with 2 layers, VAE channels (32, 64); 8×8 latents, 16×16 images.
    /// </summary>
    public static StableDiffusionConfig Tiny { get; } = new()
    {
        Unet = Sd15.Unet with
        {
            SampleSize = 8,
            BlockOutChannels = [32, 64],
            DownBlockTypes = [UNetConfig.CrossAttnDownBlock, UNetConfig.DownBlock],
            UpBlockTypes = [UNetConfig.UpBlock, UNetConfig.CrossAttnUpBlock],
            LayersPerBlock = 1,
            CrossAttentionDim = 32,
            NumAttentionHeads = 2,
            NormNumGroups = 8,
        },
        TextEncoder = Sd15.TextEncoder with
        {
            VocabSize = 64,
            MaxPositionEmbeddings = 16,
            HiddenSize = 32,
            IntermediateSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 2,
        },
        Vae = new VaeConfig { BlockOutChannels = [32, 64], LayersPerBlock = 1, NormNumGroups = 8 },
    };

    /// <summary>This config as one line of JSON (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The config in <paramref name="json"/>.</summary>
    public static StableDiffusionConfig FromJson(string json) =>
        JsonSerializer.Deserialize<StableDiffusionConfig>(json, Json) ?? throw new ArgumentException("the Stable Diffusion config JSON is empty");

    /// <summary>Throws <see cref="ArgumentException"/> if the parts do not fit together.</summary>
    public void Validate()
    {
        Unet.Validate();
        TextEncoder.Validate();
        Vae.Validate();
        if (Unet.CrossAttentionDim != TextEncoder.HiddenSize)
            throw new ArgumentException($"unet cross_attention_dim {Unet.CrossAttentionDim} must equal text_encoder hidden_size {TextEncoder.HiddenSize}");
        if (Unet.InChannels != Vae.LatentChannels || Unet.OutChannels != Vae.LatentChannels)
            throw new ArgumentException($"unet in/out_channels ({Unet.InChannels}, {Unet.OutChannels}) must equal vae latent_channels {Vae.LatentChannels}");
    }
}
