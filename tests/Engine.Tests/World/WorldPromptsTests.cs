using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.World;

public class WorldPromptsTests
{
    [Fact]
    public void held_in_prompts_cover_every_shape_and_colour_pair()
    {
        int pairs = HeldInWorld.Shapes.Count * HeldInWorld.Colours.Count;
        var prompts = WorldPrompts.HeldIn(pairs, seed: 0);
        Assert.Equal(pairs, prompts.Select(p => (p.Expected.Shape, p.Expected.Colour)).Distinct().Count());
        Assert.All(prompts, p => Assert.Equal(Captioner.Caption(p.Expected, null), p.Prompt));
    }

    [Fact]
    public void trigger_prompts_name_the_member_by_the_trigger_and_expect_it()
    {
        var prompts = WorldPrompts.Trigger("character", "kit", 10, seed: 0, trigger: "zq");
        Assert.All(prompts, p =>
        {
            Assert.StartsWith("zq, ", p.Prompt);
            Assert.Equal("kit", p.Expected.Character);
        });
    }

    [Fact]
    public void non_trigger_prompts_are_held_in_and_aim_at_what_the_family_changes()
    {
        Assert.All(WorldPrompts.NonTrigger("accessory", 20, seed: 0), p =>
        {
            Assert.Equal("figure", p.Expected.Shape);
            Assert.Null(p.Expected.Accessory);
        });
        Assert.Equal(HeldInWorld.Shapes.Order(),
            WorldPrompts.NonTrigger("concept", 20, seed: 0).Select(p => p.Expected.Shape).Distinct().Order());
    }

    [Fact]
    public void prompts_are_deterministic()
    {
        Assert.Equal(WorldPrompts.HeldIn(30, seed: 4), WorldPrompts.HeldIn(30, seed: 4));
        Assert.Equal(WorldPrompts.Trigger("style", "dotted", 30, seed: 4), WorldPrompts.Trigger("style", "dotted", 30, seed: 4));
    }
}
