using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LoraNotebooks.Engine.Data;

/// <summary>A file that could not be used, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// A dataset folder laid out like kohya's: <c>NAME.png|jpg|jpeg|webp</c> beside <c>NAME.txt</c>.
/// Pictures are decoded with ImageSharp under size limits, then resized to cover the
/// <see cref="AspectBuckets">aspect bucket</see> closest to their shape and centre-cropped to it.
/// Unreadable files are skipped and listed, never fatal.
/// </summary>
public sealed class CaptionedFolder
{
    /// <summary>Extensions read as pictures.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".webp"];

    /// <summary>Largest file accepted (bytes).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Largest picture accepted (pixels), checked from the header before decoding.</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>
    /// Most pixels a file may declare per byte it holds, above <see cref="SmallPixels"/>: a guard against
    /// decompression bombs and truncated files that claim huge sizes. Real photos hold far more than
    /// a byte per 1,024 pixels; only near-blank pictures compress further.
    /// </summary>
    public const long MaxPixelsPerByte = 1024;

    /// <summary>Pictures up to this many pixels are decoded whatever their file size (cheap either way).</summary>
    public const long SmallPixels = 1L << 20;

    /// <summary>Memory one decode may take: this much per pixel the header declares…</summary>
    public const long DecodeBytesPerPixel = 48;

    /// <summary>…plus this much (tables, palettes, row buffers).</summary>
    public const long DecodeSlackBytes = 32L << 20;

