using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.Training.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training;

/// <summary>What a finished training run produced.</summary>
/// <param name="AdapterPath">The adapter file written (kohya layout).</param>
/// <param name="Network">The trained adapter, still attached to the model.</param>
/// <param name="Trigger">The first dataset's trigger word, or null.</param>
/// <param name="Steps">Optimizer steps trained in all (including those before a resume).</param>
/// <param name="Metrics">Final smoothed training loss and validation loss.</param>
public sealed record TrainingResult(string AdapterPath, LoraNetwork Network, string? Trigger, int Steps, EvaluationMetrics Metrics);

/// <summary>
/// Executes a <see cref="TrainingPlan"/>: loads the data, attaches a fresh adapter named
/// <see cref="AdapterName"/> to the model, and trains it step by step, reporting
/// <see cref="TrainingEvent"/>s as it goes: previews, validation loss and checkpoints at their intervals,
/// the adapter file at the end. Only adapter parameters train; the base weights never change.
/// </summary>
/// <remarks>
/// A step is <c>grad_accumulation</c> micro-batches of <c>batch</c> images, each under its own dispose
/// scope. Every random draw is seeded by (seed, position) (<see cref="StepSeeds"/>), so the same plan on
/// the same machine writes the same adapter bytes, and a run resumed from a checkpoint writes the same
/// bytes as one that was never stopped. Cancellation is checked before every step: the run then writes
/// a checkpoint of the completed steps and throws <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class LoraTrainer
{
    /// <summary>The name of the adapter a run trains, as attached to the <see cref="LoraModel"/>.</summary>
    public const string AdapterName = "trained";

    /// <summary>Adapter metadata naming the world member it was trained on (<c>concept/star</c>), so <c>lora eval</c> knows what to judge.</summary>
    public const string WorldMetadataKey = "lora.world";

    /// <summary>Timesteps at which validation loss is measured, as fractions of the schedule.</summary>
    private static readonly double[] ValidationTimesteps = [0.1, 0.3, 0.5, 0.7, 0.9];

    private readonly IDiffusionBase _model;
    private readonly LoraModel _lora;
    private readonly TrainingPlan _plan;

    /// <summary>A run of <paramref name="plan"/> on <paramref name="model"/>, whose adapters <paramref name="lora"/> holds.</summary>
    public LoraTrainer(IDiffusionBase model, LoraModel lora, TrainingPlan plan)
    {
        _model = model;
        _lora = lora;
        _plan = plan;
    }

    /// <summary>Where checkpoints go: <c>OUTPUT-STEM.checkpoints/</c> beside the adapter.</summary>
    public static string CheckpointDirectory(TrainPlan train) => Path.ChangeExtension(train.OutputPath, ".checkpoints");

    /// <summary>Where preview grids go: <c>OUTPUT-STEM.samples/</c> beside the adapter.</summary>
    public static string SampleDirectory(TrainPlan train) => Path.ChangeExtension(train.OutputPath, ".samples");

    /// <summary>Trains to the plan's last step (continuing from its resume checkpoint, if any) and writes the adapter.</summary>
    /// <exception cref="TrainingDivergedException">The loss was NaN or infinite; the message names the step.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint of the completed steps was written first.</exception>
    /// <exception cref="InvalidDataException">A dataset has no usable image, or an unreadable one with fail_on_bad_images.</exception>
    public TrainingResult Run(Action<TrainingEvent>? onEvent = null, CancellationToken cancellationToken = default)
    {
        var emit = onEvent ?? (_ => { });
        var train = _plan.Train;
        if (train.MaxTimestep > _model.TrainTimesteps || train.MinTimestep >= (train.MaxTimestep ?? _model.TrainTimesteps))
            throw new UserErrorException($"min_timestep {train.MinTimestep} and max_timestep {train.MaxTimestep?.ToString() ?? "(none)"} leave no timestep in the base's schedule, whose timesteps run from 0 to {_model.TrainTimesteps - 1}");
        var data = TrainingData.Load(_plan, _model.Resolution);
        if (data.Skipped.Count > 0)
            emit(new WarningEvent($"skipped {data.Skipped.Count} image(s) that cannot be used: {string.Join("; ", data.Skipped.Select(TrainingData.Describe))}"));
        foreach (var warning in TriggerReach.Warnings(data, _model))
            emit(new WarningEvent(warning));
        if (train.Precision == Precision.Bf16)
            _model.CastWeights(bfloat16);
        // Drawn by the base as it trains (cast, other adapters on), before this run's adapter is attached.
        foreach (var warning in BaseDrawings.Warnings(data, _model))
            emit(new WarningEvent(warning));
        data = BaseDrawings.Draw(data, _model, cancellationToken);
        var order = new BatchOrder(data.Datasets, train.Batch, train.Seed);
        if (order.Buckets.Count > 1)
            emit(new WarningEvent($"images of several shapes train in {order.Buckets.Count} aspect buckets: {string.Join(", ", order.Buckets.Select(b => $"{b.Bucket} ({b.Images})"))}"));

        var options = PlanTargets.Options(_plan.Lora);
        LoraNetwork network;
        manual_seed(StepSeeds.Mix(train.Seed, 0)); // layer construction draws from the global generator before initialisation
        using (var init = new Generator((ulong)StepSeeds.Mix(train.Seed, 0)))
            network = _lora.Add(new LoraNetwork(AdapterName, PlanTargets.Find(_model.Parts, _plan.Lora), options, init));
        using var optimizer = TrainingOptimizer.Create(train.Optimizer, Groups(network, train));
        var schedule = LearningRateSchedule.From(train);
        var fingerprint = Fingerprint(_plan);
        OutputGuard.Check(train, fingerprint);
        var checkpoints = CheckpointDirectory(train);

        var start = 0;
        double? smoothed = null;
        if (train.ResumePath is { } resume)
        {
            var checkpoint = TrainingCheckpoint.Restore(TrainingCheckpoint.Resolve(resume), network, optimizer);
            if (checkpoint.Fingerprint != fingerprint)
                emit(new WarningEvent($"checkpoint '{checkpoint.Path}' was written with other settings; the result will differ from an uninterrupted run"));
            (start, smoothed) = (checkpoint.Step, checkpoint.SmoothedLoss);
        }

        var parameters = network.parameters().ToList();
        var lossOptions = new DiffusionLossOptions(train.MinSnrGamma, train.NoiseOffset, train.MinTimestep, train.MaxTimestep);
        var clock = Stopwatch.StartNew();
        var epochLosses = new List<double>();
        int? lastCheckpoint = null, lastSample = null, lastValidation = null;
        double? validationLoss = null;
        var validateEvery = _plan.Sample?.EverySteps ?? train.StepsPerEpoch;
        _lora.Train(true);
        try
        {
            for (var step = start + 1; step <= train.TotalSteps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    emit(SaveCheckpoint(checkpoints, network, optimizer, step - 1, smoothed, fingerprint));
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var factor = schedule.Factor(step);
                var loss = TrainStep(step, order, optimizer, parameters, factor, lossOptions);
                smoothed = smoothed is { } s ? 0.9 * s + 0.1 * loss : loss;
                epochLosses.Add(loss);

                var done = step - start;
                var perStep = clock.Elapsed / done;
                emit(new StepEvent(step, train.TotalSteps, (step - 1) / train.StepsPerEpoch + 1, loss, smoothed.Value,
                    train.LearningRate * factor, done * train.Batch * train.GradAccumulation / clock.Elapsed.TotalSeconds,
                    perStep * (train.TotalSteps - step)));
                if (step % train.StepsPerEpoch == 0)
                {
                    emit(new EpochEvent(step / train.StepsPerEpoch, step, epochLosses.Average()));
                    epochLosses.Clear();
                }
                if (train.CheckpointEverySteps is { } every && step % every == 0)
                {
                    emit(SaveCheckpoint(checkpoints, network, optimizer, step, smoothed, fingerprint));
                    lastCheckpoint = step;
                }
                if (_plan.Sample is { } sample && step % sample.EverySteps == 0)
                {
                    emit(Preview(network, sample, step));
                    lastSample = step;
                }
                if (data.Validation.Count > 0 && step % validateEvery == 0)
                {
                    validationLoss = Validate(data, train.Seed);
                    emit(new ValidationEvent(step, validationLoss.Value, data.Validation.Count));
                    lastValidation = step;
                }
            }

            var last = Math.Max(start, train.TotalSteps);
            if (train.CheckpointEverySteps is not null && lastCheckpoint != last)
                emit(SaveCheckpoint(checkpoints, network, optimizer, last, smoothed, fingerprint));
            if (_plan.Sample is { } finalSample && lastSample != last)
                emit(Preview(network, finalSample, last));
            if (data.Validation.Count > 0 && lastValidation != last)
            {
                validationLoss = Validate(data, train.Seed);
                emit(new ValidationEvent(last, validationLoss.Value, data.Validation.Count));
            }
        }
        finally
        {
            _lora.Train(false);
        }

        AdapterFile.Save(network, train.OutputPath, metadata: Metadata(_plan, _model, data.Datasets.Sum(d => (long)d.Train.Count * d.Plan.Repeats)));
        var trigger = _plan.Trigger;
        return new TrainingResult(Path.GetFullPath(train.OutputPath), network, trigger, train.TotalSteps,
            new EvaluationMetrics(TrainLoss: smoothed, ValidationLoss: validationLoss));
    }

    /// <summary>One optimizer step: the micro-batches' losses averaged into the gradient, clipped, applied. Returns the mean loss.</summary>
    private double TrainStep(int step, BatchOrder order, TrainingOptimizer optimizer, IReadOnlyList<TorchSharp.Modules.Parameter> parameters,
        double factor, DiffusionLossOptions lossOptions)
    {
        var train = _plan.Train;
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        var total = 0.0;
        for (var j = 0; j < train.GradAccumulation; j++)
        {
            long microBatch = (long)(step - 1) * train.GradAccumulation + j;
            var items = order.Get(microBatch);
            using var noise = new Generator((ulong)StepSeeds.Mix(train.Seed, 3, microBatch));
            // Adapter dropout (and any op without a generator argument) draws from torch's global generator: seed it per micro-batch too.
            manual_seed(StepSeeds.Mix(train.Seed, 4, microBatch));
            var loss = MicroBatchLoss(items, microBatch, noise, lossOptions);
            var value = loss.item<float>();
            if (!float.IsFinite(value))
                throw new TrainingDivergedException(step, value);
            using (var s = new ScalarScope())
                OneDnn.Backward(loss.div(s[train.GradAccumulation])); // without oneDNN: its convolution gradients went NaN on a Zen 5 CPU
            total += value;
        }
        if (train.MaxGradNorm is { } maxNorm && maxNorm > 0)
            nn.utils.clip_grad_norm_(parameters, maxNorm);
        optimizer.Step(factor);
        return total / train.GradAccumulation;
    }

    /// <summary>
    /// The loss of one micro-batch: the denoising loss on pictures that teach, and on pictures of datasets that
    /// preserve, the difference from the base's own prediction (adapter off) times the dataset's weight; each
    /// part weighs by its share of the batch.
    /// </summary>
    private Tensor MicroBatchLoss(IReadOnlyList<BatchItem> items, long microBatch, Generator noise, DiffusionLossOptions lossOptions)
    {
        var preserving = items.Where(i => i.Dataset.Plan.Preserves).ToList();
        if (preserving.Count == 0)
        {
            var (images, captions, weights) = Batch(items, microBatch);
            return _model.Loss(images, captions, noise, lossOptions, weights: weights);
        }
        using var scope = NewDisposeScope();
        // Each picture keeps its place in the batch for its random draws (flip, crop, caption).
        var positions = items.Select((item, k) => (Item: item, Position: k)).ToList();
        var teaching = positions.Where(p => !p.Item.Dataset.Plan.Preserves).ToList();
        var total = zeros(1, device: _model.Device).squeeze();
        if (teaching.Count > 0)
        {
            var (images, captions, weights) = Batch([.. teaching.Select(p => p.Item)], microBatch, [.. teaching.Select(p => p.Position)]);
            total = ScalarMath.Plus(total, ScalarMath.Times(_model.Loss(images, captions, noise, lossOptions, weights: weights), (double)teaching.Count / items.Count));
        }
        var network = _lora.Networks.Single(n => n.AdapterName == AdapterName);
        // Numbers enter the graph as kept-alive scalars (ScalarMath): TorchSharp's implicit ones can be finalized mid-call.
        foreach (var group in positions.Where(p => p.Item.Dataset.Plan.Preserves).GroupBy(p => p.Item.Dataset.Plan.Preserve!))
        {
            var members = group.ToList();
            var (images, captions, _) = Batch([.. members.Select(p => p.Item)], microBatch, [.. members.Select(p => p.Position)]);
            var loss = _model.PreservationLoss(images, captions, noise, () => new AdapterOff(network), group.Key.NoisyShare);
            total = ScalarMath.Plus(total, ScalarMath.Times(loss, group.Key.Weight * members.Count / items.Count));
        }
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>Switches an adapter off until disposed.</summary>
    private sealed class AdapterOff : IDisposable
    {
        private readonly LoraNetwork _network;
        private readonly bool _was;

        public AdapterOff(LoraNetwork network)
        {
            _network = network;
            _was = network.Enabled;
            network.Enabled = false;
        }

        public void Dispose() => _network.Enabled = _was;
    }

    /// <summary>
    /// Images [B, 3, H, W] (cut at random and flipped at random where the dataset says so) and the captions for this
    /// micro-batch; a flipped picture's caption has left and right swapped. When a picture has a mask, also the loss
    /// weights [B, 1, H, W] (<see cref="PixelWeights"/>), cut and flipped with their pictures; else null.
    /// </summary>
    private (Tensor Images, List<string> Captions, Tensor? Weights) Batch(IReadOnlyList<BatchItem> items, long microBatch, IReadOnlyList<int>? positions = null)
    {
        using var scope = NewDisposeScope();
        var bucket = items[0].Image.Bucket;
        // Crops draw from a stream of their own, so turning them on changes nothing else a seed decides.
        var drawn = items.Select((item, k) => item.Dataset.Plan.Crop == Crop.Random
            ? item.Image.Draw(StepSeeds.Random(_plan.Train.Seed, 3, microBatch, positions?[k] ?? k))
            : (item.Image.Rgb, item.Image.Mask)).ToList();
        var images = ImageTensors.FromRgb([.. drawn.Select(d => d.Rgb)], bucket.Width, bucket.Height);
        var weights = PixelWeights(items, [.. drawn.Select(d => d.Mask)], bucket);
        var captions = new List<string>();
        var flips = new List<long>();
        for (var k = 0; k < items.Count; k++)
        {
            var dataset = items[k].Dataset.Plan;
            var random = StepSeeds.Random(_plan.Train.Seed, 2, microBatch, positions?[k] ?? k);
            var caption = items[k].Image.Caption;
            if (dataset.Flip && random.Next(2) == 1)
            {
                flips.Add(k);
                caption = CaptionProcessor.Mirrored(caption);
            }
            captions.Add(CaptionProcessor.ForStep(caption, dataset.CaptionShuffle?.KeepTokens, dataset.CaptionDropout, random));
        }
        if (flips.Count > 0)
        {
            var index = tensor(flips.ToArray());
            images = images.index_copy(0, index, images.index_select(0, index).flip(3));
            if (weights is not null)
                weights = weights.index_copy(0, index, weights.index_select(0, index).flip(3));
        }
        return (images.MoveToOuterDisposeScope(), captions, weights?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The masked loss's weight of every pixel [B, 1, H, W]: a masked picture's pixels count from its dataset's
    /// <see cref="LossMask.Outside"/> (black) to 1 (white), a picture without a mask counts every pixel 1. Null when no
    /// picture of the batch has a mask, so unmasked runs compute exactly what they did before masks.
    /// </summary>
    private static Tensor? PixelWeights(IReadOnlyList<BatchItem> items, IReadOnlyList<byte[]?> masks, Bucket bucket)
    {
        if (masks.All(m => m is null))
            return null;
        var pixels = bucket.Width * bucket.Height;
        var weights = new float[items.Count * pixels];
        for (var k = 0; k < items.Count; k++)
        {
            var span = weights.AsSpan(k * pixels, pixels);
            if (masks[k] is not { } mask)
            {
                span.Fill(1);
                continue;
            }
            var outside = (float)items[k].Dataset.Plan.Mask!.Outside;
            for (var i = 0; i < pixels; i++)
                span[i] = outside + (1 - outside) * mask[i] / 255f;
        }
        return tensor(weights).reshape(items.Count, 1, bucket.Height, bucket.Width);
    }

    /// <summary>Mean loss over the held-out images at fixed timesteps and fixed noise, without adapter dropout.</summary>
    private double Validate(TrainingData data, long seed)
    {
        var images = data.Datasets.Where(d => !d.Plan.Preserves).SelectMany(d => d.Validation.Select(i => new BatchItem(d, i))).ToList();
        _lora.Train(false);
        try
        {
            using var _ = no_grad();
            var total = 0.0;
            var count = 0;
            foreach (var group in images.GroupBy(i => i.Image.Bucket))
            {
                foreach (var fraction in ValidationTimesteps)
                {
                    using var scope = NewDisposeScope();
                    var batch = group.ToList();
                    using var noise = new Generator((ulong)StepSeeds.Mix(seed, 5, (long)(fraction * 1000)));
                    var timesteps = full([batch.Count], (long)(fraction * (_model.TrainTimesteps - 1)), dtype: int64);
                    var loss = _model.Loss(ImageTensors.FromRgb([.. batch.Select(i => i.Image.Rgb)], group.Key.Width, group.Key.Height),
                        [.. batch.Select(i => i.Image.Caption)], noise, new DiffusionLossOptions(), timesteps, PixelWeights(batch, [.. batch.Select(i => i.Image.Mask)], group.Key));
                    total += loss.item<float>() * batch.Count;
                    count += batch.Count;
                }
            }
            return total / count;
        }
        finally
        {
            _lora.Train(true);
        }
    }

    private SampleGridEvent Preview(LoraNetwork network, SamplePlan sample, int step)
    {
        _lora.Train(false);
        try
        {
            var path = Path.Combine(SampleDirectory(_plan.Train), $"step-{step:D6}.png");
            return PreviewGrid.Draw(_model, [(network, 1.0)], sample.Prompts, sample.Strengths, sample.Sampler, path, step);
        }
        finally
        {
            _lora.Train(true);
        }
    }

    private CheckpointEvent SaveCheckpoint(string directory, LoraNetwork network, TrainingOptimizer optimizer, int step, double? smoothed, string fingerprint)
    {
        var path = TrainingCheckpoint.FileFor(directory, step);
        TrainingCheckpoint.Save(path, network, optimizer, step, smoothed, fingerprint, new Dictionary<string, string>
        {
            ["lora.checkpoint.micro_batches_done"] = ((long)step * _plan.Train.GradAccumulation).ToString(CultureInfo.InvariantCulture),
            ["lora.checkpoint.optimizer"] = optimizer.Name,
        });
        return new CheckpointEvent(Path.GetFullPath(path), step);
    }

    /// <summary>The U-Net adapters at the plan's learning rate; text-encoder adapters (if any) at theirs.</summary>
    internal static List<ParameterGroup> Groups(LoraNetwork network, TrainPlan train)
    {
        var groups = new List<ParameterGroup>();
        foreach (var (prefix, name, rate) in new[] { (ModelPart.UNet, "unet", train.LearningRate), (ModelPart.TextEncoder, "text_encoder", train.TextEncoderLearningRate) })
        {
            var parameters = network.Targets.Where(t => t.Part.Prefix == prefix).SelectMany(t => network.Layers[t.Name].parameters()).ToList();
            if (parameters.Count > 0)
                groups.Add(new ParameterGroup(name, parameters, rate));
        }
        return groups;
    }

    /// <summary>
    /// The adapter file's kohya <c>ss_*</c> and SAI <c>modelspec.*</c> keys for <paramref name="plan"/> on
    /// <paramref name="model"/> with <paramref name="trainImages"/> images × repeats per epoch; nothing
    /// time-dependent, so equal runs write equal bytes.
    /// </summary>
    public static Dictionary<string, string> Metadata(TrainingPlan plan, IDiffusionBase model, long trainImages)
    {
        var inv = CultureInfo.InvariantCulture;
        var train = plan.Train;
        var trigger = plan.Trigger;
        var metadata = new Dictionary<string, string>
        {
            ["ss_learning_rate"] = train.LearningRate.ToString("R", inv),
            ["ss_text_encoder_lr"] = train.TextEncoderLearningRate.ToString("R", inv),
            ["ss_optimizer"] = TrainingOptimizer.NameOf(train.Optimizer),
            ["ss_lr_scheduler"] = train.Schedule.Kind.ToString().ToLowerInvariant(),
            ["ss_lr_warmup_steps"] = train.WarmupSteps.ToString(inv),
            ["ss_resolution"] = $"({model.Resolution}, {model.Resolution})",
            ["ss_num_train_images"] = trainImages.ToString(inv),
            ["ss_batch_size_per_device"] = train.Batch.ToString(inv),
            ["ss_gradient_accumulation_steps"] = train.GradAccumulation.ToString(inv),
            ["ss_seed"] = train.Seed.ToString(inv),
            ["ss_steps"] = train.TotalSteps.ToString(inv),
            ["ss_epoch"] = ((train.TotalSteps + train.StepsPerEpoch - 1) / train.StepsPerEpoch).ToString(inv),
            ["ss_min_snr_gamma"] = train.MinSnrGamma?.ToString("R", inv) ?? "None",
            ["ss_noise_offset"] = train.NoiseOffset.ToString("R", inv),
            ["ss_mixed_precision"] = train.Precision.ToString().ToLowerInvariant(),
            ["ss_base_model_version"] = model.Architecture.KohyaVersion,
            ["modelspec.architecture"] = model.Architecture.ModelSpec,
            ["modelspec.title"] = Path.GetFileNameWithoutExtension(train.OutputPath),
        };
        if (trigger is not null)
            metadata["modelspec.trigger_phrase"] = trigger;
        if (plan.Datasets.Any(d => d.Mask is not null))
            metadata["ss_masked_loss"] = "True"; // kohya's key; left out without a mask, so unmasked files keep their bytes
        if (plan.TaughtWorld is { } world)
            metadata[WorldMetadataKey] = $"{world.Family}/{world.Member}";
        metadata[OutputGuard.FingerprintKey] = Fingerprint(plan); // so a later run knows whether this file is its own (OutputGuard)
        return metadata;
    }

    /// <summary>A hash of everything that shapes the trained bytes (not output, resume or sampling settings).</summary>
    private static string Fingerprint(TrainingPlan plan)
    {
        var essential = plan with { Train = plan.Train with { OutputPath = "", ResumePath = null, CheckpointEverySteps = null, Overwrite = false }, Sample = null };
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(essential.ToString())))[..16];
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
