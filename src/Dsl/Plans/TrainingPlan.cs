using System.ComponentModel;

namespace LoraNotebooks.Dsl.Plans;

/// <summary>One training run: what to learn from, the adapter's shape, how to train, and what to preview.</summary>
/// <param name="Datasets">At least one.</param>
/// <param name="Lora">The adapter to train.</param>
/// <param name="Train">Optimisation settings, with step counts resolved.</param>
/// <param name="Sample">Previews during training, or null for none.</param>
public sealed record TrainingPlan(ValueList<DatasetPlan> Datasets, LoraPlan Lora, TrainPlan Train, SamplePlan? Sample)
{
    /// <summary>The first dataset that teaches (not one that preserves).</summary>
    [Browsable(false)]
    public DatasetPlan? Teaching => Datasets.FirstOrDefault(d => !d.Preserves);

    /// <summary>The world member the adapter learns, when the first teaching dataset is drawn from the world; else null.</summary>
    [Browsable(false)]
    public WorldSource? TaughtWorld => Datasets.Where(d => !d.Preserves).Select(d => d.Source).OfType<WorldSource>().FirstOrDefault(w => !w.IsHeldIn);

    /// <summary>The trigger of the first dataset that has one, or null.</summary>
    [Browsable(false)]
    public string? Trigger => Datasets.Select(d => d.Trigger).FirstOrDefault(t => t is not null);
}
