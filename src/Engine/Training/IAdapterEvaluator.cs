using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>Scores adapters for an <c>evaluate</c> action (<see cref="WorldEvaluation"/> uses the world judge).</summary>
public interface IAdapterEvaluator
{
    /// <summary>Scores <paramref name="model"/> with <paramref name="adapters"/> at their strengths; what cannot be measured stays null.</summary>
    EvaluationMetrics Evaluate(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters, TrainingPlan? training, EvaluateAction action);
}
