using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Training.Optimizers;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// The engine's pre-flight estimates. Exact from shapes: the trainable parameters and the adapter
/// file's bytes (the plan's base built on the meta device, the plan's targets attached, the file size
/// computed as <see cref="AdapterFile.Save"/> would write it, metadata included). Measured: peak
/// memory and time, from a calibration of a few real training steps at the plan's batch and
/// resolution on synthetic images, timed and with the process's peak RSS read; a calibration is cached
/// per machine, thread count, base and training shape in <see cref="CacheFolder"/>, so repeated checks
/// are fast. For a Stable Diffusion base, GPU memory is also computed from sizes
/// (<see cref="GpuMemoryEstimate"/>).
/// </summary>
public sealed class PreflightEstimator : IPreflightEstimator
{
    /// <summary>Training steps before the timed ones (first-step allocation, latent encoding).</summary>
    private const int WarmupSteps = 1;

    private readonly string? _cacheFolder;
    private readonly int _timedSteps;

    /// <summary>An estimator caching calibrations in <paramref name="cacheFolder"/> (null: no cache), timing <paramref name="timedSteps"/> steps.</summary>
    public PreflightEstimator(string? cacheFolder, int timedSteps = 2)
    {
        if (timedSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(timedSteps), timedSteps, "at least one step must be timed");
        _cacheFolder = cacheFolder;
        _timedSteps = timedSteps;
    }

    /// <summary>The estimator of the command line and the notebook kernel: calibrations cached under <see cref="CacheFolder.Root"/>.</summary>
    public static PreflightEstimator Default { get; } = new(Path.Combine(CacheFolder.Root, "calibration"));

    /// <summary>The adapter's exact size: trainable parameters and the bytes of the file a run writes.</summary>
    public sealed record AdapterSize(long Parameters, long FileBytes, int Targets);

    /// <summary>A calibration: seconds to load the base, seconds per micro-batch, and the peak RSS while training.</summary>
    public sealed record Calibration(double LoadSeconds, double StepSeconds, long PeakBytes, int TimedSteps, int Resolution, int Threads, string Device);

    /// <inheritdoc/>
    /// <exception cref="UserErrorException">A run is in progress in this process (<see cref="PlanRunner.IsRunning"/>).</exception>
    public PreflightEstimate Estimate(BasePlan basePlan, TrainingPlan training)
    {
        if (PlanRunner.IsRunning)
            throw new UserErrorException("a run is in progress in this process; check again when it has ended");
        var source = BaseModelSource.Open(basePlan);
        var size = SizeOf(source, training);
        var (calibration, cached) = Calibrate(source, training, size);
        var train = training.Train;
        var duration = TimeSpan.FromSeconds(calibration.LoadSeconds + calibration.StepSeconds * train.GradAccumulation * train.TotalSteps);
        var basis = $"calibrated on this machine ({calibration.Device}, {Threads(calibration.Threads)}): {calibration.TimedSteps} timed steps of batch {train.Batch} " +
            $"at {calibration.Resolution} px{(cached ? ", cached" : "")}; time is loading plus training steps, without previews or validation" +
            (training.Datasets.Where(d => d.Preserve is { DrawnByBase: true }).Sum(d => d.TrainImages) is > 0 and var drawn
                ? $", nor the {drawn} preserved pictures the base draws first" : "");
        return new PreflightEstimate(size.Parameters, size.FileBytes, calibration.PeakBytes, duration, basis) { Gpu = GpuFor(source, training, size) };
    }

    /// <summary>
    /// The trainable parameters and adapter file bytes of training <paramref name="training"/> on
    /// <paramref name="source"/>, from the meta device (no weights are read or allocated).
    /// </summary>
    /// <exception cref="ArgumentException">A target matches no layer of the base.</exception>
    public static AdapterSize SizeOf(BaseModelSource source, TrainingPlan training) => MetaDevice.Use(() =>
    {
        using var model = source.CreateEmpty();
        using var network = new LoraNetwork(LoraTrainer.AdapterName, PlanTargets.Find(model.Parts, training.Lora), PlanTargets.Options(training.Lora));
        var metadata = LoraTrainer.Metadata(training, model, training.Datasets.Sum(d => (long)d.TrainImages * d.Repeats));
        return new AdapterSize(network.parameters().Sum(p => p.numel()), AdapterFile.FileSize(network, metadata: metadata), network.Targets.Count);
    });

