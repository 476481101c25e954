using System.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using TorchSharp;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Runs a whole checked script: loads the base model, trains (when the script trains), then runs
/// the actions after training in script order (load, grid, combine, merge, inspect, evaluate), and
/// ends with a <see cref="FinishedEvent"/>. All output goes through the event callback.
/// </summary>
public static class PlanRunner
{
    /// <summary>What a run on a world dataset judges at the end when the script has no <c>evaluate</c>: 8 samples per prompt kind from seed 1.</summary>
    public static readonly EvaluateAction DefaultEvaluation = new(Samples: 8, Seed: 1);

    private static int running;

    /// <summary>
    /// True while a plan runs in this process. TorchSharp's default device and global seed are process-wide,
    /// so work that changes them (the pre-flight estimate builds on the meta device and calibrates with its
    /// own seed) must wait: a tensor the run made meanwhile would land on the meta device.
    /// </summary>
    public static bool IsRunning => Volatile.Read(ref running) > 0;

    /// <summary>
    /// Loads the base model a plan names (<see cref="BaseModelSource"/>): the built-in one, a checkpoint saved by
    /// <see cref="IDiffusionBase.SaveWeights"/>, or a Stable Diffusion 1.x diffusers folder or single-file checkpoint.
    /// Sets libtorch's thread count first (<see cref="TorchThreads.Apply"/>: only idle cores, so a busy machine is not slowed to a crawl).
    /// </summary>
    public static IDiffusionBase LoadBase(BasePlan plan, Action<TrainingEvent> emit)
    {
        TorchThreads.Apply();
        var device = TorchDevices.Preferred();
        var model = BaseModelSource.Open(plan).Load(message => emit(new WarningEvent(message)));
        if (device.type != DeviceType.CPU)
            model.MoveTo(device);
        return model;
    }

