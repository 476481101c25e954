using System.Diagnostics;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Trains one LoRA adapter on a <see cref="TinyDiffusionModel"/> from captioned pictures: the
/// denoising loss, AdamW over the adapter's parameters only, a dispose scope per step, and a
/// cancellation check before every step. The base weights never change.
/// </summary>
public static class LoraTrainer
{
    /// <summary>
    /// Attaches a fresh adapter named <paramref name="name"/> to <paramref name="lora"/> and trains it
    /// on <paramref name="data"/>. <paramref name="onStep"/> sees every step. Returns the trained adapter.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss was not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the adapter holds the last completed step.</exception>
    public static LoraNetwork Train(TinyDiffusionModel model, LoraModel lora, string name, IReadOnlyList<CaptionedImage> data,
        LoraTrainingOptions options, Action<TrainingStep>? onStep = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (data.Count == 0)
            throw new ArgumentException("the dataset has no images");
        var generator = new Generator((ulong)options.Seed);
        var network = lora.Add(new LoraNetwork(name, LoraTarget.Find(lora.Parts, options.Lora), options.Lora, generator));
        using var optimizer = optim.AdamW(network.parameters(), options.LearningRate);
        var size = model.Config.Unet.SampleSize;
        lora.Train(true);
        double? smoothed = null;
        var clock = Stopwatch.StartNew();
        try
        {
            for (var step = 1; step <= options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var picks = randint(0, data.Count, [options.Batch], dtype: int64, generator: generator).data<long>().ToArray();
                var images = ImageTensors.FromRgb(picks.Select(i => data[(int)i].Rgb).ToList(), size);
                var captions = picks.Select(i => data[(int)i].Caption).ToList();
                optimizer.zero_grad();
                var loss = model.Loss(images, captions, generator, options.Loss);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException(step, value);
                loss.backward();
                optimizer.step();

                smoothed = smoothed is { } s ? 0.9 * s + 0.1 * value : value;
                var perStep = clock.Elapsed / step;
                onStep?.Invoke(new TrainingStep(step, options.Steps, value, smoothed.Value, options.LearningRate,
                    options.Batch / perStep.TotalSeconds, perStep * (options.Steps - step)));
            }
        }
        finally
        {
            lora.Train(false);
        }
        return network;
    }
}
