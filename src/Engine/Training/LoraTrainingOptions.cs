using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>The settings of a LoRA training run on a diffusion model.</summary>
public sealed record LoraTrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Images per step.</summary>
    public int Batch { get; init; } = 8;

    /// <summary>AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of adapter initialisation, batch order, noise and timesteps.</summary>
    public long Seed { get; init; }

    /// <summary>The adapter's rank, alpha and targets.</summary>
    public LoraOptions Lora { get; init; } = new() { Rank = 4, Alpha = 4, Targets = [new TargetRule("**.attn1.**"), new TargetRule("**.attn2.**")] };

    /// <summary>min-SNR gamma and noise offset.</summary>
    public DiffusionLossOptions Loss { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (Steps < 1)
            throw new ArgumentException($"steps must be at least 1, not {Steps}");
        if (Batch < 1)
            throw new ArgumentException($"batch must be at least 1, not {Batch}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"the learning rate must be a positive number, not {LearningRate}");
        Lora.Validate();
    }
}

/// <summary>What happened in one optimizer step.</summary>
public sealed record TrainingStep(int Step, int TotalSteps, double Loss, double SmoothedLoss, double LearningRate, double ImagesPerSecond, TimeSpan Eta);

/// <summary>A loss that is NaN or infinite: the run stops and says where and what usually causes it.</summary>
public sealed class TrainingDivergedException(int step, double loss) : Exception(
    $"the loss became {loss} at step {step}; likely causes: a learning rate too high, alpha far above rank, or corrupt images")
{
    /// <summary>The step whose loss was not finite.</summary>
    public int Step { get; } = step;
}
