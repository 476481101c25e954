using LoraNotebooks.Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace LoraNotebooks.Engine.Tests.Data;

/// <summary>The dataset picture loader's limits (docs/security.md): what it refuses, and that real pictures pass.</summary>
public sealed class PictureLimitsTests
{
    private static byte[] Photo(int width, int height, IImageEncoder encoder)
    {
        var random = new Random(1);
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x ^ y), (byte)random.Next(256), (byte)(y * 3));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void a_large_noisy_picture_decodes_within_the_memory_budget(string format)
    {
        IImageEncoder encoder = format switch { "png" => new PngEncoder(), "jpeg" => new JpegEncoder(), _ => new WebpEncoder() };
        var bytes = Photo(1600, 1200, encoder);

        Assert.Null(CaptionedFolder.TryDecode(bytes, 64, out var rgb, out var bucket));
        Assert.Equal(bucket.Width * bucket.Height * 3, rgb!.Length);
    }

    [Fact]
    public void a_small_file_that_declares_a_huge_picture_is_refused_before_decoding()
    {
        var bytes = Photo(16, 16, new JpegEncoder());
        // Make the frame header (SOF0) claim 4000×4000: 16 M pixels from a file of a few hundred bytes.
        var sof = Enumerable.Range(0, bytes.Length - 1).First(i => bytes[i] == 0xFF && bytes[i + 1] == 0xC0);
        bytes[sof + 5] = bytes[sof + 7] = 4000 >> 8;
        bytes[sof + 6] = bytes[sof + 8] = 4000 & 0xFF;

        var reason = CaptionedFolder.TryDecode(bytes, 64, out _, out _);

        Assert.Contains("decompression bomb", reason);
    }

    [Fact]
    public void a_picture_too_long_and_thin_to_resize_within_its_memory_budget_is_refused_not_a_crash()
    {
        // Found by tools/Fuzz (image, seed 1, case 363): a 615-byte JPEG of 65500×1 pixels decodes within its budget,
        // but resizing it to cover a 32 px bucket needs far more than the budget allows.
        var bytes = Convert.FromBase64String("/9j/4AAQSkZJRgABAQEAYABgAAD/2wCEAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDIBCQkJDAsMGA0NGDIhHCEyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMv/AABEIAAH/3AMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/APn+iiigD//Z");

        var reason = CaptionedFolder.TryDecode(bytes, 32, out var rgb, out _);

        Assert.Null(rgb);
        Assert.StartsWith("cannot be decoded: ", reason);
    }

    [Fact]
    public void an_interlaced_png_is_refused_with_a_way_out()
    {
        var bytes = Photo(40, 30, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 });

        Assert.Contains("save it again without interlacing", CaptionedFolder.TryDecode(bytes, 64, out _, out _));
    }

    [Fact]
    public void a_lossless_webp_is_refused_with_a_way_out()
    {
        var bytes = Photo(40, 30, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });

        Assert.Contains("save it as PNG", CaptionedFolder.TryDecode(bytes, 64, out _, out _));
    }

    [Fact]
    public void a_format_a_dataset_may_not_hold_is_refused_by_its_content_whatever_its_name()
    {
        var bmp = Photo(40, 30, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder());

        Assert.Equal("not a picture ImageSharp can read", CaptionedFolder.TryDecode(bmp, 64, out _, out _));
    }
}
