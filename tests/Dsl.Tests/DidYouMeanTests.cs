using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class DidYouMeanTests
{
    [Theory]
    [InlineData("rnak", "rank")]
    [InlineData("Rank", "rank")]
    [InlineData("adamw2", "adamw")]
    [InlineData("cosine_restarts", "cosine_with_restarts")]
    [InlineData("eulera", "euler_a")]
    public void close_misspellings_find_the_intended_word(string typed, string intended)
    {
        Assert.Equal(intended, DidYouMean.Closest(typed, ["rank", "adamw", "cosine", "cosine_with_restarts", "euler_a", "ddim"]));
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("x")]
    public void unrelated_words_get_no_suggestion(string typed)
    {
        Assert.Null(DidYouMean.Closest(typed, ["rank", "alpha", "dropout"]));
    }

    [Fact]
    public void swapped_letters_count_as_one_edit()
    {
        Assert.Equal(1, DidYouMean.Distance("rnak", "rank"));
        Assert.Equal(3, DidYouMean.Distance("kitten", "sitting"));
    }

    [Theory]
    [InlineData("lora {\n  rnak 8\n}", "(2,3): error LORA0101: 'rnak' is not a setting of the lora block; did you mean 'rank'?")]
    [InlineData("dataset { world concept \"stra\" }", "(1,25): error LORA0120: 'stra' is not a member of the concept family; did you mean 'star'?")]
    [InlineData("dataset { world concept \"moon\" }", "(1,25): error LORA0120: 'moon' is not a member of the concept family; expected one of star, heart, cross, crescent")]
    [InlineData("dataset { world concept \"star\" }\ntrain { precision fp23 }", "(2,19): error LORA0103: unknown precision 'fp23'; did you mean 'fp32'?")]
    [InlineData("dataset { world concept \"star\" }\nsample { sampler euler }", "(2,18): error LORA0103: unknown sampler 'euler'; expected one of ddim, euler_a")]
    public void checking_suggests_the_nearest_known_word(string script, string expected)
    {
        var result = LoraScript.Check(script, null, Repository.Context);

        Assert.Contains(expected, result.Diagnostics.Select(d => d.ToString()));
    }
}
