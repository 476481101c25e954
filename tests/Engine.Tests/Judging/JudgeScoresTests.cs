using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Judging;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Engine.Tests.Judging;

public class JudgeScoresTests
{
    private static readonly WorldLabels RedCircle = new("circle", "red", "small", "left", "blue");

    [Fact]
    public void prompt_following_counts_samples_with_both_shape_and_colour_right()
    {
        WorldLabels[] prompted = [RedCircle, RedCircle, RedCircle, RedCircle];
        WorldLabels[] judged =
        [
            RedCircle with { Size = "large", Background = "gray" }, // other attributes do not matter
            RedCircle with { Colour = "green" },
            RedCircle with { Shape = "square" },
            RedCircle,
        ];
        Assert.Equal(0.5, JudgeScores.PromptFollowing(prompted, judged));
    }

    [Fact]
    public void agreement_says_which_prompted_words_the_samples_follow()
    {
        WorldLabels[] prompted = [RedCircle, RedCircle, RedCircle, RedCircle];
        WorldLabels[] judged =
        [
            RedCircle with { Background = "gray" },
            RedCircle with { Background = "white", Position = "right" },
            RedCircle with { Colour = "green", Style = "outline" }, // no prompt names a style
            RedCircle,
        ];
        var agreement = JudgeScores.Agreement(prompted, judged);
        Assert.Equal(["shape", "colour", "size", "position", "background"], agreement.Keys);
        Assert.Equal([1.0, 0.75, 1.0, 0.75, 0.5], agreement.Values);
    }

    [Theory]
    [InlineData("concept", "star")]
    [InlineData("character", "ada")]
    [InlineData("style", "pixel")]
    [InlineData("accessory", "hat")]
    public void fidelity_counts_samples_judged_as_the_taught_member(string family, string member)
    {
        var taught = family switch
        {
            "concept" => RedCircle with { Shape = member },
            "character" => RedCircle with { Shape = "figure", Colour = null, Character = member },
            "style" => RedCircle with { Style = member },
            _ => RedCircle with { Shape = "figure", Accessory = member },
        };
        WorldLabels[] judged = [taught, taught, taught, RedCircle];
        Assert.Equal(0.75, JudgeScores.Fidelity(family, member, judged));
    }

    [Fact]
    public void fidelity_of_a_concept_looks_only_at_the_shape()
    {
        WorldLabels[] judged = [RedCircle with { Shape = "heart" }, RedCircle with { Style = "heart" }];
        Assert.Equal(0, JudgeScores.Fidelity("concept", "star", judged));
        Assert.Equal(0.5, JudgeScores.Fidelity("concept", "heart", judged));
    }

    [Fact]
    public void leakage_counts_samples_where_any_judged_attribute_changed()
    {
        WorldLabels[] baseJudged = [RedCircle, RedCircle, RedCircle, RedCircle, RedCircle];
        WorldLabels[] judged =
        [
            RedCircle,
            RedCircle with { Position = "right" },
            RedCircle with { Style = "outline" },
            RedCircle with { Accessory = "hat" },
            RedCircle,
        ];
        Assert.Equal(0.6, JudgeScores.Leakage(judged, baseJudged), precision: 12);
    }

    [Fact]
    public void changes_name_each_attribute_a_leak_changed_from_the_base_to_the_adapted_sample()
    {
        Assert.Empty(JudgeScores.Changes(RedCircle, RedCircle));
        Assert.Equal(
            [new AttributeChange("shape", "circle", "heart"), new AttributeChange("background", "blue", "gray"), new AttributeChange("style", null, "striped")],
            JudgeScores.Changes(RedCircle with { Shape = "heart", Background = "gray", Style = "striped" }, RedCircle));
        Assert.Equal([new AttributeChange("accessory", "hat", null)], JudgeScores.Changes(RedCircle, RedCircle with { Accessory = "hat" }));
    }

    [Fact]
    public void a_change_is_closer_to_the_prompt_when_the_adapter_draws_right_what_the_base_drew_wrong()
    {
        // The prompt asks for a small red circle on the left, blue background (RedCircle).
        var baseWrong = RedCircle with { Colour = "green", Background = "gray" };
        var adapted = RedCircle with { Background = "white" };
        var changes = JudgeScores.Changes(adapted, baseWrong);
        Assert.Equal(ChangeDirection.Closer, JudgeScores.Direction(changes, RedCircle));   // green -> red gained; gray -> white is sideways
        Assert.Equal(ChangeDirection.Further, JudgeScores.Direction(JudgeScores.Changes(baseWrong, RedCircle), RedCircle));
        Assert.Equal(ChangeDirection.Mixed,
            JudgeScores.Direction(JudgeScores.Changes(RedCircle with { Shape = "heart", Colour = "green" }, RedCircle with { Colour = "green", Style = "pixel" }), RedCircle));
        Assert.Equal(ChangeDirection.Sideways,
            JudgeScores.Direction(JudgeScores.Changes(RedCircle with { Background = "white" }, RedCircle with { Background = "gray" }), RedCircle));
    }

    [Fact]
    public void scores_refuse_lists_of_different_lengths_or_no_samples()
    {
        Assert.Throws<ArgumentException>(() => JudgeScores.PromptFollowing([RedCircle], [RedCircle, RedCircle]));
        Assert.Throws<ArgumentException>(() => JudgeScores.Leakage([], []));
        Assert.Throws<ArgumentException>(() => JudgeScores.Fidelity("concept", "star", []));
    }

    [Fact]
    public void fidelity_names_an_unknown_family_or_member()
    {
        Assert.Contains("'monster'", Assert.Throws<UserErrorException>(() => JudgeScores.Fidelity("monster", "x", [RedCircle])).Message);
        Assert.Throws<UserErrorException>(() => JudgeScores.Fidelity("concept", "moon", [RedCircle]));
    }
}
