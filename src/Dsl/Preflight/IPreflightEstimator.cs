using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Dsl.Preflight;

/// <summary>
/// Estimates what a training run will cost on this machine. The engine implements it (module shapes
/// for parameter counts, a quick calibration for memory and time); the language only shows the numbers.
/// </summary>
public interface IPreflightEstimator
{
    /// <summary>Estimates for training <paramref name="training"/> on top of <paramref name="basePlan"/>.</summary>
    /// <remarks>May throw with a message a person can act on (an unreadable base); the summary then shows that message instead of numbers.</remarks>
    PreflightEstimate Estimate(BasePlan basePlan, TrainingPlan training);
}
