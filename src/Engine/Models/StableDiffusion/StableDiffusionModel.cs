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
public sealed class StableDiffusionModel : nn.Module
{
    private readonly UNet2DConditionModel unet;
    private readonly TextEncoder text_encoder;
    private readonly AutoencoderKL vae;

    /// <summary>A model with fresh weights shaped by <paramref name="config"/>, tokenizing with <paramref name="tokenizer"/>.</summary>
    public StableDiffusionModel(StableDiffusionConfig config, ClipTokenizer tokenizer) : base(nameof(StableDiffusionModel))
    {
        config.Validate();
        if (tokenizer.MaxLength != config.TextEncoder.MaxPositionEmbeddings)
            throw new ArgumentException($"the tokenizer makes {tokenizer.MaxLength} tokens but the text encoder has {config.TextEncoder.MaxPositionEmbeddings} positions");
        Config = config;
        Tokenizer = tokenizer;
        Schedule = new DdpmSchedule(config.Diffusion);
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

    /// <summary>The noise schedule.</summary>
    public DdpmSchedule Schedule { get; }

    /// <summary>The denoiser.</summary>
    public UNet2DConditionModel UNet => unet;

    /// <summary>The text encoder.</summary>
    public TextEncoder TextEncoder => text_encoder;

    /// <summary>The VAE.</summary>
    public AutoencoderKL Vae => vae;

    /// <summary>Latents of the training images seen so far (see <see cref="LatentCache"/>).</summary>
    public LatentCache Latents { get; } = new();

    /// <summary>The parts LoRA adapters attach to: the UNet (<c>lora_unet</c>) and the text encoder (<c>lora_te</c>).</summary>
    public IReadOnlyList<ModelPart> Parts => [new ModelPart(ModelPart.UNet, unet), new ModelPart(ModelPart.TextEncoder, text_encoder)];

    /// <summary>The image size (square, in pixels) the model was trained at: 512 for SD 1.5.</summary>
    public int Resolution => Config.Resolution;

    /// <summary>Number of diffusion timesteps the loss draws from.</summary>
    public int TrainTimesteps => Schedule.NumTrainTimesteps;

    /// <summary>The device of the weights.</summary>
    public Device Device => unet.parameters().First().device;

    /// <summary>Recompute the UNet's transformer blocks in the backward pass to save activation memory.</summary>
    public bool GradientCheckpointing
    {
        get => unet.GradientCheckpointing;
        set => unet.GradientCheckpointing = value;
    }

    /// <summary>Casts the base weights (bf16 or fp16 on a GPU; keep fp32 on a CPU); adapters added later stay fp32.</summary>
    public void CastWeights(ScalarType dtype) => this.to(dtype);

    /// <summary>Writes the weights (with any merged adapters baked in) as an original-layout single-file checkpoint (<see cref="StableDiffusionCheckpoint.SaveSingleFile"/>).</summary>
    public void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        StableDiffusionCheckpoint.SaveSingleFile(this, path, metadata);

    /// <summary>Text hidden states [B, 77, 768] (SD 1.5) for <paramref name="captions"/>.</summary>
    public Tensor EncodeText(IReadOnlyList<string> captions)
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

    /// <summary>
    /// The UNet's raw prediction for noisy latents, in the latents' dtype; inputs are cast to the
    /// weights' dtype (bf16/fp16 training) and the prediction back.
    /// </summary>
    public Tensor Predict(Tensor latents, Tensor timesteps, Tensor context)
    {
        using var scope = NewDisposeScope();
        var dtype = WeightType(unet);
        return unet.Forward(latents.to(dtype), timesteps, context.to(dtype)).to(latents.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The denoising loss on clean <paramref name="images"/> [B, 3, H, W] in [0, 1] with their captions:
    /// the images' (cached) latents are noised at uniformly drawn timesteps (or the given
    /// <paramref name="timesteps"/>), and the MSE between prediction and target is averaged, optionally
    /// min-SNR weighted. Noise and timesteps come from <paramref name="generator"/>.
    /// </summary>
    public Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null)
    {
        options ??= new DiffusionLossOptions();
        using var scope = NewDisposeScope();
        var latents = EncodeImages(images);
        var batch = latents.shape[0];
        var noise = randn(latents.shape, generator: generator).to(Device);
        if (options.NoiseOffset != 0)
            noise = noise + options.NoiseOffset * randn([batch, latents.shape[1], 1, 1], generator: generator).to(Device);
        timesteps = timesteps?.to(int64).to(Device) ?? randint(0, TrainTimesteps, [batch], dtype: int64, generator: generator).to(Device);
        var noisy = Schedule.AddNoise(latents, noise, timesteps);
        var prediction = Predict(noisy, timesteps, EncodeText(captions));
        var perImage = (prediction.to(float32) - Schedule.Target(latents, noise, timesteps)).square().mean([1, 2, 3]);
        if (options.MinSnrGamma is { } gamma)
            perImage = perImage * Schedule.MinSnrWeights(timesteps, gamma);
        return perImage.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generates one image per prompt at <see cref="Resolution"/>, [B, 3, H, W] in [0, 1], with
    /// classifier-free guidance. Image b starts from latent noise seeded by <paramref name="seeds"/>[b]
    /// and depends on nothing else random.
    /// </summary>
    public Tensor Sample(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, int steps = 20, double guidance = 7.5,
        string? negativePrompt = null, SamplerKind sampler = SamplerKind.Ddim)
    {
        if (prompts.Count != seeds.Count)
            throw new ArgumentException($"one seed per prompt is needed: {prompts.Count} prompts, {seeds.Count} seeds");
        var wasTraining = training;
        eval();
        var generators = seeds.Select(s => new Generator((ulong)s)).ToArray();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var scheduler = sampler.Create(Schedule);
            scheduler.SetTimesteps(steps);
            var context = EncodeText(prompts);
            var uncond = EncodeText(Enumerable.Repeat(negativePrompt ?? "", prompts.Count).ToArray());
            var size = Config.Unet.SampleSize;
            var noise = SchedulerMath.Noise(empty([prompts.Count, Config.Unet.InChannels, size, size], device: Device), generators);
            var latents = scheduler.ScaleInitialNoise(noise);
            for (var i = 0; i < scheduler.Timesteps.Count; i++)
            {
                using var stepScope = NewDisposeScope();
                var timesteps = full([prompts.Count], scheduler.Timesteps[i], dtype: int64, device: Device);
                var input = scheduler.ScaleModelInput(latents, i);
                var both = Predict(cat([input, input]), cat([timesteps, timesteps]), cat([context, uncond])).chunk(2);
                var prediction = both[1] + guidance * (both[0] - both[1]);
                latents = scheduler.Step(prediction, i, latents, generators).MoveToOuterDisposeScope();
            }
            return DecodeLatents(latents).MoveToOuterDisposeScope();
        }
        finally
        {
            train(wasTraining);
            foreach (var generator in generators)
                generator.Dispose();
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Latents.Dispose();
        base.Dispose(disposing);
    }

    private static ScalarType WeightType(nn.Module module) => module.parameters().First().dtype;
}
