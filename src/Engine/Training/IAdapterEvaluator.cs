using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>Scores adapters for an <c>evaluate</c> action (<see cref="WorldEvaluation"/> uses the world judge).</summary>
public interface IAdapterEvaluator
{
    /// <summary>
    /// Scores <paramref name="model"/> with <paramref name="adapters"/> at their strengths; what cannot be measured
    /// stays null. Scoring samples many images: <paramref name="cancellationToken"/> stops it within one denoising step.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; nothing is scored.</exception>
    EvaluationMetrics Evaluate(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters, TrainingPlan? training,
        EvaluateAction action, CancellationToken cancellationToken = default);
}