    /// <summary>Runs <paramref name="plan"/> and returns its last event.</summary>
    /// <param name="plan">A plan from a script without errors.</param>
    /// <param name="onEvent">Receives every event, in order.</param>
    /// <param name="cancellationToken">Stops training within one step (after writing a checkpoint).</param>
    /// <param name="evaluator">Scores loaded adapters for <c>evaluate</c>, and a trained adapter on a world dataset at the end (the world judge); null reports losses only.</param>
    public static FinishedEvent Run(ScriptPlan plan, Action<TrainingEvent>? onEvent = null, CancellationToken cancellationToken = default,
        IAdapterEvaluator? evaluator = null)
    {
        Interlocked.Increment(ref running);
        try
        {
            return RunPlan(plan, onEvent ?? (_ => { }), cancellationToken, evaluator);
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    }

    private static FinishedEvent RunPlan(ScriptPlan plan, Action<TrainingEvent> emit, CancellationToken cancellationToken, IAdapterEvaluator? evaluator)
    {
        var clock = Stopwatch.StartNew();
        using var model = LoadBase(plan.Base, emit);
        using var lora = new LoraModel([.. model.Parts]);
        TrainingResult? trained = null;
        if (plan.Training is { } training)
        {
            trained = new LoraTrainer(model, lora, training).Run(emit, cancellationToken);
            trained.Network.Enabled = false; // until a load action (or a grid / evaluate without one) asks for it
        }

        var metrics = trained?.Metrics ?? new EvaluationMetrics();
        var loaded = new List<(LoraNetwork Network, double Strength)>();
        var gridIndex = 0;
        var evaluated = false;
        foreach (var action in plan.Actions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (action)
            {
                case LoadAdapterAction load:
                    loaded.Add((Load(lora, load.Path, trained, loaded.Count), load.Strength));
                    break;
                case GridAction grid:
                    var adapters = InUse(loaded, trained);
                    gridIndex++;
                    foreach (var seed in grid.Seeds)
                    {
                        var path = GridPath(plan, trained, grid, gridIndex, seed);
                        var prompts = grid.Prompts.Select(p => new SamplePrompt(p, null, seed, grid.Steps, grid.Guidance)).ToList();
                        emit(PreviewGrid.Draw(model, adapters, prompts, grid.Strengths, grid.Sampler, path, null, cancellationToken));
                    }
                    break;
                case CombineAction combine:
                    var parts = combine.Adapters.Select((a, i) => (AdapterFile.Load(a.Path, lora.Parts, $"combine-{i}"), a.Weight)).ToList();
                    AdapterFile.Save(AdapterCombiner.Combine(parts, "combined"), combine.OutputPath);
                    emit(new FileWrittenEvent(Path.GetFullPath(combine.OutputPath), "combined adapter"));
                    break;
                case MergeAction merge:
                    var network = lora.Add(AdapterFile.Load(merge.AdapterPath, lora.Parts, $"merge-{gridIndex}-{loaded.Count}"));
                    network.Strength = merge.Strength;
                    lora.Merge(network.AdapterName);
                    try
                    {
                        model.SaveWeights(merge.OutputPath);
                    }
                    finally
                    {
                        lora.Unmerge();
                        lora.Remove(network.AdapterName);
                    }
                    emit(new FileWrittenEvent(Path.GetFullPath(merge.OutputPath), "merged base model"));
                    break;
                case InspectAction inspect:
                    emit(new InspectEvent(AdapterReport.Read(inspect.AdapterPath)));
                    break;
                case EvaluateAction evaluate:
                    metrics = Evaluate(evaluator, model, InUse(loaded, trained), plan.Training, evaluate, metrics, cancellationToken);
                    evaluated = true;
                    emit(new EvaluationEvent(metrics));
                    break;
                default:
                    throw new ArgumentException($"unknown action {action.GetType().Name}");
            }
        }
        if (!evaluated && evaluator is not null && trained is not null && plan.Training!.TaughtWorld is not null)
        {
            metrics = Evaluate(evaluator, model, [(trained.Network, 1.0)], plan.Training, DefaultEvaluation, metrics, cancellationToken);
            emit(new EvaluationEvent(metrics));
        }
        var finished = new FinishedEvent(trained?.AdapterPath, trained?.Trigger, trained?.Steps ?? 0, clock.Elapsed, metrics);
        emit(finished);
        return finished;
    }

    private static EvaluationMetrics Evaluate(IAdapterEvaluator? evaluator, IDiffusionBase model, IReadOnlyList<(LoraNetwork, double)> adapters,
        TrainingPlan? training, EvaluateAction action, EvaluationMetrics losses, CancellationToken cancellationToken)
    {
        var scored = evaluator?.Evaluate(model, adapters, training, action, cancellationToken) ?? new EvaluationMetrics();
        return scored with { TrainLoss = losses.TrainLoss, ValidationLoss = losses.ValidationLoss };
    }

    private static LoraNetwork Load(LoraModel lora, string path, TrainingResult? trained, int index)
    {
        if (trained is not null && Path.GetFullPath(path) == trained.AdapterPath)
        {
            trained.Network.Enabled = true;
            return trained.Network;
        }
        return lora.Add(AdapterFile.Load(path, lora.Parts, $"loaded-{index}"));
    }

    /// <summary>The loaded adapters, or the trained one at strength 1 when none was loaded.</summary>
    private static List<(LoraNetwork, double)> InUse(List<(LoraNetwork Network, double Strength)> loaded, TrainingResult? trained)
    {
        if (loaded.Count > 0)
            return loaded;
        if (trained is null)
            throw new UserErrorException("grid and evaluate need an adapter: train one or load one first");
        trained.Network.Enabled = true;
        return [(trained.Network, 1.0)];
    }

    private static string GridPath(ScriptPlan plan, TrainingResult? trained, GridAction grid, int index, int seed)
    {
        var suffix = grid.Seeds.Count > 1 ? $"-seed{seed}" : "";
        if (grid.Output is { } output)
            return Path.ChangeExtension(output, null) + suffix + ".png";
        var folder = trained is null ? plan.ScriptDirectory : Path.GetDirectoryName(trained.AdapterPath)!;
        var stem = trained is null ? "grid" : Path.GetFileNameWithoutExtension(trained.AdapterPath) + "-grid";
        return Path.Combine(folder, $"{stem}{index}{suffix}.png");
    }
}
