using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Diffusion;

/// <summary>
/// Deterministic DDIM (Song et al. 2020, η = 0): each step predicts x₀ and ε and moves to the
/// previous timestep along them, x_prev = √ᾱ_prev·x₀ + √(1−ᾱ_prev)·ε. The same initial noise always
/// gives the same image.
/// </summary>
public sealed class DdimScheduler(DdpmSchedule schedule) : IScheduler
{
    private long[] _timesteps = [];

    /// <inheritdoc/>
    public IReadOnlyList<long> Timesteps => _timesteps;

    /// <inheritdoc/>
    public void SetTimesteps(int steps) => _timesteps = SchedulerMath.TrailingTimesteps(schedule.NumTrainTimesteps, steps);

    /// <inheritdoc/>
    public Tensor ScaleInitialNoise(Tensor noise) => noise.alias();

    /// <inheritdoc/>
    public Tensor ScaleModelInput(Tensor sample, int stepIndex) => sample.alias();

    /// <inheritdoc/>
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, IReadOnlyList<Generator> generators)
    {
        using var scope = NewDisposeScope();
        var alphas = schedule.AlphasCumprod;
        var alpha = alphas[(int)_timesteps[stepIndex]];
        // After the last timestep comes the clean image: ᾱ = 1 (diffusers' set_alpha_to_one).
        var alphaPrev = stepIndex + 1 < _timesteps.Length ? alphas[(int)_timesteps[stepIndex + 1]] : 1.0;
        var (original, noise) = SchedulerMath.Decompose(modelOutput, sample, alpha, schedule.Config.PredictionType);
        return (Math.Sqrt(alphaPrev) * original + Math.Sqrt(1 - alphaPrev) * noise).MoveToOuterDisposeScope();
    }
}
