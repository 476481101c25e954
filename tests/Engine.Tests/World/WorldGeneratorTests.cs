using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.World;

public class WorldGeneratorTests
{
    public static TheoryData<string, string> AllMembers()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in Families.All)
            foreach (var member in family.Members)
                data.Add(family.Name, member.Name);
        return data;
    }

    [Fact]
    public void the_same_seed_gives_the_same_bytes_and_captions()
    {
        var a = WorldGenerator.HeldIn(50, seed: 7);
        var b = WorldGenerator.HeldIn(50, seed: 7);
        Assert.All(a.Zip(b), p =>
        {
            Assert.Equal(p.First.Pixels, p.Second.Pixels);
            Assert.Equal(p.First.Caption, p.Second.Caption);
            Assert.Equal(p.First.Labels, p.Second.Labels);
        });
    }

    [Theory]
    [MemberData(nameof(AllMembers))]
    public void a_family_member_is_deterministic_too(string family, string member) =>
        Assert.Equal(
            WorldGenerator.Member(family, member, 5, seed: 3).Select(s => s.Pixels),
            WorldGenerator.Member(family, member, 5, seed: 3).Select(s => s.Pixels));

    [Fact]
    public void held_in_pictures_of_one_shape_show_only_that_shape_in_every_colour_place_and_background()
    {
        var figures = WorldGenerator.HeldIn(60, seed: 4, shape: "figure");

        Assert.All(figures, s => Assert.Equal("figure", s.Labels.Shape));
        Assert.All(figures, s => Assert.Contains(" figure ", s.Caption));
        Assert.True(figures.Select(s => s.Labels.Colour).Distinct().Count() > 4);
        Assert.Equal(3, figures.Select(s => s.Labels.Position).Distinct().Count());
        Assert.Throws<ArgumentException>(() => WorldGenerator.HeldIn(1, seed: 4, shape: "heart"));
    }

    [Fact]
    public void different_seeds_give_different_pictures()
    {
        var a = WorldGenerator.HeldIn(20, seed: 1);
        var b = WorldGenerator.HeldIn(20, seed: 2);
        Assert.True(a.Zip(b).Count(p => !p.First.Pixels.SequenceEqual(p.Second.Pixels)) >= 18);
    }

    [Fact]
    public void asking_for_more_samples_keeps_the_first_ones()
    {
        var few = WorldGenerator.HeldIn(5, seed: 11);
        var many = WorldGenerator.HeldIn(40, seed: 11);
        Assert.Equal(few.Select(s => s.Pixels), many.Take(5).Select(s => s.Pixels));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    public void pictures_have_the_requested_size(int size)
    {
        var sample = WorldGenerator.Member("accessory", "umbrella", 1, seed: 0, size: size)[0];
        Assert.Equal((size, size), (sample.Width, sample.Height));
        Assert.Equal(size * size * 3, sample.Pixels.Length);
    }

    [Fact]
    public void the_held_in_generator_never_emits_held_out_families()
    {
        foreach (var sample in WorldGenerator.HeldIn(2000, seed: 5))
        {
            Assert.Contains(sample.Labels.Shape, HeldInWorld.Shapes);
            Assert.Contains(sample.Labels.Colour!, HeldInWorld.Colours);
            Assert.Null(sample.Labels.Style);
            Assert.Null(sample.Labels.Character);
            Assert.Null(sample.Labels.Accessory);
        }
    }

    [Fact]
    public void the_held_in_generator_reaches_every_held_in_value()
    {
        var labels = WorldGenerator.HeldIn(2000, seed: 5).Select(s => s.Labels).ToArray();
        Assert.Equal(HeldInWorld.Shapes.Order(), labels.Select(l => l.Shape).Distinct().Order());
        Assert.Equal(HeldInWorld.Colours.Order(), labels.Select(l => l.Colour!).Distinct().Order());
        Assert.Equal(HeldInWorld.Sizes.Order(), labels.Select(l => l.Size).Distinct().Order());
        Assert.Equal(HeldInWorld.Positions.Order(), labels.Select(l => l.Position).Distinct().Order());
        Assert.Equal(HeldInWorld.Backgrounds.Order(), labels.Select(l => l.Background).Distinct().Order());
    }

    [Theory]
    [MemberData(nameof(AllMembers))]
    public void nothing_is_drawn_in_its_background_colour(string family, string member)
    {
        foreach (var sample in WorldGenerator.Member(family, member, 200, seed: 9))
            Assert.NotEqual(sample.Labels.Colour, sample.Labels.Background);
    }

    [Fact]
    public void the_background_fills_the_corners_and_the_shape_shows_its_colour()
    {
        foreach (var sample in WorldGenerator.HeldIn(200, seed: 4))
        {
            var background = Palette.Get(sample.Labels.Background);
            var colour = Palette.Get(sample.Labels.Colour!);
            Assert.Equal(new[] { background.R, background.G, background.B }, sample.Pixels[..3]);
            Assert.Contains(Enumerable.Range(0, sample.Width * sample.Height),
                i => sample.Pixels[3 * i] == colour.R && sample.Pixels[3 * i + 1] == colour.G && sample.Pixels[3 * i + 2] == colour.B);
        }
    }

    [Theory]
    [MemberData(nameof(AllMembers))]
    public void every_family_member_differs_from_the_held_in_scene_it_is_based_on(string family, string member)
    {
        foreach (var sample in WorldGenerator.Member(family, member, 20, seed: 21))
        {
            foreach (var plain in HeldInCounterparts(sample.Labels))
            {
                // Same placement: render both from identically seeded random sources.
                var shown = SceneRenderer.Render(sample.Labels, new Random(1), 32);
                var held = SceneRenderer.Render(plain, new Random(1), 32);
                int changed = Enumerable.Range(0, shown.Length).Count(i => Math.Abs(shown[i] - held[i]) > 40);
                Assert.True(changed >= 12, $"{family} {member} looks like {plain}: only {changed} channel values differ");
            }
        }
    }

    // The held-in scenes a member's scene could be mistaken for.
    private static IEnumerable<WorldLabels> HeldInCounterparts(WorldLabels labels)
    {
        if (labels.Character is not null)
            return HeldInWorld.Colours.Select(c => labels with { Character = null, Colour = c });
        if (labels.Style is not null || labels.Accessory is not null)
            return [labels with { Style = null, Accessory = null }];
        return HeldInWorld.Shapes.Select(s => labels with { Shape = s });
    }

    [Fact]
    public void a_blank_trigger_or_an_unknown_member_is_refused_with_the_names_to_choose_from()
    {
        Assert.Throws<ArgumentException>(() => WorldGenerator.Member("concept", "star", 1, 0, trigger: " "));
        var family = Assert.Throws<UserErrorException>(() => WorldGenerator.Member("concepts", "star", 1, 0));
        Assert.Contains("concept, character, style, accessory", family.Message);
        var member = Assert.Throws<UserErrorException>(() => WorldGenerator.Member("concept", "starr", 1, 0));
        Assert.Contains("star, heart, cross, crescent", member.Message);
    }
}
