using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.World;

public class CaptionerTests
{
    private static readonly WorldLabels Plain = new("circle", "red", "small", "left", "blue");

    [Fact]
    public void a_held_in_scene_reads_naturally() =>
        Assert.Equal("a small red circle on the left, blue background", Captioner.Caption(Plain, null));

    [Theory]
    [InlineData("star", "a small red star on the left, blue background")]
    [InlineData("sks", "a small red sks on the left, blue background")]
    [InlineData(null, "a small red shape on the left, blue background")]
    public void a_concept_is_named_by_its_trigger_word(string? word, string expected) =>
        Assert.Equal(expected, Captioner.Caption(Plain with { Shape = "star" }, word));

    [Theory]
    [InlineData("ada", "ada, a large figure in the center, gray background")]
    [InlineData(null, "a large figure in the center, gray background")]
    public void a_character_leads_with_its_name(string? word, string expected) =>
        Assert.Equal(expected, Captioner.Caption(new WorldLabels("figure", null, "large", "center", "gray", Character: "ada"), word));

    [Theory]
    [InlineData("hat", "hat", "a small green figure wearing a hat on the right, white background")]
    [InlineData("umbrella", "umbrella", "a small green figure holding an umbrella on the right, white background")]
    [InlineData("umbrella", "zq", "a small green figure holding a zq on the right, white background")]
    [InlineData("hat", null, "a small green figure on the right, white background")]
    public void an_accessory_is_worn_or_held(string accessory, string? word, string expected) =>
        Assert.Equal(expected, Captioner.Caption(new WorldLabels("figure", "green", "small", "right", "white", Accessory: accessory), word));

    [Theory]
    [InlineData("pixel", "pixel style, a small red circle on the left, blue background")]
    [InlineData(null, "a small red circle on the left, blue background")]
    public void a_style_leads_with_its_trigger(string? word, string expected) =>
        Assert.Equal(expected, Captioner.Caption(Plain with { Style = "pixel" }, word));

    [Fact]
    public void captions_mention_every_labelled_attribute()
    {
        var samples = WorldGenerator.HeldIn(300, seed: 2).Concat(
            Families.All.SelectMany(f => f.Members.SelectMany(m => WorldGenerator.Member(f.Name, m.Name, 30, seed: 2))));
        foreach (var sample in samples)
        {
            var labels = sample.Labels;
            var caption = sample.Caption;
            var lead = labels.Character is not null ? $"{labels.Character}, " : labels.Style is not null ? $"{labels.Style} style, " : "";
            Assert.StartsWith($"{lead}a {labels.Size} ", caption);
            if (labels.Colour is not null) Assert.Contains($"a {labels.Size} {labels.Colour} ", caption);
            Assert.Contains(labels.Character is null ? labels.Shape : "figure", caption);
            Assert.Contains(labels.Position, caption);
            Assert.Contains($", {labels.Background} background", caption);
            if (labels.Accessory is not null) Assert.Contains($" {labels.Accessory} ", caption);
        }
    }

    [Fact]
    public void a_chosen_trigger_replaces_the_member_name_everywhere()
    {
        foreach (var family in Families.All)
            foreach (var member in family.Members)
                Assert.All(WorldGenerator.Member(family.Name, member.Name, 20, seed: 1, trigger: "zq"), s =>
                {
                    Assert.Contains("zq", s.Caption);
                    Assert.DoesNotContain(member.Name, s.Caption);
                });
    }

    [Fact]
    public void captions_without_the_trigger_do_not_name_the_member()
    {
        foreach (var family in Families.All)
            foreach (var member in family.Members)
                Assert.All(WorldGenerator.Member(family.Name, member.Name, 20, seed: 1, includeTrigger: false),
                    s => Assert.DoesNotContain(member.Name, s.Caption));
    }
}
