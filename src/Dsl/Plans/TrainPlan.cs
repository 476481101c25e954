namespace LoraNotebooks.Dsl.Plans;

/// <summary>How to train. A step is one optimizer update of <see cref="Batch"/> × <see cref="GradAccumulation"/> images.</summary>
/// <param name="TotalSteps">Optimizer steps to run, resolved from steps or epochs.</param>
/// <param name="StepsPerEpoch">Steps to see every training image × repeats once.</param>
/// <param name="Epochs">Epochs as written, or null when the script gave steps.</param>
/// <param name="Batch">Images per forward pass.</param>
/// <param name="GradAccumulation">Forward passes per optimizer step.</param>
/// <param name="LearningRate">For the U-Net adapters.</param>
/// <param name="TextEncoderLearningRate">For the text-encoder adapters (defaults to <paramref name="LearningRate"/>).</param>
/// <param name="Optimizer">The optimizer and its options.</param>
/// <param name="Schedule">How the learning rate changes after warm-up.</param>
/// <param name="WarmupSteps">Steps of linear warm-up from zero.</param>
/// <param name="Seed">Seed for noise, shuffling and initialisation.</param>
/// <param name="MinSnrGamma">Min-SNR loss weighting gamma, or null for none.</param>
/// <param name="NoiseOffset">Offset noise strength (0 for none).</param>
/// <param name="Precision">Compute precision.</param>
/// <param name="MaxGradNorm">Gradient clipping norm, or null for none.</param>
/// <param name="CheckpointEverySteps">Save a resumable checkpoint every N steps, or null for none.</param>
/// <param name="OutputPath">The adapter file to write (.safetensors).</param>
/// <param name="ResumePath">A checkpoint to continue from, or null.</param>
/// <param name="FailOnBadImages">Stop on an unreadable image instead of skipping it.</param>
/// <param name="Overwrite">Replace an adapter or checkpoints that another run left at the output.</param>
public sealed record TrainPlan(
    int TotalSteps,
    int StepsPerEpoch,
    int? Epochs,
    int Batch,
    int GradAccumulation,
    double LearningRate,
    double TextEncoderLearningRate,
    OptimizerPlan Optimizer,
    SchedulePlan Schedule,
    int WarmupSteps,
    int Seed,
    double? MinSnrGamma,
    double NoiseOffset,
    Precision Precision,
    double? MaxGradNorm,
    int? CheckpointEverySteps,
    string OutputPath,
    string? ResumePath,
    bool FailOnBadImages,
    bool Overwrite = false);

/// <summary>Compute precision for training.</summary>
public enum Precision
{
    /// <summary>32-bit floats.</summary>
    Fp32,
    /// <summary>bfloat16 autocast with fp32 master weights.</summary>
    Bf16,
}

/// <summary>An optimizer with its options.</summary>
public abstract record OptimizerPlan(double WeightDecay);

/// <summary>AdamW.</summary>
public sealed record AdamWOptimizer(double Beta1, double Beta2, double Epsilon, double WeightDecay) : OptimizerPlan(WeightDecay);

/// <summary>Stochastic gradient descent.</summary>
public sealed record SgdOptimizer(double Momentum, bool Nesterov, double WeightDecay) : OptimizerPlan(WeightDecay);

/// <summary>Lion.</summary>
public sealed record LionOptimizer(double Beta1, double Beta2, double WeightDecay) : OptimizerPlan(WeightDecay);

/// <summary>Prodigy (learning-rate free; lr is a multiplier).</summary>
public sealed record ProdigyOptimizer(double DCoef, double Beta1, double Beta2, double WeightDecay) : OptimizerPlan(WeightDecay);

/// <summary>A learning-rate schedule; <see cref="Cycles"/> matters for cosine with restarts only.</summary>
public sealed record SchedulePlan(ScheduleKind Kind, int Cycles);

/// <summary>Learning-rate schedule shapes.</summary>
public enum ScheduleKind
{
    /// <summary>Flat after warm-up.</summary>
    Constant,
    /// <summary>Straight down to zero.</summary>
    Linear,
    /// <summary>Half a cosine down to zero.</summary>
    Cosine,
    /// <summary>Cosine down to zero, restarted a number of times.</summary>
    CosineWithRestarts,
}
