using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Preflight;

namespace LoraNotebooks.Dsl.Tests.TestSupport;

/// <summary>A stand-in for the engine's estimator: simple, predictable arithmetic.</summary>
public sealed class FixedEstimator : IPreflightEstimator
{
    public static FixedEstimator Instance { get; } = new();

    public PreflightEstimate Estimate(BasePlan basePlan, TrainingPlan training)
    {
        long parameters = training.Lora.Rank * 12_288L;
        return new PreflightEstimate(
            parameters,
            parameters * 2 + 4_096,
            512L * 1024 * 1024 + training.Train.Batch * 16L * 1024 * 1024,
            TimeSpan.FromSeconds(training.Train.TotalSteps * 0.25),
            "test double");
    }
}
