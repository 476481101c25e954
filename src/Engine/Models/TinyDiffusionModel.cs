using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// The built-in text-to-image model: a byte-level <see cref="Models.TextEncoder"/> (key prefix
/// <c>text_encoder.</c>, LoRA prefix <c>lora_te</c>) and a pixel-space <see cref="UNet2DConditionModel"/>
/// (<c>unet.</c>, <c>lora_unet</c>) with the <see cref="DdpmSchedule"/> they were trained for.
/// Images are tensors [B, 3, H, W] in [0, 1] at the API; the model works in [−1, 1].
/// </summary>
public sealed class TinyDiffusionModel : DenoisingModel
{
    private readonly TextEncoder text_encoder;
    private readonly UNet2DConditionModel unet;

    /// <summary>A model with fresh weights shaped by <paramref name="config"/> (the default config when null).</summary>
    public TinyDiffusionModel(TinyDiffusionConfig? config = null) : base(nameof(TinyDiffusionModel), ScheduleOf(config ??= new TinyDiffusionConfig()))
    {
        Config = config;
        Tokenizer = new ByteTokenizer(Config.TextEncoder.MaxPositionEmbeddings);
        text_encoder = new TextEncoder(Config.TextEncoder);
        unet = new UNet2DConditionModel(Config.Unet);
        RegisterComponents();
    }

    /// <summary>The architecture and diffusion settings.</summary>
    public TinyDiffusionConfig Config { get; }

    /// <summary>The tokenizer matching the text encoder.</summary>
    public ByteTokenizer Tokenizer { get; }

    /// <summary>The text encoder.</summary>
    public TextEncoder TextEncoder => text_encoder;

    /// <inheritdoc/>
    public override UNet2DConditionModel UNet => unet;

    /// <summary>The parts LoRA adapters attach to: the UNet (<c>lora_unet</c>) and the text encoder (<c>lora_te</c>).</summary>
    public override IReadOnlyList<ModelPart> Parts => [new ModelPart(ModelPart.UNet, unet), new ModelPart(ModelPart.TextEncoder, text_encoder)];

    /// <inheritdoc/>
    public override int Resolution => Config.Unet.SampleSize;

    /// <summary>3: the scale the built-in base is judged at while it pretrains and by <c>lora eval</c> (<see cref="Training.WorldEvaluation"/>).</summary>
    public override double DefaultGuidance => 3;

    /// <inheritdoc/>
    public override (string KohyaVersion, string ModelSpec) Architecture => ("loranotebooks_tiny", "loranotebooks-tiny/lora");

    /// <inheritdoc/>
    public override void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null) => BuiltInBase.Save(this, path, metadata);

    /// <inheritdoc/>
    public override string TextRead(string caption) => ByteTokenizer.Decode(Tokenizer.Encode(caption));

    /// <inheritdoc/>
    public override Tensor EncodeText(IReadOnlyList<string> captions)
    {
        using var scope = NewDisposeScope();
        return text_encoder.call(Tokenizer.Encode(captions, Device)).MoveToOuterDisposeScope();
    }

    /// <summary>Pixels in [−1, 1].</summary>
    protected internal override Tensor ToDenoiserSpace(Tensor images)
    {
        using var s = new ScalarScope();
        return images.to(Device).mul(s[2]).sub(ScalarMath.One);
    }

    /// <summary>Pixels in [−1, 1] back to [0, 1].</summary>
    protected override Tensor FromDenoiserSpace(Tensor sample)
    {
        using var s = new ScalarScope();
        return sample.clamp(s[-1], ScalarMath.One).add(ScalarMath.One, ScalarMath.One).div(s[2]);
    }

    private static DdpmSchedule ScheduleOf(TinyDiffusionConfig config)
    {
        config.Validate();
        return new DdpmSchedule(config.Diffusion);
    }
}
