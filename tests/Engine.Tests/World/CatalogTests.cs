using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.World;

public class CatalogTests
{
    [Fact]
    public void there_are_four_families_of_at_least_three_described_members()
    {
        Assert.Equal(["concept", "character", "style", "accessory"], Families.Names.Keys);
        foreach (var family in Families.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(family.Description));
            Assert.True(family.Members.Count >= 3, family.Name);
            Assert.All(family.Members, m => Assert.False(string.IsNullOrWhiteSpace(m.Description)));
            Assert.Equal(family.Members.Select(m => m.Name), Families.Names[family.Name]);
        }
    }

    [Fact]
    public void member_names_are_unique_and_none_is_a_held_in_word()
    {
        var names = Families.Names.Values.SelectMany(m => m).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        var heldIn = HeldInWorld.Shapes.Concat(HeldInWorld.Colours).Concat(HeldInWorld.Sizes)
            .Concat(HeldInWorld.Positions).Concat(HeldInWorld.Backgrounds);
        Assert.Empty(names.Intersect(heldIn));
    }

    [Fact]
    public void the_vocabulary_covers_every_generated_label_and_every_class_is_generated()
    {
        var labels = WorldGenerator.HeldIn(500, seed: 8).Concat(
                Families.All.SelectMany(f => f.Members.SelectMany(m => WorldGenerator.Member(f.Name, m.Name, 100, seed: 8))))
            .Select(s => s.Labels).ToArray();
        var codes = labels.Select(WorldVocabulary.Encode).ToArray();
        for (int a = 0; a < WorldVocabulary.Attributes.Count; a++)
        {
            var attribute = WorldVocabulary.Attributes[a];
            Assert.Equal(Enumerable.Range(0, WorldVocabulary.Classes[attribute].Count), codes.Select(c => c[a]).Distinct().Order());
        }
    }

    [Fact]
    public void nullable_attributes_encode_null_as_none()
    {
        var codes = WorldVocabulary.Encode(new WorldLabels("figure", null, "small", "left", "gray", Character: "bo"));
        Assert.Equal(WorldVocabulary.None, WorldVocabulary.Classes["colour"][codes[1]]);
        Assert.Equal("bo", WorldVocabulary.Classes["character"][codes[6]]);
        Assert.Equal(WorldVocabulary.None, WorldVocabulary.Classes["style"][codes[5]]);
    }
}
