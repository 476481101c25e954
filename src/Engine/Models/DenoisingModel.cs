using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// What every text-conditioned denoiser here shares: the loss, guided prediction and sampling over a
/// <see cref="UNet2DConditionModel"/> and a <see cref="DdpmSchedule"/>. Subclasses say how images enter
/// and leave the denoiser's space (pixels in [−1, 1] for the built-in model, scaled VAE latents for
/// Stable Diffusion) and how captions become hidden states. Subclasses hold the modules themselves, so
/// their field names stay the state-dict keys.
/// </summary>
public abstract class DenoisingModel : nn.Module, IDiffusionBase
{
    /// <summary>A model named <paramref name="name"/> denoising on <paramref name="schedule"/>.</summary>
    protected DenoisingModel(string name, DdpmSchedule schedule) : base(name) => Schedule = schedule;

    /// <summary>The noise schedule.</summary>
    public DdpmSchedule Schedule { get; }

    /// <summary>The denoiser.</summary>
    public abstract UNet2DConditionModel UNet { get; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<ModelPart> Parts { get; }

    /// <inheritdoc/>
    public abstract int Resolution { get; }

    /// <inheritdoc/>
    public abstract double DefaultGuidance { get; }

    /// <inheritdoc/>
    public abstract (string KohyaVersion, string ModelSpec) Architecture { get; }

    /// <inheritdoc/>
    public int TrainTimesteps => Schedule.NumTrainTimesteps;

    /// <inheritdoc/>
    public Device Device => UNet.parameters().First().device;

    /// <inheritdoc/>
    public void MoveTo(Device device) => this.to(device);

    /// <inheritdoc/>
    public void CastWeights(ScalarType dtype) => this.to(dtype);

    /// <inheritdoc/>
    public abstract void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null);

    /// <inheritdoc/>
    public abstract string TextRead(string caption);

    /// <summary>Text hidden states [B, L, hidden_size] for <paramref name="captions"/>.</summary>
    public abstract Tensor EncodeText(IReadOnlyList<string> captions);

    /// <summary>Images [B, 3, H, W] in [0, 1] in the denoiser's space.</summary>
    protected internal abstract Tensor ToDenoiserSpace(Tensor images);

    /// <summary>Images [B, 3, H, W] in [0, 1] from the denoiser's space.</summary>
    protected abstract Tensor FromDenoiserSpace(Tensor sample);

