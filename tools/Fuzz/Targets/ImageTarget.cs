using System.Buffers.Binary;
using LoraNotebooks.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace LoraNotebooks.Fuzz.Targets;

/// <summary>
/// The dataset picture loader (<see cref="CaptionedFolder.TryDecode"/>) under its limits: small
/// valid pictures in every format ImageSharp sniffs (a dataset file is decoded by its content, not
/// its extension), mutated in bytes and in their size fields, truncated, and decompression bombs.
/// It must decode, or return a reason; nothing may throw.
/// </summary>
public sealed class ImageTarget : IFuzzTarget
{
    private const int Resolution = 32;

    // The loader's own decode budget (its buffers are GC arrays, so the runner counts them), twice over for
    // the header read and the Rgb24 copy, plus the input.
    private const long AllocationSlack = 2 * CaptionedFolder.DecodeSlackBytes;

    private readonly IReadOnlyList<(string Format, byte[] Bytes)> _seeds = Seeds();
    private readonly IReadOnlyList<(string Kind, byte[] Bytes)> _bombs = Bombs();

    /// <inheritdoc />
    public string Name => "image";

    /// <inheritdoc />
    public TimeSpan CaseLimit => TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public FuzzCase Next(Random random)
    {
        if (random.Next(50) == 0)
        {
            var bomb = _bombs[random.Next(_bombs.Count)];
            return new FuzzCase($"bomb: {bomb.Kind}", bomb.Bytes, MustAccept: false);
        }
        if (random.Next(40) == 0)
        {
            var noise = new byte[random.Next(0, 256)];
            random.NextBytes(noise);
            return new FuzzCase("random bytes", noise, MustAccept: false);
        }
        var (format, seed) = _seeds[random.Next(_seeds.Count)];
        var bytes = seed.ToArray();
        var recipe = new List<string> { format };
        for (var i = random.Next(0, 4); i > 0; i--)
            recipe.Add(Mutate(random, ref bytes, format));
        // The loader reads PNG, JPEG and lossy WebP; interlaced PNGs, lossless WebP and every other format are
        // refused on purpose (CaptionedFolder.TryDecode says why), but still fuzzed: refusing must be safe too.
        var readable = (format.StartsWith("png", StringComparison.Ordinal) && !format.Contains("interlaced", StringComparison.Ordinal))
            || format.StartsWith("jpeg", StringComparison.Ordinal) || format == "webp lossy";
        return new FuzzCase(string.Join(" + ", recipe), bytes, MustAccept: recipe.Count == 1 && readable);
    }

    /// <inheritdoc />
    public FuzzOutcome Run(FuzzCase input)
    {
        var reason = CaptionedFolder.TryDecode(input.Bytes, Resolution, out var rgb, out var bucket);
        if (reason is not null)
            return FuzzOutcome.Rejected;
        if (rgb is null || rgb.Length != bucket.Width * bucket.Height * 3)
            throw new InvalidOperationException($"decoded {rgb?.Length} bytes for a {bucket.Width}×{bucket.Height} bucket");
        return FuzzOutcome.Accepted;
    }

    /// <summary>
    /// What the loader's limits allow for this input: the pixels a file of its size may declare (the
    /// pixel limit and the pixels-per-byte guard), each with the loader's decode budget and its Rgb24 copy.
    /// </summary>
    public long AllocationBudget(FuzzCase input)
    {
        var pixels = Math.Min(CaptionedFolder.MaxPixels, Math.Max(CaptionedFolder.SmallPixels, input.Size * CaptionedFolder.MaxPixelsPerByte));
        return input.Size * 16 + pixels * (CaptionedFolder.DecodeBytesPerPixel + 3) + AllocationSlack;
    }

