using System.Text;

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
/// <param name="MinTimestep">The lowest timestep the teaching loss draws (kohya's <c>min_timestep</c>); 0 by default.</param>
/// <param name="MaxTimestep">
/// The teaching loss draws timesteps below this one (kohya's <c>max_timestep</c>, exclusive), or null for the base's whole
/// schedule. Preserving datasets draw from the whole schedule either way.
/// </param>
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
    bool Overwrite = false,
    int MinTimestep = 0,
    int? MaxTimestep = null)
{
    // A plan's text is its run's fingerprint (checkpoints and outputs carry it): a plan without a timestep range
    // prints exactly as the compiler's record printing did before the range existed, so those runs keep their fingerprints.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("TotalSteps = ").Append(TotalSteps.ToString())
            .Append(", StepsPerEpoch = ").Append(StepsPerEpoch.ToString())
            .Append(", Epochs = ").Append(Epochs?.ToString())
            .Append(", Batch = ").Append(Batch.ToString())
            .Append(", GradAccumulation = ").Append(GradAccumulation.ToString())
            .Append(", LearningRate = ").Append(LearningRate.ToString())
            .Append(", TextEncoderLearningRate = ").Append(TextEncoderLearningRate.ToString())
            .Append(", Optimizer = ").Append(Optimizer)
            .Append(", Schedule = ").Append(Schedule)
            .Append(", WarmupSteps = ").Append(WarmupSteps.ToString())
            .Append(", Seed = ").Append(Seed.ToString())
            .Append(", MinSnrGamma = ").Append(MinSnrGamma?.ToString())
            .Append(", NoiseOffset = ").Append(NoiseOffset.ToString())
            .Append(", Precision = ").Append(Precision.ToString())
            .Append(", MaxGradNorm = ").Append(MaxGradNorm?.ToString())
            .Append(", CheckpointEverySteps = ").Append(CheckpointEverySteps?.ToString())
            .Append(", OutputPath = ").Append(OutputPath)
            .Append(", ResumePath = ").Append(ResumePath)
            .Append(", FailOnBadImages = ").Append(FailOnBadImages.ToString())
            .Append(", Overwrite = ").Append(Overwrite.ToString());
        if (MinTimestep != 0 || MaxTimestep is not null)
            builder.Append(", MinTimestep = ").Append(MinTimestep.ToString()).Append(", MaxTimestep = ").Append(MaxTimestep?.ToString());
        return true;
    }
}

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
