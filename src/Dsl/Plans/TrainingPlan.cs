namespace LoraNotebooks.Dsl.Plans;

/// <summary>One training run: what to learn from, the adapter's shape, how to train, and what to preview.</summary>
/// <param name="Datasets">At least one.</param>
/// <param name="Lora">The adapter to train.</param>
/// <param name="Train">Optimisation settings, with step counts resolved.</param>
/// <param name="Sample">Previews during training, or null for none.</param>
public sealed record TrainingPlan(ValueList<DatasetPlan> Datasets, LoraPlan Lora, TrainPlan Train, SamplePlan? Sample);
