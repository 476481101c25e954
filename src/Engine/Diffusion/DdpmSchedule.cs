using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Diffusion;

/// <summary>
/// The forward (noising) process of DDPM: betas, ᾱ_t = Π(1 − β), and what training needs from
/// them: <see cref="AddNoise"/>, the prediction <see cref="Target"/>, and per-timestep SNR for
/// min-SNR weighting. Samplers (<see cref="DdimScheduler"/>, <see cref="EulerAncestralScheduler"/>)
/// run it backwards.
/// </summary>
public sealed class DdpmSchedule
{
    private readonly double[] _alphasCumprod;

    /// <summary>The schedule <paramref name="config"/> describes.</summary>
    public DdpmSchedule(DiffusionConfig config)
    {
        if (config.NumTrainTimesteps < 2)
            throw new ArgumentException($"num_train_timesteps must be at least 2, not {config.NumTrainTimesteps}");
        Config = config;
        var betas = Betas(config);
        _alphasCumprod = new double[betas.Length];
        var product = 1.0;
        for (var t = 0; t < betas.Length; t++)
            _alphasCumprod[t] = product *= 1 - betas[t];
    }

    /// <summary>The process's settings.</summary>
    public DiffusionConfig Config { get; }

    /// <summary>T, the number of training timesteps.</summary>
    public int NumTrainTimesteps => Config.NumTrainTimesteps;

    /// <summary>ᾱ_t for t = 0 … T−1, in double precision.</summary>
    public IReadOnlyList<double> AlphasCumprod => _alphasCumprod;

    /// <summary>x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε for clean samples [B, …], noise like them and timesteps [B].</summary>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (signal, noiseScale) = Scales(timesteps, original);
        return ScalarMath.Plus(signal * original, noiseScale * noise).MoveToOuterDisposeScope();
    }

    /// <summary>v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀.</summary>
    public Tensor GetVelocity(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (signal, noiseScale) = Scales(timesteps, original);
        return (signal * noise - noiseScale * original).MoveToOuterDisposeScope();
    }

    /// <summary>What the model should output for this noise: ε or v, by the configured prediction type.</summary>
    public Tensor Target(Tensor original, Tensor noise, Tensor timesteps) => Config.PredictionType switch
    {
        PredictionType.Epsilon => noise.alias(),
        _ => GetVelocity(original, noise, timesteps),
    };

    /// <summary>The signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) at timesteps [B], as float32.</summary>
    public Tensor Snr(Tensor timesteps)
    {
        var snr = _alphasCumprod.Select(a => (float)(a / (1 - a))).ToArray();
        using var table = tensor(snr, device: timesteps.device);
        return table.index_select(0, timesteps.to(int64));
    }

    /// <summary>
    /// Min-SNR-γ loss weights [B] (Hang et al. 2023): min(SNR, γ)/SNR for ε-prediction,
    /// min(SNR, γ)/(SNR + 1) for v-prediction.
    /// </summary>
    public Tensor MinSnrWeights(Tensor timesteps, double gamma)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var snr = Snr(timesteps);
        var clipped = snr.clamp(max: s[gamma]);
        var weights = Config.PredictionType == PredictionType.Epsilon ? clipped / snr : clipped / snr.add(ScalarMath.One, ScalarMath.One);
        return weights.MoveToOuterDisposeScope();
    }

    /// <summary>√ᾱ_t and √(1−ᾱ_t), shaped to broadcast against <paramref name="like"/>.</summary>
    private (Tensor Signal, Tensor Noise) Scales(Tensor timesteps, Tensor like)
    {
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        var index = timesteps.to(int64).cpu().data<long>().ToArray();
        var signal = index.Select(t => (float)Math.Sqrt(_alphasCumprod[t])).ToArray();
        var noise = index.Select(t => (float)Math.Sqrt(1 - _alphasCumprod[t])).ToArray();
        return (tensor(signal, device: like.device).to(like.dtype).view(shape),
                tensor(noise, device: like.device).to(like.dtype).view(shape));
    }

    private static double[] Betas(DiffusionConfig config)
    {
        var count = config.NumTrainTimesteps;
        double Lerp(double from, double to, int i) => from + (to - from) * i / (count - 1);
        return config.BetaSchedule switch
        {
            BetaSchedule.Linear => Enumerable.Range(0, count).Select(i => Lerp(config.BetaStart, config.BetaEnd, i)).ToArray(),
            BetaSchedule.ScaledLinear => Enumerable.Range(0, count)
                .Select(i => Math.Pow(Lerp(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), i), 2)).ToArray(),
            BetaSchedule.SquaredcosCapV2 => Enumerable.Range(0, count)
                .Select(i => Math.Min(1 - CosineAlphaBar((i + 1.0) / count) / CosineAlphaBar((double)i / count), 0.999)).ToArray(),
            _ => throw new ArgumentException($"unknown beta schedule {config.BetaSchedule}"),
        };
    }

    private static double CosineAlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
}
