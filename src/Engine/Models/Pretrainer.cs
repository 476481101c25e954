using System.Diagnostics;
using System.Text.Json;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Training.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>Where a pretraining run stands after a step.</summary>
public sealed record PretrainProgress(long Step, float Loss, double LearningRate, TimeSpan StepTime);

/// <summary>
/// Pretrains a <see cref="TinyDiffusionModel"/> from scratch on an <see cref="ICaptionedImageSource"/>,
/// resumably: step s trains on examples s·B … s·B+B−1, and a checkpoint holds the weights, the EMA
/// weights, the optimizer state, the step and the random generator's state, so a killed run picks up
/// exactly where its last checkpoint left off.
/// </summary>
/// <remarks>
/// Checkpoints are folders <c>step-000250</c> in the checkpoint directory, written under a
/// <c>.partial</c> name and renamed when complete (a rename is atomic), so a crash mid-write leaves
/// the previous checkpoint as the newest good one. The newest <see cref="PretrainerOptions.KeepCheckpoints"/> are kept.
/// </remarks>
public sealed class Pretrainer : IDisposable
{
    private const string Prefix = "step-";
    private const string PartialSuffix = ".partial";
    private readonly ICaptionedImageSource _source;
    private readonly string _directory;
    private readonly TrainingOptimizer _optimizer;
    private readonly Generator _generator;
    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _trained;

    /// <summary>
    /// A run of a fresh model with <paramref name="config"/> (seeded by the options), resumed from the
    /// newest checkpoint in <paramref name="checkpointDirectory"/> if there is one.
    /// </summary>
    public Pretrainer(TinyDiffusionConfig config, ICaptionedImageSource source, PretrainerOptions options, string checkpointDirectory)
    {
        options.Validate();
        if (source.ImageSize != config.Unet.SampleSize)
            throw new UserErrorException($"the source makes {source.ImageSize}×{source.ImageSize} images; the model's sample_size is {config.Unet.SampleSize}");
        Options = options;
        _source = source;
        _directory = checkpointDirectory;
        manual_seed(options.Seed);
        Model = new TinyDiffusionModel(config);
        if (options.StartFrom is { } start && !Checkpoints(checkpointDirectory).Any())
            Grafted = GrowFrom(start);
        if (options.Objective == PretrainObjective.Reading)
            Teacher = LoadTeacher(options.StartFrom!, config);
        Ema = options.EmaDecay is null ? null : new TinyDiffusionModel(config);
        if (Ema is not null)
            CopyWeights(Model, Ema);
        foreach (var (name, parameter) in Model.named_parameters())
            parameter.requires_grad = Teacher is null || ReadingDistillation.Trains(name);
        _trained = [.. Model.parameters().Where(p => p.requires_grad)];
        _optimizer = TrainingOptimizer.Create(new AdamWOptimizer(0.9, 0.999, 1e-8, options.WeightDecay), [new ParameterGroup("model", _trained, options.LearningRate)]);
        _generator = new Generator((ulong)options.Seed);
        Directory.CreateDirectory(checkpointDirectory);
        Resume();
    }

    /// <summary>The model being trained.</summary>
    public TinyDiffusionModel Model { get; }

    /// <summary>The moving average of the weights (usually the better sampler), or null without EMA.</summary>
    public TinyDiffusionModel? Ema { get; }

    /// <summary>In a <see cref="PretrainObjective.Reading"/> run, the frozen base it learns from (the <see cref="PretrainerOptions.StartFrom"/> file); else null.</summary>
    public TinyDiffusionModel? Teacher { get; }

    /// <summary>The tensors a run started from <see cref="PretrainerOptions.StartFrom"/> added to that model (empty otherwise).</summary>
    public IReadOnlyList<string> Grafted { get; } = [];

    /// <summary>The run's settings.</summary>
    public PretrainerOptions Options { get; }

    /// <summary>Steps completed.</summary>
    public long Step { get; private set; }

    /// <summary>The newest complete checkpoint folder, or null when none was written yet.</summary>
    public string? LatestCheckpoint => Checkpoints(_directory).LastOrDefault();

