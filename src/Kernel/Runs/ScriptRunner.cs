using System.Diagnostics;
using System.Globalization;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// Runs a checked plan on the engine's trainer (<see cref="PlanRunner"/>) and translates its events
/// into <see cref="IRunObserver"/> calls for the notebook's live display; collects the result as a <see cref="LoraRun"/>.
/// One run at a time is <see cref="RunSession"/>'s rule (it is the only caller).
/// </summary>
public static class ScriptRunner
{
    /// <summary>Trains (when the plan trains) and runs the plan's actions, reporting to <paramref name="observer"/>.</summary>
    /// <remarks>A cancelled run returns with <see cref="LoraRun.Cancelled"/> set (after the trainer wrote its checkpoint) instead of throwing.</remarks>
    public static LoraRun Run(ScriptPlan plan, IRunObserver observer, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var baseBytes = BaseModelBytes(plan.Base);
        var state = new RunState();
        if (plan.Training is { } training)
            observer.Started(Path.GetFileNameWithoutExtension(training.Train.OutputPath), training.Train.TotalSteps);
        try
        {
            var finished = PlanRunner.Run(plan, e => Translate(e, observer, state, baseBytes), cancellationToken, WorldEvaluation.For(plan));
            state.AdapterPath = finished.AdapterPath;
            state.Metrics = finished.Metrics;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            state.Cancelled = true;
        }
        var report = state.AdapterPath is null ? null : AdapterReport.Read(state.AdapterPath);
        if (report is not null)
            state.Cards.Insert(0, new AdapterCard(report, baseBytes));
        var run = new LoraRun(state.AdapterPath, report, state.Steps, state.Validation, state.Grids, state.Cards,
            state.Steps.Count, plan.Training?.Train.TotalSteps ?? 0, state.Cancelled, state.CheckpointPath, clock.Elapsed, state.Metrics);
        observer.Finished(run);
        return run;
    }

    private static void Translate(TrainingEvent e, IRunObserver observer, RunState state, long? baseBytes)
    {
        switch (e)
        {
            case StepEvent step:
                var point = new StepPoint(step.Step, step.TotalSteps, step.Loss, step.SmoothedLoss, step.LearningRate, step.ImagesPerSecond, step.Eta);
                state.Steps.Add(point);
                observer.Step(point);
                break;
            case ValidationEvent validation:
                var measured = new ValidationPoint(validation.Step, validation.Loss);
                state.Validation.Add(measured);
                observer.Validation(measured);
                break;
            case SampleGridEvent grid:
                var drawn = Grid(grid);
                state.Grids.Add(drawn);
                observer.SampleGrid(drawn, preview: grid.Step is not null);
                break;
            case CheckpointEvent checkpoint:
                state.CheckpointPath = checkpoint.Path;
                observer.Checkpoint(checkpoint.Step, checkpoint.Path);
                break;
            case WarningEvent warning:
                observer.Warning(warning.Message);
                break;
            case InspectEvent inspect:
                state.Cards.Add(new AdapterCard(inspect.Report, baseBytes));
                break;
            case EvaluationEvent evaluation:
                state.Metrics = evaluation.Metrics;
                break;
        }
    }

    /// <summary>The grid with one PNG per cell, read from the files the trainer writes beside the grid (<c>GRID/r0-s1.png</c>).</summary>
    private static SampleGrid Grid(SampleGridEvent e)
    {
        var inv = CultureInfo.InvariantCulture;
        var folder = Path.ChangeExtension(e.Path, null);
        var cells = new List<byte[]>();
        for (var row = 0; row < e.Prompts.Count; row++)
            foreach (var strength in e.Strengths)
                cells.Add(File.ReadAllBytes(Path.Combine(folder, string.Create(inv, $"r{row}-s{strength}.png"))));
        var title = e.Step is { } step ? $"step {step}" : Path.GetFileNameWithoutExtension(e.Path);
        return new SampleGrid(title, [.. e.Prompts.Select((p, i) => string.Create(inv, $"{p} (seed {e.Seeds[i]})"))], [.. e.Strengths.Select(s => "strength " + s.ToString("0.##", inv))], cells);
    }

    /// <summary>The base model's file size, or for a built-in base with no shipped file, its fp32 weights' size.</summary>
    private static long? BaseModelBytes(BasePlan plan)
    {
        if ((plan.CheckpointPath ?? BuiltInBase.Locate()) is { } path)
            return File.Exists(path) ? new FileInfo(path).Length : null;
        using var model = new TinyDiffusionModel();
        return model.parameters().Sum(p => p.numel()) * sizeof(float);
    }

    private sealed class RunState
    {
        public List<StepPoint> Steps { get; } = [];
        public List<ValidationPoint> Validation { get; } = [];
        public List<SampleGrid> Grids { get; } = [];
        public List<AdapterCard> Cards { get; } = [];
        public string? AdapterPath { get; set; }
        public string? CheckpointPath { get; set; }
        public EvaluationMetrics? Metrics { get; set; }
        public bool Cancelled { get; set; }
    }
}
