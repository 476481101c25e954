namespace LoraNotebooks.Engine.Data;

/// <summary>One picture ready to train: RGB bytes row by row, exactly the size of its bucket, and its caption.</summary>
/// <param name="Rgb">Bucket.Width × Bucket.Height × 3 bytes: the picture cut to its bucket at the centre.</param>
/// <param name="Bucket">Its training size.</param>
/// <param name="Caption">The caption as loaded (with the trigger put in).</param>
/// <param name="Source">Where it came from: a file path, or <c>world:FAMILY/MEMBER#INDEX</c>.</param>
/// <param name="Cover">For <c>crop random</c>: the picture resized to just cover its bucket, uncut, or null.</param>
/// <param name="Mask">
/// For a dataset with a <c>mask</c>: how much each pixel teaches, 0 to 255, one byte per pixel row by row and cut as
/// <see cref="Rgb"/> is; null for none.
/// </param>
public sealed record TrainingImage(byte[] Rgb, Bucket Bucket, string Caption, string Source, CoverImage? Cover = null, byte[]? Mask = null)
{
    /// <summary>
    /// The bucket-sized pixels (and mask) to train on this time: cut from <see cref="Cover"/> at a place drawn from
    /// <paramref name="random"/> when there is slack, else the centre cut.
    /// </summary>
    public (byte[] Rgb, byte[]? Mask) Draw(Random random)
    {
        if (Cover is not { } cover || (cover.Width == Bucket.Width && cover.Height == Bucket.Height))
            return (Rgb, Mask);
        var left = random.Next(cover.Width - Bucket.Width + 1);
        var top = random.Next(cover.Height - Bucket.Height + 1);
        return (cover.Cut(left, top, Bucket.Width, Bucket.Height), cover.Mask is null ? null : CoverImage.Cut(cover.Mask, cover.Width, cover.Height, 1, left, top, Bucket.Width, Bucket.Height));
    }
}

/// <summary>RGB bytes of a picture larger than (or as large as) its bucket, row by row, and its mask's bytes if it has one.</summary>
public sealed record CoverImage(byte[] Rgb, int Width, int Height, byte[]? Mask = null)
{
    /// <summary>The <paramref name="width"/> × <paramref name="height"/> part whose top-left pixel is (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public byte[] Cut(int left, int top, int width, int height) => Cut(Rgb, Width, Height, 3, left, top, width, height);

    /// <summary>The part of a <paramref name="fromWidth"/> × <paramref name="fromHeight"/> picture of <paramref name="channels"/> bytes a pixel, as <see cref="Cut(int, int, int, int)"/>.</summary>
    public static byte[] Cut(byte[] pixels, int fromWidth, int fromHeight, int channels, int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || left + width > fromWidth || top + height > fromHeight)
            throw new ArgumentOutOfRangeException(nameof(left), $"a {width}×{height} cut at ({left}, {top}) does not fit in {fromWidth}×{fromHeight}");
        var cut = new byte[width * height * channels];
        for (var row = 0; row < height; row++)
            Array.Copy(pixels, ((top + row) * fromWidth + left) * channels, cut, row * width * channels, width * channels);
        return cut;
    }
}