    /// <summary>The cached calibration for this machine and shape, or a new one (then cached).</summary>
    private (Calibration Calibration, bool Cached) Calibrate(BaseModelSource source, TrainingPlan training, AdapterSize size)
    {
        var threads = TorchThreads.Apply();
        var resolution = training.Datasets.Max(d => d.Resolution) ?? source.Resolution;
        var key = CacheKey(source, training, size, resolution, threads);
        var file = _cacheFolder is null ? null : Path.Combine(_cacheFolder, key + ".json");
        if (file is not null && File.Exists(file))
        {
            try
            {
                if (JsonSerializer.Deserialize<Calibration>(File.ReadAllText(file)) is { } cached)
                    return (cached, true);
            }
            catch (JsonException)
            {
                // A damaged cache entry is measured again and replaced.
            }
        }
        var calibration = Measure(source, training, resolution, threads);
        if (file is not null)
            AtomicFile.WriteAllText(file, JsonSerializer.Serialize(calibration));
        return (calibration, false);
    }

    /// <summary>Loads the base and trains <see cref="WarmupSteps"/> + timed steps, as the trainer does, on random images.</summary>
    private Calibration Measure(BaseModelSource source, TrainingPlan training, int resolution, int threads)
    {
        var train = training.Train;
        PeakMemory.Reset();
        var clock = Stopwatch.StartNew();
        using var model = source.Load();
        var loadSeconds = clock.Elapsed.TotalSeconds;
        if (train.Precision == Precision.Bf16)
            model.CastWeights(bfloat16);
        using var lora = new LoraModel([.. model.Parts]);
        var network = lora.Add(new LoraNetwork(LoraTrainer.AdapterName, PlanTargets.Find(model.Parts, training.Lora), PlanTargets.Options(training.Lora)));
        using var optimizer = TrainingOptimizer.Create(train.Optimizer, LoraTrainer.Groups(network, train));
        using var generator = new Generator(1);
        using var images = rand([train.Batch, 3, resolution, resolution], generator: generator);
        var captions = Enumerable.Repeat("a calibration image", train.Batch).ToList();
        var options = new DiffusionLossOptions(train.MinSnrGamma, train.NoiseOffset);
        lora.Train(true);
        var timed = TimeSpan.Zero;
        for (var step = 0; step < WarmupSteps + _timedSteps; step++)
        {
            var start = clock.Elapsed;
            using (var scope = NewDisposeScope())
            {
                optimizer.ZeroGrad();
                OneDnn.Backward(model.Loss(images, captions, generator, options));
                optimizer.Step(1);
            }
            if (step >= WarmupSteps)
                timed += clock.Elapsed - start;
        }
        lora.Train(false);
        return new Calibration(loadSeconds, timed.TotalSeconds / _timedSteps, PeakMemory.Read(), _timedSteps, resolution, threads, model.Device.type.ToString().ToLowerInvariant());
    }

    /// <summary>For a Stable Diffusion base: GPU memory at the plan's batch and resolution (512 px for SD 1.5), computed from sizes.</summary>
    private static GpuEstimate? GpuFor(BaseModelSource source, TrainingPlan training, AdapterSize size)
    {
        var config = source switch
        {
            BaseModelSource.StableDiffusionFolder folder => folder.Config,
            BaseModelSource.StableDiffusionFile file => file.Config,
            _ => null,
        };
        if (config is null)
            return null;
        var architecture = ArchitectureSummary.Of(config);
        var resolution = training.Datasets.Max(d => d.Resolution) ?? config.Resolution;
        var batch = training.Train.Batch;
        return new GpuEstimate(resolution, batch,
            GpuMemoryEstimate.Training(architecture, size.Parameters, batch, resolution, gradientCheckpointing: false),
            GpuMemoryEstimate.Training(architecture, size.Parameters, batch, resolution, gradientCheckpointing: true));
    }

    /// <summary>A hash of what the calibration depends on: machine, threads, the base's files, and the shape of a training step.</summary>
    private static string CacheKey(BaseModelSource source, TrainingPlan training, AdapterSize size, int resolution, int threads)
    {
        var inv = CultureInfo.InvariantCulture;
        var train = training.Train;
        var text = new StringBuilder()
            .Append("v1|").Append(Environment.MachineName).Append('|').Append(Environment.ProcessorCount).Append('|').Append(threads)
            .Append('|').Append(source.GetType().Name).Append('|').Append(Identity(source.Location))
            .Append('|').Append(resolution.ToString(inv)).Append('|').Append(train.Batch.ToString(inv)).Append('|').Append(train.Precision)
            .Append('|').Append(TrainingOptimizer.NameOf(train.Optimizer)).Append('|').Append(size.Targets.ToString(inv)).Append('|').Append(size.Parameters.ToString(inv))
            .ToString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
    }

    /// <summary>A file's or folder's path, sizes and write times, so a changed checkpoint is calibrated again.</summary>
    private static string Identity(string? path)
    {
        if (path is null)
            return "fresh";
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [path];
        return Path.GetFullPath(path) + "|" + string.Join("|", files.Select(f => new FileInfo(f)).Select(f => $"{f.Length}@{f.LastWriteTimeUtc.Ticks}"));
    }

    private static string Threads(int threads) => threads == 1 ? "1 thread" : $"{threads} threads";
}
