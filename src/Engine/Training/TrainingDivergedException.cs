namespace LoraNotebooks.Engine.Training;

/// <summary>A loss that is NaN or infinite: the run stops and says where and what usually causes it.</summary>
public sealed class TrainingDivergedException(int step, double loss) : Exception(
    $"the loss became {loss} at step {step}; likely causes: a learning rate too high, alpha far above rank, " +
    "gradient clipping turned off (max_grad_norm 0), or corrupt images")
{
    /// <summary>The step whose loss was not finite.</summary>
    public int Step { get; } = step;
}
