using LoraNotebooks.Engine.World;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LoraNotebooks.Engine.Tests.World;

public sealed class WorldExporterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "world-export-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void export_writes_png_and_txt_pairs_that_read_back_as_generated()
    {
        var paths = WorldExporter.Export("concept", "heart", _dir, count: 6, seed: 3, trigger: "zq");
        var samples = WorldGenerator.Member("concept", "heart", 6, seed: 3, trigger: "zq");

        Assert.Equal(12, Directory.GetFiles(_dir).Length);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(Path.Combine(_dir, $"heart_{i:D4}.png"), paths[i]);
            using var image = Image.Load<Rgb24>(paths[i]);
            var pixels = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(pixels);
            Assert.Equal(samples[i].Pixels, pixels);
            Assert.Equal(samples[i].Caption + "\n", File.ReadAllText(Path.ChangeExtension(paths[i], ".txt")));
        }
    }

    [Fact]
    public void exporting_again_overwrites_in_place_and_leaves_no_temporary_files()
    {
        WorldExporter.Export("style", "outline", _dir, count: 3, seed: 1);
        WorldExporter.Export("style", "outline", _dir, count: 3, seed: 2);
        Assert.Equal(6, Directory.GetFiles(_dir).Length);
        Assert.Equal(WorldGenerator.Member("style", "outline", 3, seed: 2)[2].Caption + "\n",
            File.ReadAllText(Path.Combine(_dir, "outline_0002.txt")));
    }

    [Fact]
    public void a_gallery_is_one_png_grid_with_a_cell_per_sample()
    {
        var path = Path.Combine(_dir, "sheet.png");
        WorldGallery.Write(path, WorldGenerator.HeldIn(10, seed: 0), columns: 4, scale: 2);
        using var image = Image.Load<Rgb24>(path);
        Assert.Equal((2 + 4 * (64 + 2), 2 + 3 * (64 + 2)), (image.Width, image.Height));
    }
}
