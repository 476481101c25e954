using LoraNotebooks.Engine.Data;

namespace LoraNotebooks.Engine.Training;

/// <summary>One image of a micro-batch, with the dataset it comes from.</summary>
public sealed record BatchItem(LoadedDataset Dataset, TrainingImage Image);

/// <summary>
/// The order images are trained in: an endless sequence of micro-batches of up to <c>batch</c> images
/// that share an aspect bucket. Each pass ("cycle") holds every training image × its repeats once:
/// images are shuffled within their bucket, cut into batches, and the batches shuffled, all seeded
/// by (seed, cycle), so micro-batch <c>m</c> is the same whenever it is asked for.
/// </summary>
public sealed class BatchOrder
{
    private readonly long _seed;
    private readonly int _batch;
    private readonly List<(Bucket Bucket, List<BatchItem> Items)> _buckets;
    private (long Cycle, List<BatchItem[]> Batches)? _current;

    /// <summary>The order over <paramref name="datasets"/> for batches of <paramref name="batch"/>.</summary>
    public BatchOrder(IReadOnlyList<LoadedDataset> datasets, int batch, long seed)
    {
        _seed = seed;
        _batch = batch;
        _buckets = datasets
            .SelectMany(d => d.Train.SelectMany(image => Enumerable.Repeat(new BatchItem(d, image), d.Plan.Repeats)))
            .GroupBy(item => item.Image.Bucket)
            .OrderBy(g => g.Key.Width).ThenBy(g => g.Key.Height)
            .Select(g => (g.Key, g.ToList()))
            .ToList();
        MicroBatchesPerCycle = _buckets.Sum(b => (b.Items.Count + batch - 1) / batch);
        if (MicroBatchesPerCycle == 0)
            throw new InvalidDataException("there are no training images (all were held out or unreadable)");
    }

    /// <summary>Micro-batches in one pass over the data.</summary>
    public int MicroBatchesPerCycle { get; }

    /// <summary>The buckets in use and how many images (× repeats) each holds.</summary>
    public IReadOnlyList<(Bucket Bucket, int Images)> Buckets => [.. _buckets.Select(b => (b.Bucket, b.Items.Count))];

    /// <summary>Micro-batch <paramref name="index"/> (from 0) of the endless sequence.</summary>
    public IReadOnlyList<BatchItem> Get(long index)
    {
        var cycle = index / MicroBatchesPerCycle;
        if (_current?.Cycle != cycle)
            _current = (cycle, Cycle(cycle));
        return _current.Value.Batches[(int)(index % MicroBatchesPerCycle)];
    }

    private List<BatchItem[]> Cycle(long cycle)
    {
        var random = StepSeeds.Random(_seed, 1, cycle);
        var batches = new List<BatchItem[]>();
        foreach (var (_, items) in _buckets)
        {
            var shuffled = items.ToArray();
            random.Shuffle(shuffled);
            batches.AddRange(shuffled.Chunk(_batch));
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
