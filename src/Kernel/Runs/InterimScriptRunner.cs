using System.Diagnostics;
using System.Globalization;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using TorchSharp;
using static TorchSharp.torch;
using DslLoraInit = LoraNotebooks.Dsl.Plans.LoraInit;
using EngineLoraInit = LoraNotebooks.Engine.Lora.LoraInit;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// Runs a checked plan on the engine's minimal training loop (<see cref="LoraTrainer"/>) until the full
/// trainer, which executes every part of a plan, lands; then this file is replaced by a translation of
/// the trainer's events into <see cref="IRunObserver"/> calls. What the minimal loop cannot do yet
/// (optimizers other than AdamW, schedules, warm-up, combine/merge/evaluate) is reported as a warning.
/// </summary>
public static class InterimScriptRunner
{
    /// <summary>Runs share the loaded base models, so they take turns.</summary>
    private static readonly Lock RunGate = new();

    /// <summary>Trains (when the plan trains) and runs the plan's actions, reporting to <paramref name="observer"/>.</summary>
    /// <remarks>A cancelled run returns with <see cref="LoraRun.Cancelled"/> set instead of throwing.</remarks>
    public static LoraRun Run(ScriptPlan plan, IRunObserver observer, CancellationToken cancellationToken)
    {
        lock (RunGate) return RunAlone(plan, observer, cancellationToken);
    }

    private static LoraRun RunAlone(ScriptPlan plan, IRunObserver observer, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (model, baseBytes, baseWarning) = BaseModels.Get(plan.Base);
        if (baseWarning is not null) observer.Warning(baseWarning);
        using var lora = new LoraModel(model.Parts);
        var state = new RunState();
        try
        {
            if (plan.Training is { } training)
                Train(model, lora, training, observer, state, cancellationToken);
            foreach (var action in plan.Actions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RunAction(model, lora, action, baseBytes, observer, state, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            state.Cancelled = true;
            if (state.Network is { } network && state.Steps.Count > 0 && plan.Training is { } t)
            {
                var path = CheckpointPath(t.Train.OutputPath, state.Steps.Count);
                AdapterFile.Save(network, path, metadata: Metadata(t, state.Steps.Count));
                state.CheckpointPath = path;
                observer.Checkpoint(state.Steps.Count, path);
            }
        }
        var report = state.AdapterPath is null ? null : AdapterReport.Read(state.AdapterPath);
        if (report is not null) state.Cards.Insert(0, new AdapterCard(report, baseBytes));
        var run = new LoraRun(state.AdapterPath, report, state.Steps, state.Validation, state.Grids, state.Cards,
            state.Steps.Count, plan.Training?.Train.TotalSteps ?? 0, state.Cancelled, state.CheckpointPath, clock.Elapsed);
        observer.Finished(run);
        return run;
    }

    private sealed class RunState
    {
        public List<StepPoint> Steps { get; } = [];
        public List<ValidationPoint> Validation { get; } = [];
        public List<SampleGrid> Grids { get; } = [];
        public List<AdapterCard> Cards { get; } = [];
        public LoraNetwork? Network { get; set; }
        public string? AdapterPath { get; set; }
        public string? CheckpointPath { get; set; }
        public bool Cancelled { get; set; }
    }

    private static void Train(TinyDiffusionModel model, LoraModel lora, TrainingPlan training, IRunObserver observer, RunState state, CancellationToken cancellationToken)
    {
        var train = training.Train;
        foreach (var warning in Unsupported(train)) observer.Warning(warning);
        var size = model.Config.Unet.SampleSize;
        var images = training.Datasets.SelectMany(d => Load(d, size, observer)).ToList();
        var validationCount = training.Datasets.Sum(d => d.ValidationImages);
        var held = images.TakeLast(validationCount).ToList();
        var data = images.Take(images.Count - held.Count).ToList();
        var name = Path.GetFileNameWithoutExtension(train.OutputPath);
        var options = new LoraTrainingOptions
        {
            Steps = train.TotalSteps,
            Batch = train.Batch,
            LearningRate = train.LearningRate,
            Seed = train.Seed,
            Lora = Options(training.Lora),
            Loss = new DiffusionLossOptions(train.MinSnrGamma, train.NoiseOffset),
        };
        observer.Started(name, train.TotalSteps);
        var network = LoraTrainer.Train(model, lora, name, data, options, step =>
        {
            state.Network ??= lora[name];
            var point = new StepPoint(step.Step, step.TotalSteps, step.Loss, step.SmoothedLoss, step.LearningRate, step.ImagesPerSecond, step.Eta);
            state.Steps.Add(point);
            observer.Step(point);
            var previewDue = training.Sample is { } sample && (step.Step % sample.EverySteps == 0 || step.Step == step.TotalSteps);
            if (previewDue || step.Step == step.TotalSteps)
            {
                if (held.Count > 0)
                {
                    var validation = new ValidationPoint(step.Step, ValidationLoss(model, held, train.Seed));
                    state.Validation.Add(validation);
                    observer.Validation(validation);
                }
                if (previewDue)
                {
                    var grid = Preview(model, lora, training.Sample!, $"step {step.Step}", cancellationToken);
                    state.Grids.Add(grid);
                    observer.SampleGrid(grid, preview: true);
                }
            }
        }, cancellationToken);
        state.Network = network;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(train.OutputPath))!);
        AdapterFile.Save(network, train.OutputPath, metadata: Metadata(training, train.TotalSteps));
        state.AdapterPath = Path.GetFullPath(train.OutputPath);
    }