    /// <summary>
    /// Trains until <paramref name="totalSteps"/> steps are done or <paramref name="cancel"/> fires,
    /// writing checkpoints on the way and at the end.
    /// </summary>
    public void Run(long totalSteps, Action<PretrainProgress>? progress = null, CancellationToken cancel = default)
    {
        while (Step < totalSteps && !cancel.IsCancellationRequested)
        {
            var report = TrainStep();
            progress?.Invoke(report);
            if (Step % Options.CheckpointEvery == 0)
                SaveCheckpoint();
        }
        if (LatestCheckpoint is null || CheckpointStep(LatestCheckpoint) != Step)
            SaveCheckpoint();
    }

    /// <summary>One optimisation step on the next batch.</summary>
    public PretrainProgress TrainStep()
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        Model.train();
        var examples = Enumerable.Range(0, Options.BatchSize).Select(i => _source.Get(Step * Options.BatchSize + i)).ToArray();
        var dropped = (rand(Options.BatchSize, generator: _generator) < Options.CaptionDropout).data<bool>().ToArray();
        var noise = new Random(unchecked((int)(Options.Seed * 1_000_003 + Step))); // per step, so a resumed run inserts the same words
        var written = examples.Select((e, i) => dropped[i] ? "" : e.Caption).ToArray();
        var shown = written.Select((c, i) => !dropped[i] && noise.NextDouble() < Options.CaptionNoise ? CaptionNoise.Insert(c, noise) : c).ToArray();
        var images = ImageTensors.FromRgb(examples.Select(e => e.Rgb).ToArray(), _source.ImageSize);

