using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Training;

/// <summary>A masked loss (a dataset's <c>mask</c>): masks are read and cut with their pictures, and the loss weighs pixels by them.</summary>
public sealed class MaskedLossTests : IDisposable
{
    private readonly TrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    [Fact]
    public void a_world_picture_records_where_its_subject_is_painted()
    {
        foreach (var sample in WorldGenerator.Member("accessory", "hat", 10, seed: 21))
        {
            // The same scene without the hat, from an identically seeded random source: only the hat's pixels change.
            var (shown, subject) = SceneRenderer.Draw(sample.Labels, new Random(1), 32);
            var bare = SceneRenderer.Render(sample.Labels with { Accessory = null }, new Random(1), 32);
            var changed = Enumerable.Range(0, 32 * 32).Where(p => Enumerable.Range(0, 3).Any(c => shown[p * 3 + c] != bare[p * 3 + c])).ToList();
            Assert.NotEmpty(changed);
            Assert.All(changed, p => Assert.True(subject[p] > 0, $"pixel {p} shows the hat but is not marked"));
            Assert.True(subject.Count(b => b > 0) < 32 * 32 / 4, "the hat is a small part of the picture");
        }
        foreach (var sample in WorldGenerator.Member("concept", "heart", 10, seed: 21))
        {
            var background = Palette.Get(sample.Labels.Background);
            var painted = Enumerable.Range(0, 32 * 32)
                .Where(p => (sample.Pixels[p * 3], sample.Pixels[p * 3 + 1], sample.Pixels[p * 3 + 2]) != (background.R, background.G, background.B));
            Assert.All(painted, p => Assert.True(sample.Subject[p] > 0, $"pixel {p} shows the heart but is not marked"));
        }
    }

    [Fact]
    public void a_masked_world_dataset_learns_from_its_subject_and_a_pixel_round_it()
    {
        var plan = _setup.Plan("""
            dataset "hat" {
              world accessory "hat" count 3
              trigger "zq hat"
              mask outside 0%
            }
            dataset "figures" {
              world held_in "figure" count 3
              preserve
            }
            """).Training!;

        var data = TrainingData.Load(plan, 32);

        var samples = WorldGenerator.Member("accessory", "hat", 3, TrainingData.WorldSeed);
        foreach (var (image, sample) in data.Datasets[0].Train.Zip(samples))
        {
            var mask = image.Mask!;
            Assert.All(Enumerable.Range(0, mask.Length).Where(p => sample.Subject[p] > 0), p => Assert.Equal(255, mask[p]));
            Assert.True(mask.Count(b => b > 0) > sample.Subject.Count(b => b > 0), "the margin adds pixels");
            Assert.All(mask, b => Assert.True(b is 0 or 255));
        }
        Assert.All(data.Datasets[1].Train, image => Assert.Null(image.Mask));

        // The base's own world masks its subject too: here the figure.
        var figures = TrainingData.Load(_setup.Plan("dataset \"figures\" {\n  world held_in \"figure\" count 2\n  trigger \"zq\"\n  mask\n}").Training!, 32);
        foreach (var (image, sample) in figures.Datasets[0].Train.Zip(WorldGenerator.HeldIn(2, TrainingData.WorldSeed, shape: "figure")))
            Assert.All(Enumerable.Range(0, 32 * 32).Where(p => sample.Subject[p] > 0), p => Assert.Equal(255, image.Mask![p]));
    }

