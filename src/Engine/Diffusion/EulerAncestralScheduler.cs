using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Diffusion;

/// <summary>
/// Euler-ancestral sampling (k-diffusion's <c>sample_euler_ancestral</c>, diffusers'
/// EulerAncestralDiscreteScheduler) in σ-space, σ = √((1−ᾱ)/ᾱ): an Euler step down to σ_down, then
/// fresh noise of size σ_up, drawn per image from that image's generator.
/// </summary>
public sealed class EulerAncestralScheduler(DdpmSchedule schedule) : IScheduler
{
    private long[] _timesteps = [];
    private double[] _sigmas = [];

    /// <inheritdoc/>
    public IReadOnlyList<long> Timesteps => _timesteps;

    /// <inheritdoc/>
    public void SetTimesteps(int steps)
    {
        _timesteps = SchedulerMath.TrailingTimesteps(schedule.NumTrainTimesteps, steps);
        _sigmas = [.. _timesteps.Select(t => Sigma(schedule.AlphasCumprod[(int)t])), 0.0];
    }

    /// <inheritdoc/>
    public Tensor ScaleInitialNoise(Tensor noise) => noise * Math.Sqrt(_sigmas[0] * _sigmas[0] + 1);

    /// <inheritdoc/>
    public Tensor ScaleModelInput(Tensor sample, int stepIndex) => sample / Math.Sqrt(_sigmas[stepIndex] * _sigmas[stepIndex] + 1);

    /// <inheritdoc/>
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, IReadOnlyList<Generator> generators)
    {
        using var scope = NewDisposeScope();
        var (from, to) = (_sigmas[stepIndex], _sigmas[stepIndex + 1]);
        var alpha = schedule.AlphasCumprod[(int)_timesteps[stepIndex]];
        // The model saw x_t = sample / √(σ² + 1); decompose there, then return to σ-space.
        var modelInput = sample / Math.Sqrt(from * from + 1);
        var (original, _) = SchedulerMath.Decompose(modelOutput, modelInput, alpha, schedule.Config.PredictionType);
        var sigmaUp = Math.Sqrt(to * to * (from * from - to * to) / (from * from));
        var sigmaDown = Math.Sqrt(to * to - sigmaUp * sigmaUp);
        var derivative = (sample - original) / from;
        var next = sample + derivative * (sigmaDown - from);
        if (sigmaUp > 0)
            next = next + SchedulerMath.Noise(sample, generators) * sigmaUp;
        return next.MoveToOuterDisposeScope();
    }

    private static double Sigma(double alphaCumprod) => Math.Sqrt((1 - alphaCumprod) / alphaCumprod);
}
