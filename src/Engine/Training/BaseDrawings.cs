using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Pictures for <c>preserve drawn_by base</c>: before training, the base samples each caption of such a dataset,
/// and those samples replace the dataset's pictures. Output preservation then holds the adapter to the base on
/// the pictures sampling actually reaches, the ones the base draws wrong included, where a dataset's own pictures
/// show what the captions ask for (DreamBooth's prior preservation generates its class images the same way).
/// </summary>
/// <remarks>
/// Samples are drawn as <see cref="WorldEvaluation"/> draws its own (DDIM, <see cref="WorldEvaluation.Steps"/> steps,
/// the base's default guidance) at the base's resolution, at seeds from <see cref="FirstSeed"/> up: far from the small
/// seeds that previews and evaluation use, so that no judged sample is preserved as itself.
/// Each picture depends only on its caption, its seed and the base, so a resumed run draws the same ones.
/// </remarks>
public static class BaseDrawings
{
    /// <summary>The seed of the first dataset's first picture; dataset d's picture i is drawn at <c>FirstSeed × (d + 1) + i</c>.</summary>
    public const long FirstSeed = 1_000_000;

    /// <summary>Pictures drawn per batch through the model.</summary>
    private const int Chunk = 16;

    /// <summary>
    /// <paramref name="data"/> with every <c>drawn_by base</c> dataset's training pictures replaced by the base's
    /// samples of their captions (its held-out pictures are never measured, so they are not drawn); the same object
    /// when no dataset asks for it. The model must not carry the adapter being trained yet.
    /// </summary>
    public static TrainingData Draw(TrainingData data, IDiffusionBase model, CancellationToken cancellationToken = default)
    {
        if (!data.Datasets.Any(d => d.Plan.Preserve is { DrawnByBase: true }))
            return data;
        var datasets = data.Datasets.Select((dataset, index) => dataset.Plan.Preserve is { DrawnByBase: true }
            ? dataset with { Train = Redraw(dataset.Train, model, FirstSeed * (index + 1), cancellationToken) }
            : dataset);
        return data.With([.. datasets]);
    }

    /// <summary>A warning for each <c>drawn_by base</c> dataset whose <c>resolution</c> is not the base's: its pictures are drawn at the base's.</summary>
    public static IEnumerable<string> Warnings(TrainingData data, IDiffusionBase model) =>
        data.Datasets.Where(d => d.Plan.Preserve is { DrawnByBase: true } && d.Plan.Resolution is { } r && r != model.Resolution)
            .Select(d => $"dataset '{d.Plan.Name}' is drawn by the base, which draws at its own {model.Resolution} px: its resolution {d.Plan.Resolution} is not used");

    private static List<TrainingImage> Redraw(IReadOnlyList<TrainingImage> images, IDiffusionBase model, long firstSeed, CancellationToken cancellationToken)
    {
        var drawn = new List<TrainingImage>(images.Count);
        var size = new Bucket(model.Resolution, model.Resolution);
        foreach (var chunk in images.Select((image, i) => (image, Seed: firstSeed + i)).Chunk(Chunk))
        {
            using var samples = model.Sample([.. chunk.Select(c => c.image.Caption)], [.. chunk.Select(c => c.Seed)],
                WorldEvaluation.Steps, model.DefaultGuidance, cancellationToken: cancellationToken);
            var rgb = ImageTensors.ToRgb(samples);
            drawn.AddRange(chunk.Select((c, i) => new TrainingImage(rgb[i], size, c.image.Caption, $"{c.image.Source} drawn by the base at seed {c.Seed}")));
        }
        return drawn;
    }
}
