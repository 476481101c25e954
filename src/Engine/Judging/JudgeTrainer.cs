using System.Diagnostics;
using System.Text.Json;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Training.Optimizers;
using LoraNotebooks.Engine.World;
using TorchSharp;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Judging;

/// <summary>
/// Trains a <see cref="WorldJudge"/> on freshly generated pictures of the whole world (see
/// <see cref="JudgeData.Mixed"/>), lightly noised, blurred and shifted. Deterministic: the same
/// options give the same weights.
/// </summary>
public static class JudgeTrainer
{
    /// <summary>Progress after a step: step number (1-based), its mean cross-entropy over the heads, time so far.</summary>
    public readonly record struct Progress(int Step, double Loss, TimeSpan Elapsed);

    /// <summary>Trains a judge from scratch.</summary>
    /// <param name="options">What to train; <see cref="JudgeTrainingOptions"/>' defaults made the shipped judge.</param>
    /// <param name="progress">Called after every step, when given.</param>
    public static WorldJudge Train(JudgeTrainingOptions options, Action<Progress>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var generator = new Generator((ulong)options.Seed);
        var judge = new WorldJudge(options.Config);
        judge.Initialise(generator);
        judge.train();
        // The rate is the step's factor on a group rate of 1, so the product is the schedule's value exactly.
        using var optimizer = TrainingOptimizer.Create(new AdamWOptimizer(0.9, 0.999, 1e-8, options.WeightDecay),
            [new ParameterGroup("judge", [.. judge.parameters()], 1)]);
        var classCounts = WorldVocabulary.Attributes.Select(a => (long)WorldVocabulary.Classes[a].Count).ToArray();
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            var samples = JudgeData.Mixed(options.BatchSize, options.WorldSeed(step));
            var images = Augment(JudgeData.ToImages(samples), options, generator);
            var targets = JudgeData.ToTargets(samples);
            var logits = judge.call(images).split(classCounts, 1);
            var loss = stack(logits.Select((l, a) => nn.functional.cross_entropy(l, targets[.., a])).ToArray()).mean();
            optimizer.ZeroGrad();
            OneDnn.Backward(loss);
            optimizer.Step(LearningRate(options, step));
            progress?.Invoke(new Progress(step + 1, loss.item<float>(), clock.Elapsed));
        }
        judge.eval();
        return judge;
    }

    /// <summary>The options as metadata entries for <see cref="WorldJudge.Save"/> (<c>training</c>, as JSON).</summary>
    public static Dictionary<string, string> Metadata(JudgeTrainingOptions options) =>
        new() { ["training"] = JsonSerializer.Serialize(options, JudgeJson.Default.JudgeTrainingOptions) };

    /// <summary>Linear warm-up over the first 5 % of steps, then a cosine decay to zero.</summary>
    private static double LearningRate(JudgeTrainingOptions options, int step)
    {
        int warmup = Math.Max(1, options.Steps / 20);
        if (step < warmup) return options.LearningRate * (step + 1) / warmup;
        double progress = (double)(step - warmup) / Math.Max(1, options.Steps - warmup);
        return options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>
    /// Makes clean pictures look a little like imperfect diffusion samples: per picture, gaussian
    /// noise of a random strength, and for some a 3×3 blur or a one-pixel shift (edges repeated).
    /// </summary>
    internal static Tensor Augment(Tensor images, JudgeTrainingOptions options, Generator generator)
    {
        using var scope = NewDisposeScope();
        long batch = images.shape[0], height = images.shape[2], width = images.shape[3];
        var x = images;

        var kernel = tensor(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }, [1, 1, 3, 3]).div(16f).expand(3, 1, 3, 3);
        var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        var blurred = nn.functional.conv2d(padded, kernel, groups: 3);
        x = where(Chosen(batch, options.BlurShare, generator), blurred, x);

        // The four one-pixel moves are crops of the edge-padded picture; each picture keeps its own.
        padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Replicate);
        var moved = stack([
            padded[.., .., 0..(int)height, 1..(int)(width + 1)],
            padded[.., .., 2..(int)(height + 2), 1..(int)(width + 1)],
            padded[.., .., 1..(int)(height + 1), 0..(int)width],
            padded[.., .., 1..(int)(height + 1), 2..(int)(width + 2)],
        ]);
        var direction = randint(0, 4, [batch], generator: generator);
        var shifted = moved.gather(0, direction.view(1, batch, 1, 1, 1).expand(1, batch, 3, height, width)).squeeze(0);
        x = where(Chosen(batch, options.ShiftShare, generator), shifted, x);

        var strength = rand([batch, 1, 1, 1], generator: generator) * options.MaxNoise;
        x = x + randn(x.shape, generator: generator) * strength;
        return x.clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>A [B, 1, 1, 1] mask that picks each picture with probability <paramref name="share"/>.</summary>
    private static Tensor Chosen(long batch, double share, Generator generator) =>
        rand([batch, 1, 1, 1], generator: generator).lt(share);
}
