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
    /// <exception cref="DirectoryNotFoundException">The folder (or the mask folder) does not exist.</exception>
    /// <param name="keepCover">Also keep each picture resized to just cover its bucket, uncut (<see cref="TrainingImage.Cover"/>), for random crops.</param>
    /// <param name="masks">
    /// A folder of masks, one per picture with the same name (any of <see cref="ImageExtensions"/>; where several share the
    /// name, the one with the picture's own extension) and the same size, read as grey levels (<see cref="TrainingImage.Mask"/>);
    /// a picture without a usable mask is skipped. Null for none.
    /// </param>
    public static CaptionedFolder Read(string folder, int resolution, string captionExtension = ".txt", bool keepCover = false, string? masks = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset folder '{folder}' does not exist");
        if (masks is not null && !Directory.Exists(masks))
            throw new DirectoryNotFoundException($"mask folder '{masks}' does not exist");
        var maskFiles = masks is null ? null : Pictures(masks).ToLookup(Path.GetFileNameWithoutExtension, StringComparer.Ordinal);
        var images = new List<TrainingImage>();
        var skipped = new List<SkippedFile>();
        foreach (var path in Pictures(folder))
        {
            var reason = TryRead(path, resolution, keepCover, out var rgb, out var bucket, out var cover, out var size);
            byte[]? mask = null;
            if (reason is null && maskFiles is not null)
                reason = TryChooseMask(path, maskFiles[Path.GetFileNameWithoutExtension(path)], masks!, out var maskPath)
                    ?? TryReadMask(maskPath!, size, bucket, ref cover, out mask);
            if (reason is not null)
            {
                skipped.Add(new SkippedFile(path, reason));
                continue;
            }
            var captionPath = Path.ChangeExtension(path, captionExtension);
            var caption = File.Exists(captionPath) ? File.ReadAllText(captionPath).Trim() : "";
            images.Add(new TrainingImage(rgb!, bucket, caption, path, cover, mask));
        }
        return new CaptionedFolder(images, skipped);
    }

    private static IEnumerable<string> Pictures(string folder) =>
        Directory.EnumerateFiles(folder).Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant())).Order(StringComparer.Ordinal);

    private static string? TryRead(string path, int resolution, bool keepCover, out byte[]? rgb, out Bucket bucket, out CoverImage? cover, out Size size)
    {
        rgb = null;
        bucket = default;
        cover = null;
        size = default;
        var reason = TryReadBytes(path, out var bytes);
        return reason ?? TryDecode(bytes!, resolution, out rgb, out bucket, out cover, keepCover, out size);
    }

    /// <summary>
    /// Which of the masks named as <paramref name="picture"/> is its own: the one with its whole file name, else the only one;
    /// two or more (a.jpg and a.png for a.webp) are not guessed between. Null, or why not.
    /// </summary>
    private static string? TryChooseMask(string picture, IEnumerable<string> candidates, string masks, out string? mask)
    {
        var named = candidates.ToList();
        mask = named.FirstOrDefault(m => Path.GetFileName(m) == Path.GetFileName(picture)) ?? (named.Count == 1 ? named[0] : null);
        if (mask is not null)
            return null;
        if (named.Count == 0)
            return $"it has no mask of the same name in '{masks}'";
        return $"it has {named.Count} masks of its name in '{masks}' ({string.Join(", ", named.Select(Path.GetFileName))}) " +
            $"and none is {Path.GetFileName(picture)}; keep its own, or name it as the picture";
    }

    /// <summary>A picture's mask, fitted to its bucket as the picture was (and to its cover, when it keeps one); null, or why not.</summary>
    private static string? TryReadMask(string path, Size size, Bucket bucket, ref CoverImage? cover, out byte[]? mask)
    {
        mask = null;
        var name = Path.GetFileName(path);
        if (TryReadBytes(path, out var bytes) is { } unreadable)
            return $"its mask {name} {unreadable}";
        if (TryLoad<L8>(bytes!, out var image) is { } undecodable)
            return $"its mask {name} {undecodable}";
        using var picture = image!;
        if (picture.Width != size.Width || picture.Height != size.Height)
            return $"its mask {name} is {picture.Width}×{picture.Height} pixels and the picture {size.Width}×{size.Height}; a mask must be the picture's size";
        if (TryFit(picture, bucket, keepCover: cover is not null, bytesPerPixel: 1, out var cut, out var whole) is { } unfit)
            return $"its mask {name} {unfit}";
        if (cut!.All(b => b == 0))
            return $"its mask {name} is black everywhere it is trained, so nothing of it would be learnt";
        mask = cut;
        if (cover is not null)
            cover = cover with { Mask = whole };
        return null;
    }

    private static string? TryReadBytes(string path, out byte[]? bytes)
    {
        bytes = null;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                return $"the file is {length} bytes; the limit is {MaxFileBytes}";
            // One read, then identify and decode the same bytes: the file cannot change between the check and the decode.
            bytes = File.ReadAllBytes(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read: {e.Message}";
        }
    }

    /// <summary>
    /// Decodes a picture file's bytes under the limits and fits it to its aspect bucket of
    /// <paramref name="resolution"/>; returns null, or why the picture cannot be used.
    /// </summary>
    public static string? TryDecode(byte[] bytes, int resolution, out byte[]? rgb, out Bucket bucket) =>
        TryDecode(bytes, resolution, out rgb, out bucket, out _, keepCover: false, out _);

    /// <summary>As above; with <paramref name="keepCover"/>, <paramref name="cover"/> is the picture resized to just cover its bucket, uncut.</summary>
    public static string? TryDecode(byte[] bytes, int resolution, out byte[]? rgb, out Bucket bucket, out CoverImage? cover, bool keepCover) =>
        TryDecode(bytes, resolution, out rgb, out bucket, out cover, keepCover, out _);

    private static string? TryDecode(byte[] bytes, int resolution, out byte[]? rgb, out Bucket bucket, out CoverImage? cover, bool keepCover, out Size size)
    {
        rgb = null;
        bucket = default;
        cover = null;
        size = default;
        if (TryLoad<Rgb24>(bytes, out var image) is { } reason)
            return reason;
        using var picture = image!;
        size = picture.Size();
        bucket = AspectBuckets.Choose(picture.Width, picture.Height, resolution);
        if (TryFit(picture, bucket, keepCover, bytesPerPixel: 3, out var cut, out var whole) is { } unfit)
            return unfit;
        rgb = cut;
        if (whole is not null)
        {
            var coverSize = CoverSize(size, bucket);
            cover = new CoverImage(whole, coverSize.Width, coverSize.Height);
        }
        return null;
    }

    /// <summary>Decodes <paramref name="bytes"/> under the limits into <paramref name="image"/>; returns null, or why it cannot be used.</summary>
    private static string? TryLoad<TPixel>(byte[] bytes, out Image<TPixel>? image) where TPixel : unmanaged, IPixel<TPixel>
    {
        image = null;
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
            var loaded = Image.Load<TPixel>(Decoder(DecodeSlackBytes + DecodeBytesPerPixel * info.Width * info.Height), new MemoryStream(bytes, writable: false));
            // The header may lie: check what was decoded too.
            if ((long)loaded.Width * loaded.Height > MaxPixels)
            {
                var decoded = $"{loaded.Width}×{loaded.Height}";
                loaded.Dispose();
                return $"{decoded} pixels is over the limit of {MaxPixels}";
            }
            image = loaded;
            return null;
        }
        // The decoders are third-party parsers of hostile bytes, and ImageSharp 2.1 throws more than its documented
        // types for damaged files (NullReferenceException, InvalidOperationException, ArgumentException, IndexOutOfRange…;
        // docs/security.md lists what the fuzz harness saw). A file whose decoding fails in any way is skipped, never fatal.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failure(e);
        }
    }

    private static string Failure(Exception e) =>
        e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException
            ? $"cannot be decoded: {e.Message}"
            : $"cannot be decoded: the decoder failed ({e.GetType().Name}: {e.Message})";

    /// <summary>
    /// <see cref="Fit"/>, under the decode's memory budget: resizing a long thin picture to cover its bucket can need
    /// more than the budget allows (a 65500×1 JPEG, found by tools/Fuzz), and that is a reason to skip it, not a crash.
    /// </summary>
    private static string? TryFit<TPixel>(Image<TPixel> image, Bucket bucket, bool keepCover, int bytesPerPixel, out byte[]? cut, out byte[]? cover)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        (cut, cover) = (null, null);
        try
        {
            (cut, cover) = Fit(image, bucket, keepCover, bytesPerPixel);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failure(e);
        }
    }

    /// <summary>
    /// Resizes <paramref name="image"/> to just cover <paramref name="bucket"/> (the smallest scale at which both sides
    /// reach it) and cuts its centre: the bucket's pixels, and with <paramref name="keepCover"/> the uncut cover's.
    /// A picture and its mask go through the same two steps, so they stay aligned.
    /// </summary>
    private static (byte[] Cut, byte[]? Cover) Fit<TPixel>(Image<TPixel> image, Bucket bucket, bool keepCover, int bytesPerPixel) where TPixel : unmanaged, IPixel<TPixel>
    {
        var coverSize = CoverSize(image.Size(), bucket);
        image.Mutate(i => i.Resize(coverSize));
        byte[]? whole = null;
        if (keepCover)
        {
            whole = new byte[coverSize.Width * coverSize.Height * bytesPerPixel];
            image.CopyPixelDataTo(whole);
        }
        image.Mutate(i => i.Crop(new Rectangle((coverSize.Width - bucket.Width) / 2, (coverSize.Height - bucket.Height) / 2, bucket.Width, bucket.Height)));
        var cut = new byte[bucket.Width * bucket.Height * bytesPerPixel];
        image.CopyPixelDataTo(cut);
        return (cut, whole);
    }

    private static Size CoverSize(Size picture, Bucket bucket)
    {
        var scale = Math.Max((double)bucket.Width / picture.Width, (double)bucket.Height / picture.Height);
        return new Size(Math.Max(bucket.Width, (int)Math.Round(picture.Width * scale)), Math.Max(bucket.Height, (int)Math.Round(picture.Height * scale)));
    }
}