    /// <summary>
    /// The UNet's raw prediction (ε or v) for noisy samples, in the sample's dtype. When the weights were
    /// cast (bf16 training), inputs are cast to the weights' dtype and the prediction back.
    /// </summary>
    public Tensor Predict(Tensor sample, Tensor timesteps, Tensor context)
    {
        var dtype = UNet.parameters().First().dtype;
        if (dtype == sample.dtype)
            return UNet.Forward(sample, timesteps, context.to(dtype));
        using var scope = NewDisposeScope();
        return UNet.Forward(sample.to(dtype), timesteps, context.to(dtype)).to(sample.dtype).MoveToOuterDisposeScope();
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
        var halves = Predict(cat([sample, sample]), cat([timesteps, timesteps]), cat([context, uncondContext])).chunk(2);
        return ScalarMath.Plus(halves[1], ScalarMath.Times(halves[0] - halves[1], guidance)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The denoising loss on clean <paramref name="images"/> [B, 3, H, W] in [0, 1] with their captions:
    /// MSE between the prediction and its target at uniformly drawn timesteps (or the given
    /// <paramref name="timesteps"/> [B]), optionally min-SNR weighted. Noise and timesteps come from
    /// <paramref name="generator"/>.
    /// </summary>
    public Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null, Tensor? weights = null)
    {
        options ??= new DiffusionLossOptions();
        using var scope = NewDisposeScope();
        var device = Device;
        var original = ToDenoiserSpace(images.to(device));
        var batch = original.shape[0];
        var noise = randn(original.shape, generator: generator).to(device);
        if (options.NoiseOffset != 0)
            noise = ScalarMath.Plus(noise, ScalarMath.Times(randn([batch, original.shape[1], 1, 1], generator: generator).to(device), options.NoiseOffset));
        timesteps = timesteps?.to(int64).to(device) ?? DrawTimesteps(batch, generator, options).to(device);
        var noisy = Schedule.AddNoise(original, noise, timesteps);
        var prediction = Predict(noisy, timesteps, EncodeText(captions));
        var squared = (prediction.to(float32) - Schedule.Target(original, noise, timesteps)).square();
        var perImage = weights is null ? squared.mean([1, 2, 3]) : WeightedMean(squared, weights.to(device));
        if (options.MinSnrGamma is { } gamma)
            perImage = perImage * Schedule.MinSnrWeights(timesteps, gamma);
        return perImage.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="batch"/> timesteps drawn uniformly from the options' range: from <see cref="DiffusionLossOptions.MinTimestep"/>
    /// up to, not including, <see cref="DiffusionLossOptions.MaxTimestep"/> (the whole schedule by default, one draw either way).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or reaches past the schedule.</exception>
    internal Tensor DrawTimesteps(long batch, Generator generator, DiffusionLossOptions options)
    {
        var max = options.MaxTimestep ?? TrainTimesteps;
        if (options.MinTimestep < 0 || max > TrainTimesteps || options.MinTimestep >= max)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"timesteps {options.MinTimestep} to {max} do not fit this base's schedule of {TrainTimesteps} timesteps (0 to {TrainTimesteps}, the end excluded)");
        return randint(options.MinTimestep, max, [batch], dtype: int64, generator: generator);
    }

    /// <summary>
    /// Each picture's mean of <paramref name="squared"/> [B, C, h, w] weighed by <paramref name="weights"/> [B, 1, H, W],
    /// averaged down to h × w first: a masked loss. A picture whose weights are all zero contributes 0.
    /// </summary>
    internal static Tensor WeightedMean(Tensor squared, Tensor weights)
    {
        using var scope = NewDisposeScope();
        if (weights.shape[2] != squared.shape[2] || weights.shape[3] != squared.shape[3])
            weights = nn.functional.adaptive_avg_pool2d(weights, [squared.shape[2], squared.shape[3]]);
        using var numbers = new ScalarScope();
        var total = weights.sum([1, 2, 3]).mul(numbers[squared.shape[1]]).clamp_min(numbers[1e-12]);
        return (squared * weights).sum([1, 2, 3]).div(total).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor PreservationLoss(Tensor images, IReadOnlyList<string> captions, Generator generator, Func<IDisposable> baseOnly, double noisyShare = 0)
    {
        using var scope = NewDisposeScope();
        var device = Device;
        var original = ToDenoiserSpace(images.to(device));
        var batch = original.shape[0];
        var noise = randn(original.shape, generator: generator).to(device);
        var timesteps = PreservationTimesteps(batch, generator, noisyShare).to(device);
        var noisy = Schedule.AddNoise(original, noise, timesteps);
        Tensor target;
        using (baseOnly())
        using (no_grad())
            target = Predict(noisy, timesteps, EncodeText(captions)).to(float32);
        var prediction = Predict(noisy, timesteps, EncodeText(captions));
        return (prediction.to(float32) - target).square().mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="batch"/> timesteps for <see cref="PreservationLoss"/>: uniform, except that a share
    /// <paramref name="noisyShare"/> of them is drawn from the noisiest tenth of the schedule. Sampling settles
    /// layout and background in its first steps, where a uniform draw lands a tenth of the time. With share 0
    /// nothing more is drawn from <paramref name="generator"/> than the uniform draw.
    /// </summary>
    internal Tensor PreservationTimesteps(long batch, Generator generator, double noisyShare)
    {
        using var scope = NewDisposeScope();
        var timesteps = randint(0, TrainTimesteps, [batch], dtype: int64, generator: generator);
        if (noisyShare > 0)
        {
            var noisiest = randint(TrainTimesteps - TrainTimesteps / 10, TrainTimesteps, [batch], dtype: int64, generator: generator);
            using var share = noisyShare.ToScalar();
            timesteps = where(rand([batch], generator: generator).lt(share), noisiest, timesteps);
        }
        return timesteps.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generates one image per prompt at the denoiser's sample size, [B, 3, H, W] in [0, 1]. Image b starts
    /// from noise seeded by <paramref name="seeds"/>[b] and depends on nothing else random, so a seed always
    /// gives the same picture. The unconditional branch of guidance uses <paramref name="negativePrompt"/>
    /// (default: the empty caption). A cancellation is honoured before each denoising step, so a large
    /// batch stops within one step of it.
    /// </summary>
    public Tensor Sample(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, int steps = 20, double guidance = 3,
        string? negativePrompt = null, SamplerKind sampler = SamplerKind.Ddim, CancellationToken cancellationToken = default)
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
            var size = UNet.Config.SampleSize;
            var context = EncodeText(prompts);
            var uncond = EncodeText(Enumerable.Repeat(negativePrompt ?? "", prompts.Count).ToArray());
            var noise = SchedulerMath.Noise(empty([prompts.Count, UNet.Config.InChannels, size, size], device: Device), generators);
            var sample = scheduler.ScaleInitialNoise(noise);
            for (var i = 0; i < scheduler.Timesteps.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var stepScope = NewDisposeScope();
                var timesteps = full([prompts.Count], scheduler.Timesteps[i], dtype: int64, device: Device);
                var prediction = GuidedPrediction(scheduler.ScaleModelInput(sample, i), timesteps, context, uncond, guidance);
                sample = scheduler.Step(prediction, i, sample, generators).MoveToOuterDisposeScope();
            }
            return FromDenoiserSpace(sample).MoveToOuterDisposeScope();
        }
        finally
        {
            train(wasTraining);
            foreach (var generator in generators)
                generator.Dispose();
        }
    }
}
