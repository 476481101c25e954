using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Lora;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// What the trainer needs from a text-to-image base model: the parts adapters attach to, the
/// denoising loss, and sampling. The built-in <see cref="TinyDiffusionModel"/> and
/// <see cref="StableDiffusion.StableDiffusionModel"/> implement it (through <see cref="DenoisingModel"/>). Module paths follow diffusers (UNet) and CLIP (text encoder)
/// names, so the same target groups select the same kinds of layers in every base.
/// </summary>
public interface IDiffusionBase : IDisposable
{
    /// <summary>The parts adapters attach to: the denoiser (<c>lora_unet</c>) and the text encoder (<c>lora_te</c>).</summary>
    IReadOnlyList<ModelPart> Parts { get; }

    /// <summary>The image size (square, in pixels) the model was trained at and samples at.</summary>
    int Resolution { get; }

    /// <summary>Number of diffusion timesteps the loss draws from.</summary>
    int TrainTimesteps { get; }

    /// <summary>What adapter files call this base: kohya's <c>ss_base_model_version</c> and SAI's <c>modelspec.architecture</c>.</summary>
    (string KohyaVersion, string ModelSpec) Architecture { get; }

    /// <summary>The classifier-free guidance scripts get when they name none: what this base samples best with.</summary>
    double DefaultGuidance { get; }

    /// <summary>
    /// The part of <paramref name="caption"/> the text encoder reads, as its tokenizer normalises it
    /// (lower case, trimmed): all of it, or its beginning when the caption is longer than the
    /// encoder's window (46 bytes for the built-in base, 75 tokens for CLIP). Words past the end
    /// reach neither training nor sampling.
    /// </summary>
    string TextRead(string caption);

    /// <summary>Where the weights live.</summary>
    Device Device { get; }

    /// <summary>Moves the weights to <paramref name="device"/>; attach adapters afterwards, they are made on their layer's device.</summary>
    void MoveTo(Device device);

    /// <summary>Casts the base weights (e.g. to bfloat16); adapters added later stay float32.</summary>
    void CastWeights(ScalarType dtype);

    /// <summary>
    /// The mean denoising loss for clean <paramref name="images"/> [B, 3, H, W] in [0, 1] with their captions;
    /// noise (and timesteps, unless <paramref name="timesteps"/> [B] is given) come from <paramref name="generator"/>.
    /// With <paramref name="weights"/> [B, 1, H, W] (a masked loss) each picture's loss is the weighted mean over its
    /// pixels, the weights averaged down to the denoiser's resolution (a latent's for Stable Diffusion).
    /// </summary>
    Tensor Loss(Tensor images, IReadOnlyList<string> captions, Generator generator, DiffusionLossOptions? options = null, Tensor? timesteps = null, Tensor? weights = null);

    /// <summary>
    /// The output-preservation loss: <paramref name="images"/> are noised as <see cref="Loss"/> does, and the
    /// model's prediction as it is now is compared (mean squared difference) with its prediction while
    /// <paramref name="baseOnly"/> is in effect (the adapters switched off; no gradient flows there).
    /// Zero while the adapters change nothing. A share <paramref name="noisyShare"/> of the timesteps (0 to 1)
    /// is drawn from the noisiest tenth of the schedule; with 0 the draws are those of a uniform draw alone.
    /// </summary>
    Tensor PreservationLoss(Tensor images, IReadOnlyList<string> captions, Generator generator, Func<IDisposable> baseOnly, double noisyShare = 0);

    /// <summary>
    /// One image per prompt, [B, 3, H, W] in [0, 1]; image b depends only on its prompt and <paramref name="seeds"/>[b].
    /// <paramref name="cancellationToken"/> is checked before each denoising step.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled between two denoising steps.</exception>
    Tensor Sample(IReadOnlyList<string> prompts, IReadOnlyList<long> seeds, int steps = 20, double guidance = 3,
        string? negativePrompt = null, SamplerKind sampler = SamplerKind.Ddim, CancellationToken cancellationToken = default);

    /// <summary>Writes the base weights (with any merged adapters baked in) as a checkpoint the same base can load.</summary>
    void SaveWeights(string path, IReadOnlyDictionary<string, string>? metadata = null);
}
