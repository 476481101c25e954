using LoraNotebooks.Engine.Judging;
using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Judging;

public class JudgeDataTests
{
    [Fact]
    public void a_mix_shows_the_held_in_world_and_every_family_member()
    {
        var mix = JudgeData.Mixed(120, seed: 5);
        Assert.Equal(24, mix.Count(s => s.Labels is { Style: null, Character: null, Accessory: null } && HeldInWorld.Shapes.Contains(s.Labels.Shape)));
        foreach (var member in Families.Names["concept"]) Assert.Contains(mix, s => s.Labels.Shape == member);
        foreach (var member in Families.Names["character"]) Assert.Contains(mix, s => s.Labels.Character == member);
        foreach (var member in Families.Names["style"]) Assert.Contains(mix, s => s.Labels.Style == member);
        foreach (var member in Families.Names["accessory"]) Assert.Contains(mix, s => s.Labels.Accessory == member);
    }

    [Fact]
    public void a_mix_is_deterministic_and_asking_for_more_keeps_the_first_pictures()
    {
        var few = JudgeData.Mixed(30, seed: 9);
        var many = JudgeData.Mixed(90, seed: 9);
        Assert.Equal(few.Select(s => s.Pixels), many.Take(30).Select(s => s.Pixels));
    }

    [Fact]
    public void pictures_become_channels_first_floats_in_the_unit_range()
    {
        var samples = WorldGenerator.HeldIn(2, seed: 1);
        using var images = JudgeData.ToImages(samples);
        Assert.Equal([2L, 3, 32, 32], images.shape);
        var pixels = samples[1].Pixels;
        int x = 5, y = 7;
        for (int c = 0; c < 3; c++)
            Assert.Equal(pixels[(y * 32 + x) * 3 + c] / 255f, images[1, c, y, x].item<float>(), precision: 6);
        using var targets = JudgeData.ToTargets(samples);
        Assert.Equal(WorldVocabulary.Encode(samples[1].Labels).Select(i => (long)i), targets[1].data<long>().ToArray());
    }

    [Fact]
    public void augmented_pictures_stay_in_the_unit_range_and_near_the_originals()
    {
        using var images = JudgeData.ToImages(JudgeData.Mixed(32, seed: 2));
        using var augmented = JudgeTrainer.Augment(images, new JudgeTrainingOptions(), new Generator(3));
        Assert.Equal(images.shape, augmented.shape);
        Assert.True(augmented.min().item<float>() >= 0 && augmented.max().item<float>() <= 1);
        Assert.InRange((augmented - images).abs().mean().item<float>(), 0.005f, 0.1f);
    }
}
