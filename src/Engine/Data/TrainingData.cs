using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Data;

/// <summary>One dataset, loaded: the images that train and those held out for validation.</summary>
/// <param name="Plan">The dataset as the script described it.</param>
/// <param name="Train">Images that train, each appearing <see cref="DatasetPlan.Repeats"/> times per epoch.</param>
/// <param name="Validation">Held-out images, never trained on.</param>
public sealed record LoadedDataset(DatasetPlan Plan, IReadOnlyList<TrainingImage> Train, IReadOnlyList<TrainingImage> Validation);

/// <summary>
/// Every dataset of a training plan, in memory: folders decoded into aspect buckets (unreadable
/// files skipped and listed, or fatal with <c>fail_on_bad_images</c>), world members drawn by the
/// generator without touching the disk, triggers put into captions, and a seeded validation split.
/// </summary>
public sealed class TrainingData
{
    /// <summary>World datasets are drawn with this generator seed, so they do not change with the training seed.</summary>
    public const int WorldSeed = 0;

    private TrainingData(IReadOnlyList<LoadedDataset> datasets, IReadOnlyList<SkippedFile> skipped)
    {
        Datasets = datasets;
        Skipped = skipped;
    }

    /// <summary>The datasets in script order.</summary>
    public IReadOnlyList<LoadedDataset> Datasets { get; }

    /// <summary>Files that could not be read, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>The same skipped files with <paramref name="datasets"/> in place of these (their pictures redrawn, say).</summary>
    internal TrainingData With(IReadOnlyList<LoadedDataset> datasets) => new(datasets, Skipped);

    /// <summary>All held-out images of the datasets that teach (a preserving dataset's are not measured).</summary>
    public IReadOnlyList<TrainingImage> Validation => [.. Datasets.Where(d => !d.Plan.Preserves).SelectMany(d => d.Validation)];

    /// <summary>
    /// Loads every dataset of <paramref name="plan"/>; <paramref name="baseResolution"/> is used where a
    /// dataset gives none. <paramref name="seed"/> picks the held-out images.
    /// </summary>
    /// <exception cref="InvalidDataException">An unreadable image with <c>fail_on_bad_images</c>, or a dataset with no usable image.</exception>
    public static TrainingData Load(TrainingPlan plan, int baseResolution)
    {
        var datasets = new List<LoadedDataset>();
        var skipped = new List<SkippedFile>();
        foreach (var dataset in plan.Datasets)
        {
            var resolution = dataset.Resolution ?? baseResolution;
            IReadOnlyList<TrainingImage> images;
            if (dataset.Source is WorldSource && resolution < WorldGenerator.MinSize)
                throw new InvalidDataException(
                    $"dataset '{dataset.Name}': the world draws pictures of {WorldGenerator.MinSize} px or more, and this run trains at {resolution} px; set resolution {WorldGenerator.MinSize} or more");
            switch (dataset.Source)
            {
                case FolderSource folder:
                    var read = CaptionedFolder.Read(folder.Path, resolution, dataset.CaptionExtension, keepCover: dataset.Crop == Crop.Random, masks: dataset.Mask?.Folder);
                    if (read.Skipped.Count > 0 && plan.Train.FailOnBadImages)
                        throw new InvalidDataException(
                            $"dataset '{dataset.Name}': {Describe(read.Skipped[0])} (fail_on_bad_images is on; {read.Skipped.Count} cannot be used in all)");
                    skipped.AddRange(read.Skipped);
                    images = read.Images;
                    break;
                case WorldSource { IsHeldIn: true } heldIn:
                    var shape = heldIn.Member is "" ? null : heldIn.Member;
                    images = WorldGenerator.HeldIn(heldIn.Count, WorldSeed, size: resolution, shape: shape)
                        .Select((s, i) => new TrainingImage(s.Pixels, new Bucket(s.Width, s.Height), s.Caption, $"world:{WorldSource.HeldIn}{(shape is null ? "" : "/" + shape)}#{i}",
                            Mask: dataset.Mask is null ? null : WorldMask(s.Subject, s.Width, s.Height)))
                        .ToList();
                    break;
                case WorldSource world:
                    // A preserving dataset of a member shows the taught pictures captioned without the member's
                    // word ("a large figure in the center"): the adapter learns that the trigger makes the difference.
                    images = WorldGenerator.Member(world.Family, world.Member, world.Count, WorldSeed, dataset.Trigger, includeTrigger: !dataset.Preserves, size: resolution)
                        .Select((s, i) => new TrainingImage(s.Pixels, new Bucket(s.Width, s.Height), s.Caption, $"world:{world.Family}/{world.Member}#{i}",
                            Mask: dataset.Mask is null ? null : WorldMask(s.Subject, s.Width, s.Height)))
                        .ToList();
                    break;
                default:
                    throw new ArgumentException($"dataset '{dataset.Name}' has an unknown source {dataset.Source.GetType().Name}");
            }
            if (images.Count == 0)
                throw new InvalidDataException($"dataset '{dataset.Name}' has no usable images{(skipped.Count > 0 ? $" ({skipped.Count} could not be read)" : "")}; nothing to train on");
            images = [.. images.Select(i => i with { Caption = CaptionProcessor.WithTrigger(i.Caption, dataset.Trigger) })];

            // Hold out a seeded choice rather than the last files: names often sort by content (kite-1, kite-2...).
            var held = Math.Min(dataset.ValidationImages, images.Count - 1);
            var order = Enumerable.Range(0, images.Count).ToArray();
            new Random(plan.Train.Seed).Shuffle(order);
            var heldOut = order.Take(held).ToHashSet();
            datasets.Add(new LoadedDataset(dataset,
                [.. images.Where((_, i) => !heldOut.Contains(i))],
                [.. images.Where((_, i) => heldOut.Contains(i))]));
        }
        return new TrainingData(datasets, skipped);
    }

    /// <summary>
    /// The mask a world picture trains with: where the world painted its subject (<see cref="WorldSample.Subject"/>)
    /// and one pixel round it, so that the subject's edge against what surrounds it is learnt too.
    /// </summary>
    public static byte[] WorldMask(byte[] subject, int width, int height)
    {
        var mask = new byte[subject.Length];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                byte most = 0;
                for (var dy = Math.Max(0, y - 1); dy <= Math.Min(height - 1, y + 1); dy++)
                    for (var dx = Math.Max(0, x - 1); dx <= Math.Min(width - 1, x + 1); dx++)
                        most = subject[dy * width + dx] > 0 ? (byte)255 : most;
                mask[y * width + x] = most;
            }
        return mask;
    }

    /// <summary>"kite-2.png: cannot be decoded: ..." for a warning line.</summary>
    public static string Describe(SkippedFile file) => $"{Path.GetFileName(file.Path)}: {file.Reason}";
}
