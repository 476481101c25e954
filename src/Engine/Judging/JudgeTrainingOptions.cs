using System.Text.Json.Serialization;

namespace LoraNotebooks.Engine.Judging;

/// <summary>How <see cref="JudgeTrainer"/> trains a judge. The defaults trained the shipped one.</summary>
public sealed record JudgeTrainingOptions
{
    /// <summary>Seeds the initial weights, the augmentations and the world seeds of the training pictures.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; }

    /// <summary>Optimizer steps; each sees a fresh batch of pictures.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; } = 1500;

    /// <summary>Pictures per step.</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 64;

    /// <summary>Peak AdamW learning rate; it decays to zero along a cosine after a short warm-up.</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 3e-3;

    /// <summary>AdamW's decoupled weight decay.</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 1e-4;

    /// <summary>
    /// Largest standard deviation of the gaussian noise added to a training picture (each picture
    /// draws its own from 0 to this), so the judge tolerates grainy diffusion samples.
    /// </summary>
    [JsonPropertyName("max_noise")] public double MaxNoise { get; init; } = 0.05;

    /// <summary>Share of training pictures softened by a 3×3 blur.</summary>
    [JsonPropertyName("blur_share")] public double BlurShare { get; init; } = 0.25;

    /// <summary>Share of training pictures moved by one pixel up, down, left or right.</summary>
    [JsonPropertyName("shift_share")] public double ShiftShare { get; init; } = 0.25;

    /// <summary>The judge's shape.</summary>
    [JsonIgnore] public JudgeConfig Config { get; init; } = JudgeConfig.Default;

    /// <summary>The world seed of step <paramref name="step"/>'s pictures: non-negative for the default seed, so negative seeds stay fresh for evaluation.</summary>
    internal int WorldSeed(int step) => unchecked(Seed * 1_000_003 + step);
}
