using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// A Stable Diffusion 1.x text-to-image model: the CLIP <see cref="Models.TextEncoder"/> (key prefix
/// <c>text_encoder.</c>, LoRA prefix <c>lora_te</c>), the latent <see cref="UNet2DConditionModel"/>
/// (<c>unet.</c>, <c>lora_unet</c>) and the <see cref="AutoencoderKL"/> (<c>vae.</c>, never adapted),
/// with its <see cref="ClipTokenizer"/> and noise schedule. Images are tensors [B, 3, H, W] in [0, 1]
/// at the API; the UNet works on scaled VAE latents. Load real weights with <see cref="StableDiffusionCheckpoint"/>.
/// </summary>
public sealed class StableDiffusionModel : DenoisingModel
{
    private readonly UNet2DConditionModel unet;
    private readonly TextEncoder text_encoder;
    private readonly AutoencoderKL vae;

    /// <summary>A model with fresh weights shaped by <paramref name="config"/>, tokenizing with <paramref name="tokenizer"/>.</summary>
    public StableDiffusionModel(StableDiffusionConfig config, ClipTokenizer tokenizer) : base(nameof(StableDiffusionModel), ScheduleOf(config, tokenizer))
    {
        Config = config;
        Tokenizer = tokenizer;
        unet = new UNet2DConditionModel(config.Unet);
        text_encoder = new TextEncoder(config.TextEncoder);
        vae = new AutoencoderKL(config.Vae);
        RegisterComponents();
    }

    /// <summary>
    /// kohya's default LoRA targets for SD 1.x: every Linear and 1×1 Conv2d inside the UNet's
    /// Transformer2DModels (proj_in, proj_out, attn1/attn2 to_q, to_k, to_v, to_out.0, ff.net.0.proj,
    /// ff.net.2: 192 modules in SD 1.5) and the text encoder's q/k/v/out_proj, fc1, fc2 (72 modules).
    /// </summary>
    public static IReadOnlyList<TargetRule> KohyaTargets { get; } =
    [
        new("**.attentions.*.proj_in"),
        new("**.attentions.*.proj_out"),
        new("**.attentions.*.transformer_blocks.**"),
        new("text_model.encoder.layers.*.self_attn.*"),
        new("text_model.encoder.layers.*.mlp.*"),
    ];

    /// <summary>The architecture and diffusion settings.</summary>
    public StableDiffusionConfig Config { get; }

    /// <summary>The tokenizer of the text encoder.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <inheritdoc/>
    public override UNet2DConditionModel UNet => unet;

    /// <summary>The text encoder.</summary>
    public TextEncoder TextEncoder => text_encoder;

    /// <summary>The VAE.</summary>
    public AutoencoderKL Vae => vae;

    /// <summary>Latents of the training images seen so far (see <see cref="LatentCache"/>).</summary>
    public LatentCache Latents { get; } = new();

    /// <summary>The parts LoRA adapters attach to: the UNet (<c>lora_unet</c>) and the text encoder (<c>lora_te</c>).</summary>
    public override IReadOnlyList<ModelPart> Parts => [new ModelPart(ModelPart.UNet, unet), new ModelPart(ModelPart.TextEncoder, text_encoder)];

    /// <summary>The image size (square, in pixels) the model was trained at: 512 for SD 1.5.</summary>
    public override int Resolution => Config.Resolution;

    /// <summary>7.5, Stable Diffusion's customary scale.</summary>
    public override double DefaultGuidance => 7.5;

    /// <summary>kohya's <c>sd_v1</c>: adapters for it load in A1111, ComfyUI and kohya's scripts.</summary>
    public override (string KohyaVersion, string ModelSpec) Architecture => ("sd_v1", "stable-diffusion-v1/lora");

    /// <summary>Recompute the UNet's transformer blocks in the backward pass to save activation memory.</summary>
    public bool GradientCheckpointing
    {
        get => unet.GradientCheckpointing;
        set => unet.GradientCheckpointing = value;
    }

    /// <summary>Writes the weights (with any merged adapters baked in) as an original-layout single-file checkpoint (<see cref="StableDiffusionCheckpoint.SaveSingleFile"/>).</summary>
    public override void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        StableDiffusionCheckpoint.SaveSingleFile(this, path, metadata);

    /// <inheritdoc/>
    public override string TextRead(string caption) => Tokenizer.TextRead(caption);

    /// <summary>Text hidden states [B, 77, 768] (SD 1.5) for <paramref name="captions"/>.</summary>
    public override Tensor EncodeText(IReadOnlyList<string> captions)
    {
        using var scope = NewDisposeScope();
        return text_encoder.call(Tokenizer.Encode(captions, Device)).MoveToOuterDisposeScope();
    }

    /// <summary>Scaled latents of <paramref name="images"/> [B, 3, H, W] in [0, 1], encoded once per image and cached.</summary>
    public Tensor EncodeImages(Tensor images)
    {
        using var scope = NewDisposeScope();
        var dtype = WeightType(vae);
        return Latents.GetOrEncode(images, batch => vae.Encode((batch.to(Device) * 2 - 1).to(dtype)).to(float32))
            .MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, 3, H, W] in [0, 1] from scaled <paramref name="latents"/>.</summary>
    public Tensor DecodeLatents(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var images = vae.Decode(latents.to(WeightType(vae))).to(float32);
        return ((images.clamp(-1, 1) + 1) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>Scaled (cached) VAE latents.</summary>
    protected internal override Tensor ToDenoiserSpace(Tensor images) => EncodeImages(images);

    /// <summary>Decoded VAE latents.</summary>
    protected override Tensor FromDenoiserSpace(Tensor sample) => DecodeLatents(sample);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Latents.Dispose();
        base.Dispose(disposing);
    }

    private static ScalarType WeightType(nn.Module module) => module.parameters().First().dtype;

    private static DdpmSchedule ScheduleOf(StableDiffusionConfig config, ClipTokenizer tokenizer)
    {
        config.Validate();
        if (tokenizer.MaxLength != config.TextEncoder.MaxPositionEmbeddings)
            throw new ArgumentException($"the tokenizer makes {tokenizer.MaxLength} tokens but the text encoder has {config.TextEncoder.MaxPositionEmbeddings} positions");
        return new DdpmSchedule(config.Diffusion);
    }
}