    private static List<(string, byte[])> Seeds()
    {
        var random = new Random(7);
        var seeds = new List<(string, byte[])>();
        (string Name, IImageEncoder Encoder)[] encoders =
        [
            ("png rgb", new PngEncoder()),
            ("png palette", new PngEncoder { ColorType = PngColorType.Palette }),
            ("png grey 16-bit", new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 }),
            ("png rgba interlaced", new PngEncoder { ColorType = PngColorType.RgbWithAlpha, InterlaceMethod = PngInterlaceMode.Adam7 }),
            ("jpeg 4:2:0", new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 }),
            ("jpeg 4:4:4", new JpegEncoder { Quality = 95, ColorType = JpegColorType.YCbCrRatio444 }),
            ("jpeg grey", new JpegEncoder { ColorType = JpegColorType.Luminance }),
            ("webp lossy", new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }),
            ("webp lossless", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
            ("gif", new GifEncoder()),
            ("bmp", new BmpEncoder()),
            ("tga", new TgaEncoder()),
            ("tiff", new TiffEncoder()),
        ];
        foreach (var (name, encoder) in encoders)
        {
            foreach (var (width, height) in new[] { (1, 1), (7, 5), (32, 32), (40, 17) })
            {
                using var image = new Image<Rgba32>(width, height);
                for (var y = 0; y < height; y++)
                    for (var x = 0; x < width; x++)
                        image[x, y] = new Rgba32((byte)random.Next(256), (byte)(x * 8), (byte)(y * 8), (byte)random.Next(256));
                using var stream = new MemoryStream();
                image.Save(stream, encoder);
                seeds.Add(($"{name} {width}×{height}", stream.ToArray()));
            }
        }
        return seeds;
    }

    private static List<(string, byte[])> Bombs()
    {
        var bombs = new List<(string, byte[])>();
        // Real pictures that compress to little: one over the pixel limit, one under it (decoded, then resized).
        bombs.Add(("8200×8200 blank png", BlankPng(8200, 8200)));
        bombs.Add(("2048×2048 blank png", BlankPng(2048, 2048)));
        // Small files whose headers claim enormous sizes.
        using (var small = new Image<Rgb24>(4, 4))
        {
            var png = Encode(small, new PngEncoder());
            foreach (var (w, h) in new[] { (65535u, 65535u), (0x7FFFFFFFu, 1u), (1u, 0x7FFFFFFFu), (100_000u, 100_000u), (8192u, 8192u) })
                bombs.Add(($"png claiming {w}×{h}", PngWithSize(png, w, h)));
            var jpeg = Encode(small, new JpegEncoder());
            foreach (var (w, h) in new[] { (65535, 65535), (65500, 1), (8192, 8192) })
                bombs.Add(($"jpeg claiming {w}×{h}", JpegWithSize(jpeg, w, h)));
            var gif = Encode(small, new GifEncoder());
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), 65535);
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), 65535);
            bombs.Add(("gif claiming 65535×65535", gif));
            var bmp = Encode(small, new BmpEncoder());
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 60_000);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), -60_000);
            bombs.Add(("bmp claiming 60000×-60000", bmp));
        }
        return bombs;
    }

    /// <summary>A valid greyscale PNG of zeros, written directly (encoding it with ImageSharp takes seconds).</summary>
    private static byte[] BlankPng(int width, int height)
    {
        var idat = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1]; // filter byte 0, then the row
            for (var y = 0; y < height; y++)
                zlib.Write(row);
        }
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8; // bit depth; colour type 0 (grey), no interlace
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
        png.Write(number);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    private static byte[] Encode<T>(Image<T> image, IImageEncoder encoder) where T : unmanaged, IPixel<T>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private string Mutate(Random random, ref byte[] bytes, string format)
    {
        switch (random.Next(9))
        {
            case 0 when bytes.Length > 0:
                for (var flips = random.Next(1, 9); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return "flip bits";
            case 1 when bytes.Length > 0:
                byte[] interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
                for (var sets = random.Next(1, 5); sets > 0; sets--)
                    bytes[random.Next(bytes.Length)] = interesting[random.Next(interesting.Length)];
                return "interesting bytes";
            case 2 when bytes.Length > 0:
                bytes = bytes[..random.Next(bytes.Length)];
                return "truncate";
            case 3:
                var at = random.Next(bytes.Length + 1);
                var noise = new byte[random.Next(1, 64)];
                random.NextBytes(noise);
                bytes = [.. bytes[..at], .. noise, .. bytes[at..]];
                return "insert bytes";
            case 4 when bytes.Length > 8:
                var from = random.Next(bytes.Length - 4);
                var length = random.Next(1, Math.Min(256, bytes.Length - from));
                var to = random.Next(bytes.Length);
                bytes = [.. bytes[..to], .. bytes.AsSpan(from, length), .. bytes[to..]];
                return "duplicate slice";
            case 5 when bytes.Length > 8:
                var field = random.Next(bytes.Length - 4);
                uint[] big = [0, 1, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(field), big[random.Next(big.Length)]);
                return "big field";
            case 6 when format.StartsWith("png", StringComparison.Ordinal):
                bytes = PngWithSize(bytes, (uint)random.Next(1, 20_000), (uint)random.Next(1, 20_000));
                return "png size";
            case 7 when format.StartsWith("jpeg", StringComparison.Ordinal):
                bytes = JpegWithSize(bytes, random.Next(1, 65536), random.Next(1, 65536));
                return "jpeg size";
            default:
                bytes = [.. bytes, .. bytes[..Math.Min(bytes.Length, random.Next(1, 128))]];
                return "append";
        }
    }

    /// <summary>A PNG whose IHDR claims <paramref name="width"/>×<paramref name="height"/>, with its CRC made right so the decoder believes it.</summary>
    private static byte[] PngWithSize(byte[] png, uint width, uint height)
    {
        var bytes = png.ToArray();
        if (bytes.Length < 33)
            return bytes;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    /// <summary>The CRC-32 PNG chunks carry (ISO 3309, as zlib computes it).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A JPEG whose frame header (SOF0/SOF2) claims <paramref name="width"/>×<paramref name="height"/>.</summary>
    private static byte[] JpegWithSize(byte[] jpeg, int width, int height)
    {
        var bytes = jpeg.ToArray();
        for (var i = 2; i + 9 < bytes.Length; i++)
        {
            if (bytes[i] == 0xFF && bytes[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i + 7), (ushort)width);
                break;
            }
        }
        return bytes;
    }
}
