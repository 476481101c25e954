namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// An estimate (not a measurement) of peak GPU memory for LoRA training of SD 1.5 with bf16/fp16 base
/// weights, fp32 adapters and AdamW, cached latents and memory-efficient attention (flash or
/// mem-efficient SDPA; the plain math path stores 8 × 4096² attention probabilities per self-attention
/// at 64×64 latents and needs far more).
/// </summary>
/// <remarks>
/// Activations were counted from tensor sizes: every tensor a ResNet or transformer block keeps for
/// backward, summed over the levels (64², 32², 16², 8² latents with 320, 640, 1280, 1280 channels), is
/// about 450 M values per 512 px image, of which the transformer blocks hold about two thirds; with
/// gradient checkpointing of the transformer blocks only their inputs and one block's recomputation
/// remain, about 150 M. Activations scale with the pixel count.
/// </remarks>
public static class GpuMemoryEstimate
{
    private const long ActivationsPerImage = 450_000_000;
    private const long CheckpointedActivationsPerImage = 150_000_000;
    private const long CudaContextBytes = 800L << 20;
    private const int HalfBytes = 2;

    /// <summary>Estimated peak bytes for training a rank-<paramref name="rank"/> LoRA on kohya's default modules at <paramref name="resolution"/> px and <paramref name="batch"/> images a step.</summary>
    public static long Training(ArchitectureSummary architecture, int batch, int resolution = 512, int rank = 8, bool gradientCheckpointing = false) =>
        Training(architecture, architecture.LoraParametersPerRank * rank, batch, resolution, gradientCheckpointing);

    /// <summary>
    /// Estimated peak bytes for training an adapter of <paramref name="adapterParameters"/> parameters:
    /// CUDA context + half-precision base weights + adapter (fp32 weights, gradients and AdamW's two
    /// moments: 16 bytes a parameter) + half-precision activations, which scale with batch and pixel count.
    /// </summary>
    public static long Training(ArchitectureSummary architecture, long adapterParameters, int batch, int resolution, bool gradientCheckpointing)
    {
        var weights = (architecture.UNet + architecture.TextEncoder + architecture.Vae) * HalfBytes;
        var adapters = adapterParameters * 4L * 4;
        var perImage = gradientCheckpointing ? CheckpointedActivationsPerImage : ActivationsPerImage;
        var activations = (long)(perImage * HalfBytes * batch * Math.Pow(resolution / 512.0, 2));
        return CudaContextBytes + weights + adapters + activations;
    }
}