        var warmup = Math.Min(1.0, (Step + 1.0) / Math.Max(1, Options.WarmupSteps));
        var learningRate = Options.LearningRate * warmup;
        _optimizer.ZeroGrad();
        var loss = Teacher is null
            ? Model.Loss(images, shown, _generator, Options.Loss)
            : ReadingDistillation.Loss(Model, Teacher, images, written, shown, _generator);
        OneDnn.Backward(loss);
        nn.utils.clip_grad_norm_(_trained, Options.MaxGradNorm);
        _optimizer.Step(warmup);
        if (Ema is not null)
            UpdateEma(Options.EmaDecay!.Value);
        Step++;
        return new PretrainProgress(Step, loss.item<float>(), learningRate, clock.Elapsed);
    }

    /// <summary>Writes a checkpoint of the current step atomically and prunes old ones; returns its folder.</summary>
    public string SaveCheckpoint()
    {
        var final = Path.Combine(_directory, $"{Prefix}{Step:D6}");
        var partial = final + PartialSuffix;
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        Model.save(Path.Combine(partial, "model.bin"));
        Ema?.save(Path.Combine(partial, "ema.bin"));
        SaveOptimizer(Path.Combine(partial, OptimizerFile));
        var state = new CheckpointState(Step, Convert.ToBase64String(_generator.get_state().data<byte>().ToArray()), Model.Config.ToJson(), Options.Objective);
        File.WriteAllText(Path.Combine(partial, "state.json"), JsonSerializer.Serialize(state));
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true);
        Directory.Move(partial, final);
        foreach (var old in Checkpoints(_directory).SkipLast(Options.KeepCheckpoints))
            Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>
    /// The model saved in <paramref name="checkpointFolder"/>, rebuilt from the config stored with it:
    /// its EMA weights when it has them and <paramref name="preferEma"/> is set, else the trained weights.
    /// </summary>
    public static TinyDiffusionModel LoadModel(string checkpointFolder, bool preferEma = true)
    {
        var state = ReadState(checkpointFolder);
        var model = new TinyDiffusionModel(TinyDiffusionConfig.FromJson(state.ConfigJson));
        var ema = Path.Combine(checkpointFolder, "ema.bin");
        model.load(preferEma && File.Exists(ema) ? ema : Path.Combine(checkpointFolder, "model.bin"));
        return model;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _optimizer.Dispose();
        _generator.Dispose();
        Model.Dispose();
        Ema?.Dispose();
        Teacher?.Dispose();
    }

    private void Resume()
    {
        if (LatestCheckpoint is not { } folder)
            return;
        var state = ReadState(folder);
        // Compare configs, not strings: fields added since the checkpoint was written read back as defaults.
        if (TinyDiffusionConfig.FromJson(state.ConfigJson).ToJson() != Model.Config.ToJson())
            throw new InvalidDataException($"checkpoint {folder} was made for another model config: {state.ConfigJson}");
        if (state.Objective != Options.Objective)
            throw new UserErrorException($"checkpoint {folder} was written by a {state.Objective.ToString().ToLowerInvariant()} run; this run is {Options.Objective.ToString().ToLowerInvariant()} (use another --checkpoints folder)");
        Model.load(Path.Combine(folder, "model.bin"));
        if (Ema is not null)
            Ema.load(Path.Combine(folder, File.Exists(Path.Combine(folder, "ema.bin")) ? "ema.bin" : "model.bin"));
        LoadOptimizer(folder);
        using (var rngState = tensor(Convert.FromBase64String(state.GeneratorState)))
            _generator.set_state(rngState);
        Step = state.Step;
    }

    /// <summary>The optimizer's state in a checkpoint folder; before session 13, TorchSharp's AdamW wrote <see cref="TorchSharpOptimizerFile"/>.</summary>
    private const string OptimizerFile = "optimizer.safetensors";
    private const string TorchSharpOptimizerFile = "optimizer.bin";

    private void SaveOptimizer(string path) => SafeTensorsWriter.Write(path, _optimizer.StateTensors());

    private void LoadOptimizer(string folder)
    {
        var path = Path.Combine(folder, OptimizerFile);
        if (File.Exists(path))
        {
            using var file = SafeTensorsFile.Open(path);
            _optimizer.LoadState(file);
            return;
        }
        var written = Path.Combine(folder, TorchSharpOptimizerFile);
        if (!File.Exists(written))
            throw new InvalidDataException($"checkpoint {folder} has no optimizer state ({OptimizerFile} or {TorchSharpOptimizerFile}); resume from another checkpoint or use another --checkpoints folder");
        using var bytes = tensor(File.ReadAllBytes(written));
        _optimizer.LoadState(new Dictionary<string, Tensor> { [Training.Optimizers.AdamW.TorchSharpStateKey] = bytes });
    }

    private IReadOnlyList<string> GrowFrom(string path)
    {
        if (!File.Exists(path))
            throw new UserErrorException($"the base model to start from, {path}, does not exist");
        using var file = SafeTensorsFile.Open(path);
        return ModuleWeights.Graft(Model, file);
    }

    private static TinyDiffusionModel LoadTeacher(string path, TinyDiffusionConfig config)
    {
        if (!File.Exists(path))
            throw new UserErrorException($"the base model a reading run learns from, {path}, does not exist");
        var teacher = BuiltInBase.Load(path);
        if (teacher.Config.ToJson() != config.ToJson())
        {
            teacher.Dispose();
            throw new UserErrorException($"a reading run keeps the architecture of the base it learns from; {path} has another config");
        }
        teacher.eval();
        foreach (var parameter in teacher.parameters())
            parameter.requires_grad = false;
        return teacher;
    }

    private static CheckpointState ReadState(string folder) =>
        JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(folder, "state.json")))
            ?? throw new InvalidDataException($"{folder}/state.json is empty");

    private void UpdateEma(double decay)
    {
        using var _ = no_grad();
        using var s = new ScalarScope();
        var (kept, taken) = (s[decay], s[1 - decay]);
        foreach (var (average, current) in Ema!.parameters().Zip(Model.parameters()))
            average.mul_(kept).add_(current, alpha: taken);
    }

    private static void CopyWeights(TinyDiffusionModel from, TinyDiffusionModel to)
    {
        using var _ = no_grad();
        foreach (var (target, source) in to.parameters().Zip(from.parameters()))
            target.copy_(source);
    }

    /// <summary>Complete checkpoint folders, oldest first.</summary>
    private static IEnumerable<string> Checkpoints(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetDirectories(directory, Prefix + "*").Where(d => !d.EndsWith(PartialSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : [];

    private static long CheckpointStep(string folder) => long.Parse(Path.GetFileName(folder)[Prefix.Length..]);

    private sealed record CheckpointState(long Step, string GeneratorState, string ConfigJson, PretrainObjective Objective = PretrainObjective.Denoise);
}
