namespace LoraNotebooks.Engine.Data;

/// <summary>A training size in pixels; images of one batch share a bucket.</summary>
public readonly record struct Bucket(int Width, int Height)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Width}×{Height}";
}

/// <summary>
/// Aspect-ratio buckets, as kohya's trainers make them: sizes with sides that are multiples of 8,
/// between half and twice the resolution, whose area is at most resolution². An image trains in
/// the bucket closest to its aspect ratio (resized to cover it, then centre-cropped), so a tall
/// picture is not squashed into a square.
/// </summary>
public static class AspectBuckets
{
    /// <summary>Side lengths are multiples of this.</summary>
    public const int Step = 8;

    /// <summary>Every bucket for <paramref name="resolution"/>, narrowest first; one of them is square.</summary>
    public static IReadOnlyList<Bucket> For(int resolution)
    {
        var buckets = new SortedSet<Bucket>(Comparer<Bucket>.Create((a, b) => (a.Width, a.Height).CompareTo((b.Width, b.Height))));
        var area = resolution * resolution;
        for (var width = Math.Max(Step, resolution / 2 / Step * Step); width <= resolution * 2; width += Step)
        {
            var height = Math.Min(area / width / Step * Step, resolution * 2);
            if (height >= resolution / 2 && height >= Step)
                buckets.Add(new Bucket(width, height));
        }
        buckets.Add(new Bucket(resolution, resolution));
        return [.. buckets];
    }

    /// <summary>The bucket whose aspect ratio is closest (in log ratio) to <paramref name="width"/>:<paramref name="height"/>; ties go to the squarer one.</summary>
    public static Bucket Choose(int width, int height, int resolution)
    {
        var aspect = Math.Log((double)width / height);
        return For(resolution)
            .OrderBy(b => Math.Abs(Math.Log((double)b.Width / b.Height) - aspect))
            .ThenBy(b => Math.Abs(b.Width - b.Height))
            .First();
    }
}
