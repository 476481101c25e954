using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// The built-in text-to-image model: a byte-level <see cref="Models.TextEncoder"/> (key prefix
/// <c>text_encoder.</c>, LoRA prefix <c>lora_te</c>) and a pixel-space <see cref="UNet2DConditionModel"/>
/// (<c>unet.</c>, <c>lora_unet</c>) with the <see cref="DdpmSchedule"/> they were trained for.
/// Images are tensors [B, 3, H, W] in [0, 1] at the API; the model works in [−1, 1].
/// </summary>
public sealed class TinyDiffusionModel : nn.Module, IDiffusionBase
{
    private readonly TextEncoder text_encoder;
    private readonly UNet2DConditionModel unet;

    /// <summary>A model with fresh weights shaped by <paramref name="config"/> (the default config when null).</summary>
    public TinyDiffusionModel(TinyDiffusionConfig? config = null) : base(nameof(TinyDiffusionModel))
    {
        Config = config ?? new TinyDiffusionConfig();
        Config.Validate();
        Tokenizer = new ByteTokenizer(Config.TextEncoder.MaxPositionEmbeddings);
        Schedule = new DdpmSchedule(Config.Diffusion);
        text_encoder = new TextEncoder(Config.TextEncoder);
        unet = new UNet2DConditionModel(Config.Unet);
        RegisterComponents();
    }

    /// <summary>The architecture and diffusion settings.</summary>
    public TinyDiffusionConfig Config { get; }

    /// <summary>The tokenizer matching the text encoder.</summary>
    public ByteTokenizer Tokenizer { get; }

    /// <summary>The noise schedule.</summary>
    public DdpmSchedule Schedule { get; }

    /// <summary>The text encoder.</summary>
    public TextEncoder TextEncoder => text_encoder;

    /// <summary>The denoiser.</summary>
    public UNet2DConditionModel UNet => unet;

    /// <summary>The parts LoRA adapters attach to: the UNet (<c>lora_unet</c>) and the text encoder (<c>lora_te</c>).</summary>
    public ModelPart[] Parts => [new ModelPart(ModelPart.UNet, unet), new ModelPart(ModelPart.TextEncoder, text_encoder)];

    IReadOnlyList<ModelPart> IDiffusionBase.Parts => Parts;

    /// <inheritdoc/>
    public int Resolution => Config.Unet.SampleSize;

    /// <inheritdoc/>
    public int TrainTimesteps => Schedule.NumTrainTimesteps;

    /// <inheritdoc/>
    public void CastWeights(ScalarType dtype) => this.to(dtype);

    /// <inheritdoc/>
    public void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null) => BuiltInBase.Save(this, path, metadata);

    /// <summary>The device of the weights.</summary>
    public Device Device => unet.parameters().First().device;

    /// <summary>Text hidden states [B, L, hidden_size] for <paramref name="captions"/>.</summary>
    public Tensor EncodeText(IReadOnlyList<string> captions)
    {
        using var scope = NewDisposeScope();
        return text_encoder.call(Tokenizer.Encode(captions, Device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The UNet's raw prediction (ε or v) for noisy samples in [−1, 1], in the sample's dtype. When the
    /// weights were cast (bf16 training), inputs are cast to the weights' dtype and the prediction back.
    /// </summary>
    public Tensor Predict(Tensor sample, Tensor timesteps, Tensor context)
    {
        var dtype = unet.parameters().First().dtype;
        if (dtype == sample.dtype)
            return unet.Forward(sample, timesteps, context.to(dtype));
        using var scope = NewDisposeScope();
        return unet.Forward(sample.to(dtype), timesteps, context.to(dtype)).to(sample.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Classifier-free guidance: <c>uncond + guidance · (cond − uncond)</c>, both predictions in one
    /// batch. With guidance 1 that is the conditional prediction, so the unconditional pass is skipped.
    /// </summary>
    public Tensor GuidedPrediction(Tensor sample, Tensor timesteps, Tensor context, Tensor uncondContext, double guidance)
    {
        if (guidance == 1)
            return Predict(sample, timesteps, context);
        using var scope = NewDisposeScope();
        var both = Predict(cat([sample, sample]), cat([timesteps, timesteps]), cat([context, uncondContext]));
        var halves = both.chunk(2);
        return (halves[1] + guidance * (halves[0] - halves[1])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The denoising loss on clean <paramref name="images"/> [B, 3, H, W] in [0, 1] with their
    /// captions: MSE between the prediction and its target at uniformly drawn timesteps (or the given
    /// <paramref name="timesteps"/> [B]), optionally min-SNR weighted. Noise and timesteps come from
    /// <paramref name="generator"/>.
    /// </summary>
    public Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null)
    {
        options ??= new DiffusionLossOptions();
        using var scope = NewDisposeScope();
        var device = Device;
        var original = images.to(device) * 2 - 1;
        var batch = original.shape[0];
        var noise = randn(original.shape, generator: generator).to(device);
        if (options.NoiseOffset != 0)
            noise = noise + options.NoiseOffset * randn([batch, original.shape[1], 1, 1], generator: generator).to(device);
        timesteps = timesteps?.to(int64).to(device) ?? randint(0, Schedule.NumTrainTimesteps, [batch], dtype: int64, generator: generator).to(device);
        var noisy = Schedule.AddNoise(original, noise, timesteps);
        var prediction = Predict(noisy, timesteps, EncodeText(captions));
        var perImage = (prediction - Schedule.Target(original, noise, timesteps)).square().mean([1, 2, 3]);
        if (options.MinSnrGamma is { } gamma)
            perImage = perImage * Schedule.MinSnrWeights(timesteps, gamma);
        return perImage.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generates one image per prompt, [B, 3, H, W] in [0, 1]. Image b starts from noise seeded by
    /// <paramref name="seeds"/>[b] and depends on nothing else random, so a seed always gives the same
    /// picture. The unconditional branch of guidance uses <paramref name="negativePrompt"/> (default: the empty caption).
    /// </summary>
    public Tensor Sample(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, int steps = 20, double guidance = 3,
        string? negativePrompt = null, SamplerKind sampler = SamplerKind.Ddim)
    {
        if (prompts.Count != seeds.Count)
            throw new ArgumentException($"one seed per prompt is needed: {prompts.Count} prompts, {seeds.Count} seeds");
        var wasTraining = training;
        var generators = seeds.Select(s => new Generator((ulong)s)).ToArray();
        eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var scheduler = sampler.Create(Schedule);
            scheduler.SetTimesteps(steps);
            var size = Config.Unet.SampleSize;
            var context = EncodeText(prompts);
            var uncond = EncodeText(Enumerable.Repeat(negativePrompt ?? "", prompts.Count).ToArray());
            var noise = SchedulerMath.Noise(empty([prompts.Count, Config.Unet.InChannels, size, size], device: Device), generators);
            var sample = scheduler.ScaleInitialNoise(noise);
            for (var i = 0; i < scheduler.Timesteps.Count; i++)
            {
                using var stepScope = NewDisposeScope();
                var timesteps = full([prompts.Count], scheduler.Timesteps[i], dtype: int64, device: Device);
                var prediction = GuidedPrediction(scheduler.ScaleModelInput(sample, i), timesteps, context, uncond, guidance);
                sample = scheduler.Step(prediction, i, sample, generators).MoveToOuterDisposeScope();
            }
            return ((sample.clamp(-1, 1) + 1) / 2).MoveToOuterDisposeScope();
        }
        finally
        {
            train(wasTraining);
            foreach (var generator in generators)
                generator.Dispose();
        }
    }
}
