using LoraNotebooks.Dsl.Completion;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class CompletionTests
{
    private static List<string> Labels(string text, int line, int column) =>
        [.. Completions.At(text, line, column, TestWorlds.Instance).Select(c => c.Label)];

    [Fact]
    public void an_empty_line_at_the_top_offers_the_top_level_keywords()
    {
        Assert.Equal(["base", "dataset", "lora", "train", "sample", "load", "grid", "combine", "merge", "inspect", "evaluate"], Labels("", 1, 1));
    }

    [Fact]
    public void inside_a_block_the_keywords_of_that_block_are_offered_by_prefix()
    {
        Assert.Equal(["rank", "rslora"], Labels("lora {\n  r\n}", 2, 4));
    }

    [Fact]
    public void after_optimizer_the_optimizers_and_then_their_options_are_offered()
    {
        Assert.Equal(["adamw", "sgd", "lion", "prodigy"], Labels("train {\n  optimizer \n}", 2, 13));
        Assert.Equal(["momentum", "nesterov", "weight_decay"], Labels("train {\n  optimizer sgd \n}", 2, 17));
    }

    [Fact]
    public void world_offers_families_then_quoted_members_from_the_catalog()
    {
        Assert.Contains("character", Labels("dataset {\n  world \n}", 2, 9));
        Assert.Equal(["\"ada\"", "\"bo\"", "\"kit\""], Labels("dataset {\n  world character \n}", 2, 19));
        Assert.Contains("held_in", Labels("dataset {\n  world \n}", 2, 9));
        Assert.Contains("\"figure\"", Labels("dataset {\n  world held_in \n}", 2, 17));
    }

    [Fact]
    public void prompt_offers_its_options_after_the_text()
    {
        Assert.Equal(["seed", "steps"], Labels("sample {\n  prompt \"a star\" s\n}", 2, 21));
    }

    [Fact]
    public void nothing_is_offered_inside_a_string_or_comment()
    {
        Assert.Empty(Labels("base \"mod", 1, 10));
        Assert.Empty(Labels("# lo", 1, 5));
    }
}
