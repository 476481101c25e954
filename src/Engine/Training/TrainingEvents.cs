namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Something a run reports while it goes. Renderers (the terminal, <c>--json</c>, the notebook
/// kernel) consume these; the trainer knows nothing of them. Every event is a plain immutable record.
/// </summary>
public abstract record TrainingEvent;

/// <summary>An optimizer step finished.</summary>
/// <param name="Step">Steps done, 1 … <paramref name="TotalSteps"/>.</param>
/// <param name="TotalSteps">Steps in the run.</param>
/// <param name="Epoch">The epoch this step belongs to, from 1.</param>
/// <param name="Loss">This step's loss (mean over its micro-batches).</param>
/// <param name="SmoothedLoss">Exponential moving average of the loss (weight 0.1 for the newest), less noisy to read.</param>
/// <param name="LearningRate">The U-Net adapters' learning rate used by this step, after schedule and warm-up.</param>
/// <param name="ImagesPerSecond">Training images per second since the run (or resume) began.</param>
/// <param name="Eta">Estimated time to the last step.</param>
public sealed record StepEvent(int Step, int TotalSteps, int Epoch, double Loss, double SmoothedLoss, double LearningRate, double ImagesPerSecond, TimeSpan Eta) : TrainingEvent;

/// <summary>An epoch (every training image × repeats seen once) ended at <paramref name="Step"/>.</summary>
public sealed record EpochEvent(int Epoch, int Step, double MeanLoss) : TrainingEvent;

/// <summary>Loss on the held-out images at fixed timesteps and noise, so values are comparable across steps.</summary>
public sealed record ValidationEvent(int Step, double Loss, int Images) : TrainingEvent;

/// <summary>A preview grid was drawn: rows are <paramref name="Prompts"/>, columns <paramref name="Strengths"/>.</summary>
/// <param name="Path">The grid PNG file.</param>
/// <param name="Png">The same PNG, for renderers that show it inline.</param>
/// <param name="Prompts">Row labels.</param>
/// <param name="Strengths">Column labels (0 is the base model).</param>
/// <param name="Step">The step it shows, or null for a grid drawn after training.</param>
/// <param name="Seeds">Each row's seed.</param>
public sealed record SampleGridEvent(string Path, byte[] Png, IReadOnlyList<string> Prompts, IReadOnlyList<double> Strengths, int? Step,
    IReadOnlyList<long> Seeds) : TrainingEvent;

/// <summary>A resumable checkpoint was written (atomically) at <paramref name="Step"/>.</summary>
public sealed record CheckpointEvent(string Path, int Step) : TrainingEvent;

/// <summary>Something the user should know that does not stop the run (skipped images, a resumed checkpoint…).</summary>
public sealed record WarningEvent(string Message) : TrainingEvent;

/// <summary>An adapter or model file was written by an action after training (combine, merge).</summary>
public sealed record FileWrittenEvent(string Path, string What) : TrainingEvent;

/// <summary>An adapter's card, from an <c>inspect</c> action.</summary>
public sealed record InspectEvent(Adapters.AdapterReport Report) : TrainingEvent;

/// <summary>Scores from an <c>evaluate</c> action; a score the run could not measure is null.</summary>
public sealed record EvaluationEvent(EvaluationMetrics Metrics) : TrainingEvent;

/// <summary>The run is done: the last event of every successful run.</summary>
/// <param name="AdapterPath">The trained adapter file, or null when the script trained nothing.</param>
/// <param name="Trigger">The first dataset's trigger word, or null.</param>
/// <param name="Steps">Optimizer steps trained.</param>
/// <param name="Elapsed">Wall-clock time of the whole run.</param>
/// <param name="Metrics">Final losses and, when judged, fidelity and leakage.</param>
public sealed record FinishedEvent(string? AdapterPath, string? Trigger, int Steps, TimeSpan Elapsed, EvaluationMetrics Metrics) : TrainingEvent;

/// <summary>Numbers that say how well an adapter learnt; each is null when not measured.</summary>
/// <param name="TrainLoss">Smoothed training loss at the end.</param>
/// <param name="ValidationLoss">Loss on the held-out images.</param>
/// <param name="Fidelity">Share of trigger-prompt samples the world judge reads as the taught thing (0 to 1).</param>
/// <param name="Leakage">Share of non-trigger samples the adapter changes, as judged (0 to 1).</param>
/// <param name="PromptFollowing">Share of held-in prompts whose samples show the prompted shape and colour (0 to 1).</param>
public sealed record EvaluationMetrics(double? TrainLoss = null, double? ValidationLoss = null, double? Fidelity = null, double? Leakage = null, double? PromptFollowing = null);