    private static IEnumerable<string> Unsupported(TrainPlan train)
    {
        const string until = "until the full trainer lands";
        if (train.Optimizer is not AdamWOptimizer) yield return $"the interim trainer uses AdamW {until}; {train.Optimizer.GetType().Name} is ignored";
        if (train.Schedule.Kind != ScheduleKind.Constant || train.WarmupSteps > 0) yield return $"the interim trainer keeps the learning rate constant {until}";
        if (train.GradAccumulation > 1) yield return $"gradient accumulation is ignored {until}";
        if (train.CheckpointEverySteps is not null) yield return $"periodic checkpoints are not written {until} (an interrupt still saves the adapter so far)";
    }

    private static IEnumerable<CaptionedImage> Load(DatasetPlan dataset, int size, IRunObserver observer)
    {
        switch (dataset.Source)
        {
            case WorldSource world:
                return WorldGenerator.Member(world.Family, world.Member, world.Count, seed: 0, dataset.Trigger, size: size)
                    .Select(s => new CaptionedImage(s.Pixels, s.Caption));
            case FolderSource folder:
                var read = CaptionedFolder.Read(folder.Path, size, dataset.CaptionExtension);
                foreach (var skipped in read.Skipped) observer.Warning($"skipped {skipped.Path}: {skipped.Reason}");
                return dataset.Trigger is { } trigger
                    ? read.Images.Select(i => i with { Caption = $"{trigger}, {i.Caption}" })
                    : read.Images;
            default:
                throw new NotSupportedException($"dataset source {dataset.Source.GetType().Name}");
        }
    }

    private static LoraOptions Options(LoraPlan plan) => new()
    {
        Rank = plan.Rank,
        Alpha = plan.Alpha,
        Dropout = plan.Dropout,
        UseRsLora = plan.RsLora,
        Init = plan.Init == DslLoraInit.Gaussian ? EngineLoraInit.Gaussian : EngineLoraInit.KaimingUniform,
        Targets = [.. plan.Targets.SelectMany(t => Rules(t, null, null)),
                   .. plan.Overrides.SelectMany(o => Rules(o.Target, o.Rank, o.Alpha))],
    };

    /// <summary>The module-path rules of a target group or pattern (see docs/dsl.md, "targets").</summary>
    private static IEnumerable<TargetRule> Rules(TargetSelector target, int? rank, double? alpha) => target switch
    {
        PatternTarget p => [new TargetRule(p.Glob, LayerKinds.All, rank, alpha)],
        GroupTarget { Group: TargetGroup.Attention } => Globs(LayerKinds.Linear, rank, alpha, "**.attn1.**", "**.attn2.**", "**.proj_in", "**.proj_out"),
        GroupTarget { Group: TargetGroup.FeedForward } => Globs(LayerKinds.Linear, rank, alpha, "**.ff.**"),
        GroupTarget { Group: TargetGroup.Conv } => Globs(LayerKinds.Conv2d, rank, alpha, "**.resnets.**", "**.downsamplers.**", "**.upsamplers.**"),
        GroupTarget { Group: TargetGroup.TextEncoder } => Globs(LayerKinds.Linear, rank, alpha, "**.self_attn.**", "**.mlp.**"),
        _ => throw new NotSupportedException($"target {target}"),
    };

    private static IEnumerable<TargetRule> Globs(LayerKinds kinds, int? rank, double? alpha, params string[] globs) =>
        globs.Select(g => new TargetRule(g, kinds, rank, alpha));

