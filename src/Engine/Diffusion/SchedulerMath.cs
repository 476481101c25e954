using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Diffusion;

/// <summary>Pieces the samplers share: timestep spacing, x₀ from a prediction, per-image noise.</summary>
internal static class SchedulerMath
{
    /// <summary>
    /// diffusers' "trailing" spacing: T−1, T−1−T/n, …, so sampling starts at the noisiest timestep,
    /// where the model was trained to see pure noise.
    /// </summary>
    public static long[] TrailingTimesteps(int trainTimesteps, int steps)
    {
        if (steps < 1 || steps > trainTimesteps)
            throw new ArgumentException($"sampling steps must be between 1 and {trainTimesteps}, not {steps}");
        var stride = (double)trainTimesteps / steps;
        return Enumerable.Range(0, steps).Select(i => (long)Math.Round(trainTimesteps - i * stride) - 1).ToArray();
    }

    /// <summary>(x₀, ε) implied by a prediction at ᾱ for noisy sample x_t (x_t = √ᾱ·x₀ + √(1−ᾱ)·ε); x₀ clipped to [−1, 1].</summary>
    public static (Tensor Original, Tensor Noise) Decompose(Tensor prediction, Tensor sample, double alphaCumprod, PredictionType type)
    {
        var (signal, noise) = (Math.Sqrt(alphaCumprod), Math.Sqrt(1 - alphaCumprod));
        var original = type == PredictionType.Epsilon
            ? (sample - noise * prediction) / signal
            : signal * sample - noise * prediction;
        // Images live in [-1, 1]; clipping x0 keeps early eps-predictions near pure noise from blowing up.
        original = original.clamp(-1, 1);
        return (original, (sample - signal * original) / noise);
    }

    /// <summary>Unit Gaussian noise shaped like <paramref name="like"/>, row b drawn from <paramref name="generators"/>[b].</summary>
    public static Tensor Noise(Tensor like, IReadOnlyList<Generator> generators)
    {
        if (generators.Count != like.shape[0])
            throw new ArgumentException($"one generator per image is needed: {like.shape[0]} images, {generators.Count} generators");
        var rowShape = like.shape[1..];
        var rows = generators.Select(g => randn(rowShape, dtype: float32, generator: g)).ToArray();
        return stack(rows).to(like.dtype).to(like.device);
    }
}