    [Fact]
    public void a_mask_is_resized_and_cut_with_its_picture_also_where_a_random_crop_cuts()
    {
        var folder = Directory.CreateTempSubdirectory("masked-").FullName;
        var masks = Directory.CreateDirectory(Path.Combine(folder, "masks")).FullName;
        try
        {
            // A 32×20 picture whose red channel is its mask: after resizing and cutting, the two must still agree.
            using (var picture = new Image<Rgb24>(32, 20))
            using (var mask = new Image<L8>(32, 20))
            {
                for (var x = 0; x < 32; x++)
                    for (var y = 0; y < 20; y++)
                    {
                        var inside = (byte)((x - 12) * (x - 12) + (y - 9) * (y - 9) < 36 ? 255 : 0);
                        picture[x, y] = new Rgb24(inside, 40, 90);
                        mask[x, y] = new L8(inside);
                    }
                picture.SaveAsPng(Path.Combine(folder, "wide.png"));
                mask.SaveAsPng(Path.Combine(masks, "wide.png"));
            }

            var loaded = Assert.Single(CaptionedFolder.Read(folder, 16, keepCover: true, masks: masks).Images);

            Assert.Equal(loaded.Bucket.Width * loaded.Bucket.Height, loaded.Mask!.Length);
            AssertAligned(loaded.Rgb, loaded.Mask);
            var cuts = Enumerable.Range(0, 10).Select(seed => loaded.Draw(new Random(seed))).ToList();
            Assert.True(cuts.Select(c => Convert.ToBase64String(c.Rgb)).Distinct().Count() > 1, "cuts move");
            Assert.All(cuts, cut => AssertAligned(cut.Rgb, cut.Mask!));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static void AssertAligned(byte[] rgb, byte[] mask)
        {
            Assert.Contains(mask, b => b > 200);
            Assert.All(Enumerable.Range(0, mask.Length), p => Assert.InRange(mask[p] - rgb[p * 3], -2, 2));
        }
    }

    [Fact]
    public void a_picture_without_a_usable_mask_is_skipped_with_the_reason_and_of_two_masks_its_own_is_used()
    {
        var folder = Directory.CreateTempSubdirectory("masked-").FullName;
        var masks = Directory.CreateDirectory(Path.Combine(folder, "masks")).FullName;
        try
        {
            foreach (var name in new[] { "fine", "unmasked", "small", "black", "broken", "twice", "own" })
                new Image<Rgb24>(16, 16, new Rgb24(200, 10, 10)).SaveAsPng(Path.Combine(folder, name + ".png"));
            new Image<L8>(16, 16, new L8(255)).SaveAsPng(Path.Combine(masks, "fine.png"));
            new Image<L8>(8, 8, new L8(255)).SaveAsPng(Path.Combine(masks, "small.png"));
            new Image<L8>(16, 16, new L8(0)).SaveAsPng(Path.Combine(masks, "black.png"));
            File.WriteAllBytes(Path.Combine(masks, "broken.webp"), [1, 2, 3]);
            new Image<L8>(16, 16, new L8(255)).SaveAsJpeg(Path.Combine(masks, "twice.jpg"));
            new Image<L8>(16, 16, new L8(255)).SaveAsWebp(Path.Combine(masks, "twice.webp"));
            new Image<L8>(16, 16, new L8(255)).SaveAsPng(Path.Combine(masks, "own.png"));
            new Image<L8>(16, 16, new L8(0)).SaveAsJpeg(Path.Combine(masks, "own.jpg"));

            var read = CaptionedFolder.Read(folder, 16, masks: masks);

            Assert.Equal(["fine.png", "own.png"], read.Images.Select(i => Path.GetFileName(i.Source)));
            var reasons = read.Skipped.ToDictionary(s => Path.GetFileNameWithoutExtension(s.Path), s => s.Reason);
            Assert.StartsWith("it has no mask of the same name", reasons["unmasked"]);
            Assert.Equal("its mask small.png is 8×8 pixels and the picture 16×16; a mask must be the picture's size", reasons["small"]);
            Assert.Contains("black everywhere", reasons["black"]);
            Assert.StartsWith("its mask broken.webp ", reasons["broken"]);
            Assert.Equal($"it has 2 masks of its name in '{masks}' (twice.jpg, twice.webp) and none is twice.png; keep its own, or name it as the picture",
                reasons["twice"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void the_weighted_loss_ignores_pixels_of_weight_zero_averages_weights_down_and_is_the_mean_with_weights_of_one()
    {
        using var scope = NewDisposeScope();
        var squared = rand([2, 3, 4, 4], generator: new Generator(1));

        AssertClose(squared.mean([1, 2, 3]), DenoisingModel.WeightedMean(squared, ones(2, 1, 4, 4)));

        var left = zeros(2, 1, 4, 4);
        left[.., .., .., ..2] = ones(2, 1, 4, 2);
        var spoiled = squared.clone();
        spoiled[.., .., .., 2..] = full([2, 3, 4, 2], 1e6f);
        AssertClose(squared[.., .., .., ..2].mean([1, 2, 3]), DenoisingModel.WeightedMean(spoiled, left));

        // Weights at twice the resolution (pixels against a latent) are averaged over each 2×2 block.
        var fine = zeros(2, 1, 8, 8);
        fine[.., .., .., ..4] = ones(2, 1, 8, 4);
        AssertClose(squared[.., .., .., ..2].mean([1, 2, 3]), DenoisingModel.WeightedMean(squared, fine));

        static void AssertClose(Tensor expected, Tensor actual) =>
            Assert.All(expected.data<float>().Zip(actual.data<float>()), p => Assert.Equal(p.First, p.Second, 1e-5f));
    }

    [Fact]
    public void white_masks_train_as_no_mask_does_and_masks_that_hide_most_of_each_picture_train_differently()
    {
        var masks = Directory.CreateDirectory(Path.Combine(_setup.Root, "masks")).FullName;
        foreach (var picture in Directory.EnumerateFiles(_setup.Data, "*.png"))
            RgbImage.WritePng(Path.Combine(masks, Path.GetFileName(picture)), [.. Enumerable.Repeat((byte)255, 8 * 8 * 3)], 8);
        var plain = _setup.Plan(TrainingSetup.Script("steps 4", dataset: "flip\nvalidation 1")).Training!;
        var white = _setup.Plan(TrainingSetup.Script("steps 4", dataset: "flip\nvalidation 1\nmask \"masks\" outside 0%")).Training!;

        var (plainAdapter, plainEvents) = _setup.Train(plain);
        var (whiteAdapter, whiteEvents) = _setup.Train(white with { Train = white.Train with { Overwrite = true } });

        Assert.All(Losses(plainEvents).Zip(Losses(whiteEvents)), p => Assert.Equal(p.First, p.Second, 1e-5));
        Assert.Equal(plainEvents.OfType<ValidationEvent>().Last().Loss, whiteEvents.OfType<ValidationEvent>().Last().Loss, 4);
        Assert.Equal("True", Metadata(whiteAdapter)["ss_masked_loss"]); // kohya's key for a masked run
        Assert.False(Metadata(plainAdapter).ContainsKey("ss_masked_loss"));

        // A mask of one corner pixel: the loss is that pixel's alone.
        foreach (var picture in Directory.EnumerateFiles(masks))
        {
            var corner = new byte[8 * 8 * 3];
            corner[0] = corner[1] = corner[2] = 255;
            RgbImage.WritePng(picture, corner, 8);
        }
        var (_, cornerEvents) = _setup.Train(white with { Train = white.Train with { Overwrite = true } });
        Assert.NotEqual(Losses(plainEvents), Losses(cornerEvents));

        static double[] Losses(List<TrainingEvent> events) => [.. events.OfType<StepEvent>().Select(e => e.Loss)];

        IReadOnlyDictionary<string, string> Metadata(byte[] adapter)
        {
            var path = Path.Combine(_setup.Root, $"{Guid.NewGuid():N}.safetensors");
            File.WriteAllBytes(path, adapter);
            using var file = SafeTensorsFile.Open(path);
            return file.Metadata.ToDictionary();
        }
    }
}