    /// <summary>ImageSharp's default setup with a memory budget of its own (<see cref="BudgetedAllocator"/>), on one thread.</summary>
    private static Configuration Decoder(long budget)
    {
        // Only the formats a dataset may hold, recognised by their content, not their file name: a BMP or
        // TIFF renamed .png is refused (their 2.1 decoders allocated up to 1 GiB on small damaged files; docs/security.md).
        var configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule());
        configuration.MemoryAllocator = new BudgetedAllocator(budget);
        configuration.MaxDegreeOfParallelism = 1;
        return configuration;
    }

    /// <summary>True for a RIFF WebP file with a <c>VP8L</c> (lossless) chunk, walking the chunk list as the container format lays it out.</summary>
    private static bool IsLosslessWebp(byte[] bytes)
    {
        if (bytes.Length < 12 || !bytes.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !bytes.AsSpan(8, 4).SequenceEqual("WEBP"u8))
            return false;
        for (long at = 12; at + 8 <= bytes.Length;)
        {
            if (bytes.AsSpan((int)at, 4).SequenceEqual("VP8L"u8))
                return true;
            var size = BitConverter.ToUInt32(bytes, (int)at + 4);
            at += 8 + size + (size & 1);
        }
        return false;
    }

    private CaptionedFolder(IReadOnlyList<TrainingImage> images, IReadOnlyList<SkippedFile> skipped)
    {
        Images = images;
        Skipped = skipped;
    }

    /// <summary>The usable pictures with their captions, in file-name order.</summary>
    public IReadOnlyList<TrainingImage> Images { get; }

    /// <summary>Files that were skipped, with the reason.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <summary>Reads <paramref name="folder"/> into the aspect buckets of <paramref name="resolution"/>; a missing caption file reads as "".</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <param name="keepCover">Also keep each picture resized to just cover its bucket, uncut (<see cref="TrainingImage.Cover"/>), for random crops.</param>
    public static CaptionedFolder Read(string folder, int resolution, string captionExtension = ".txt", bool keepCover = false)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset folder '{folder}' does not exist");
        var images = new List<TrainingImage>();
        var skipped = new List<SkippedFile>();
        foreach (var path in Directory.EnumerateFiles(folder).Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            var reason = TryRead(path, resolution, keepCover, out var rgb, out var bucket, out var cover);
            if (reason is not null)
            {
                skipped.Add(new SkippedFile(path, reason));
                continue;
            }
            var captionPath = Path.ChangeExtension(path, captionExtension);
            var caption = File.Exists(captionPath) ? File.ReadAllText(captionPath).Trim() : "";
            images.Add(new TrainingImage(rgb!, bucket, caption, path, cover));
        }
        return new CaptionedFolder(images, skipped);
    }

    private static string? TryRead(string path, int resolution, bool keepCover, out byte[]? rgb, out Bucket bucket, out CoverImage? cover)
    {
        rgb = null;
        bucket = default;
        cover = null;
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                return $"the file is {length} bytes; the limit is {MaxFileBytes}";
            // One read, then identify and decode the same bytes: the file cannot change between the check and the decode.
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read: {e.Message}";
        }
        return TryDecode(bytes, resolution, out rgb, out bucket, out cover, keepCover);
    }

    /// <summary>
    /// Decodes a picture file's bytes under the limits and fits it to its aspect bucket of
    /// <paramref name="resolution"/>; returns null, or why the picture cannot be used.
    /// </summary>
    public static string? TryDecode(byte[] bytes, int resolution, out byte[]? rgb, out Bucket bucket) =>
        TryDecode(bytes, resolution, out rgb, out bucket, out _, keepCover: false);

    /// <summary>As above; with <paramref name="keepCover"/>, <paramref name="cover"/> is the picture resized to just cover its bucket, uncut.</summary>
    public static string? TryDecode(byte[] bytes, int resolution, out byte[]? rgb, out Bucket bucket, out CoverImage? cover, bool keepCover)
    {
        rgb = null;
        bucket = default;
        cover = null;
        if (bytes.LongLength > MaxFileBytes)
            return $"the file is {bytes.LongLength} bytes; the limit is {MaxFileBytes}";
        try
        {
            // Reading the header may allocate too (some decoders build tables first): it gets the fixed part of the budget.
            var info = Image.Identify(Decoder(DecodeSlackBytes), new MemoryStream(bytes, writable: false));
            if (info is null)
                return "not a picture ImageSharp can read";
            if (info.Width < 1 || info.Height < 1)
                return $"{info.Width}×{info.Height} pixels is an empty picture";
            if ((long)info.Width * info.Height > MaxPixels)
                return $"{info.Width}×{info.Height} pixels is over the limit of {MaxPixels}";
            // ImageSharp 2.1's lossless WebP decoder allocated 665 MB around the memory budget on a damaged 2.4 KB file (tools/Fuzz).
            if (IsLosslessWebp(bytes))
                return "a lossless WebP, which is not read; save it as PNG";
            // ImageSharp 2.1 can loop forever on a damaged interlaced PNG (found by tools/Fuzz; docs/security.md), and no decode can be aborted.
            if (info.Metadata.GetPngMetadata().InterlaceMethod == PngInterlaceMode.Adam7)
                return "an interlaced PNG, which is not read; save it again without interlacing";
            if ((long)info.Width * info.Height > Math.Max(SmallPixels, bytes.LongLength * MaxPixelsPerByte))
                return $"{info.Width}×{info.Height} pixels from a {bytes.LongLength}-byte file is more than {MaxPixelsPerByte} pixels a byte: a damaged file or a decompression bomb";
            using var image = Image.Load<Rgb24>(Decoder(DecodeSlackBytes + DecodeBytesPerPixel * info.Width * info.Height), new MemoryStream(bytes, writable: false));
            // The header may lie: check what was decoded too.
            if ((long)image.Width * image.Height > MaxPixels)
                return $"{image.Width}×{image.Height} pixels is over the limit of {MaxPixels}";
            var chosen = bucket = AspectBuckets.Choose(image.Width, image.Height, resolution);
            // Resize to just cover the bucket (the smallest scale at which both sides reach it), then cut.
            var scale = Math.Max((double)chosen.Width / image.Width, (double)chosen.Height / image.Height);
            var coverSize = new Size(Math.Max(chosen.Width, (int)Math.Round(image.Width * scale)), Math.Max(chosen.Height, (int)Math.Round(image.Height * scale)));
            image.Mutate(i => i.Resize(coverSize));
            if (keepCover)
            {
                var whole = new byte[coverSize.Width * coverSize.Height * 3];
                image.CopyPixelDataTo(whole);
                cover = new CoverImage(whole, coverSize.Width, coverSize.Height);
            }
            image.Mutate(i => i.Crop(new Rectangle((coverSize.Width - chosen.Width) / 2, (coverSize.Height - chosen.Height) / 2, chosen.Width, chosen.Height)));
            rgb = new byte[chosen.Width * chosen.Height * 3];
            image.CopyPixelDataTo(rgb);
            return null;
        }
        // The decoders are third-party parsers of hostile bytes, and ImageSharp 2.1 throws more than its documented
        // types for damaged files (NullReferenceException, InvalidOperationException, ArgumentException, IndexOutOfRange…;
        // docs/security.md lists what the fuzz harness saw). A file whose decoding fails in any way is skipped, never fatal.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            rgb = null;
            return e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException
                ? $"cannot be decoded: {e.Message}"
                : $"cannot be decoded: the decoder failed ({e.GetType().Name}: {e.Message})";
        }
    }
}