    private static double ValidationLoss(TinyDiffusionModel model, IReadOnlyList<CaptionedImage> held, int seed)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var images = ImageTensors.FromRgb(held.Select(h => h.Rgb).ToList(), model.Config.Unet.SampleSize);
        return model.Loss(images, held.Select(h => h.Caption).ToList(), new Generator((ulong)seed + 1)).item<float>();
    }

    private static SampleGrid Preview(TinyDiffusionModel model, LoraModel lora, SamplePlan sample, string title, CancellationToken cancellationToken) =>
        Grid(model, lora, title, sample.Prompts.Select(p => (p.Text, p.Negative, (long)p.Seed, p.Steps, p.Guidance)).ToList(),
            sample.Strengths, Kind(sample.Sampler), cancellationToken).Grid;

    /// <summary>
    /// Rows: prompts (with their seed); columns: strengths multiplying every loaded adapter's own strength.
    /// Returns the grid and its pictures as raw RGB, row-major.
    /// </summary>
    private static (SampleGrid Grid, List<byte[]> Rgb) Grid(TinyDiffusionModel model, LoraModel lora, string title,
        IReadOnlyList<(string Prompt, string? Negative, long Seed, int Steps, double Guidance)> rows,
        IReadOnlyList<double> strengths, SamplerKind sampler, CancellationToken cancellationToken)
    {
        var networks = lora.Networks.ToList();
        var own = networks.Select(n => n.Strength).ToList();
        var size = model.Config.Unet.SampleSize;
        var cells = new List<byte[]>();
        var rgb = new List<byte[]>();
        try
        {
            foreach (var row in rows)
            {
                foreach (var strength in strengths)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (var i = 0; i < networks.Count; i++) networks[i].Strength = own[i] * strength;
                    using var image = model.Sample([row.Prompt], [row.Seed], row.Steps, row.Guidance, row.Negative, sampler);
                    rgb.Add(ImageTensors.ToRgb(image)[0]);
                    cells.Add(RgbImage.EncodePng(rgb[^1], size));
                }
            }
        }
        finally
        {
            for (var i = 0; i < networks.Count; i++) networks[i].Strength = own[i];
        }
        var inv = CultureInfo.InvariantCulture;
        var grid = new SampleGrid(title,
            [.. rows.Select(r => $"{r.Prompt} (seed {r.Seed})")],
            [.. strengths.Select(s => "strength " + s.ToString("0.##", inv))],
            cells);
        return (grid, rgb);
    }

    private static void RunAction(TinyDiffusionModel model, LoraModel lora, PostAction action, long? baseBytes, IRunObserver observer, RunState state, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case LoadAdapterAction load:
                var network = AdapterFile.Load(load.Path, model.Parts, $"loaded{lora.Networks.Count()}");
                network.Strength = load.Strength;
                lora.Add(network);
                break;
            case GridAction grid:
                foreach (var seed in grid.Seeds)
                {
                    var rows = grid.Prompts.Select(p => (p, (string?)null, (long)seed, grid.Steps, grid.Guidance)).ToList();
                    var (drawn, rgb) = Grid(model, lora, $"grid, seed {seed}", rows, grid.Strengths, Kind(grid.Sampler), cancellationToken);
                    if (grid.Output is { } output)
                        RgbImage.WriteGrid(output, rgb, model.Config.Unet.SampleSize, drawn.ColumnLabels.Count);
                    state.Grids.Add(drawn);
                    observer.SampleGrid(drawn, preview: false);
                }
                break;
            case InspectAction inspect:
                state.Cards.Add(AdapterCard.Read(inspect.AdapterPath, baseBytes));
                break;
            default:
                observer.Warning($"'{action.GetType().Name.Replace("Action", "").ToLowerInvariant()}' runs once the full trainer lands; skipped");
                break;
        }
    }

    private static SamplerKind Kind(Sampler sampler) => sampler == Sampler.EulerAncestral ? SamplerKind.EulerAncestral : SamplerKind.Ddim;

    private static string CheckpointPath(string output, int step) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $"{Path.GetFileNameWithoutExtension(output)}-step{step}.safetensors");

    private static Dictionary<string, string> Metadata(TrainingPlan training, int steps)
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["modelspec.title"] = Path.GetFileNameWithoutExtension(training.Train.OutputPath),
            ["modelspec.architecture"] = "loranotebooks-tiny/lora",
            ["ss_steps"] = steps.ToString(inv),
            ["ss_learning_rate"] = training.Train.LearningRate.ToString("R", inv),
            ["ss_optimizer"] = "AdamW",
            ["ss_seed"] = training.Train.Seed.ToString(inv),
        };
        if (training.Datasets.Select(d => d.Trigger).FirstOrDefault(t => t is not null) is { } trigger)
            metadata["modelspec.trigger_phrase"] = trigger;
        return metadata;
    }
}
