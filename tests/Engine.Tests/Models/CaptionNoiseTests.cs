using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Tests.Models;

public class CaptionNoiseTests
{
    private const string Caption = "a small red circle on the left, blue background";

    [Fact]
    public void every_word_of_the_caption_stays_in_order_with_one_to_three_words_put_in_at_one_place()
    {
        var words = Caption.Split(' ');
        for (var seed = 0; seed < 200; seed++)
        {
            var noisy = CaptionNoise.Insert(Caption, new Random(seed)).Split(' ');
            var added = noisy.Length - words.Length;
            Assert.InRange(added, 1, 3);
            var at = Enumerable.Range(0, words.Length + 1).First(i =>
                noisy[..i].SequenceEqual(words[..i]) && noisy[(i + added)..].SequenceEqual(words[i..]) && (i > 0 || noisy[added - 1].EndsWith(',')));
            Assert.All(noisy[at..(at + added)], w => Assert.Matches("^[a-z]+,?$", w));
        }
    }

    [Fact]
    public void the_same_random_state_inserts_the_same_words_and_different_ones_differ()
    {
        Assert.Equal(CaptionNoise.Insert(Caption, new Random(5)), CaptionNoise.Insert(Caption, new Random(5)));
        Assert.True(Enumerable.Range(0, 20).Select(s => CaptionNoise.Insert(Caption, new Random(s))).Distinct().Count() > 15);
    }

    [Fact]
    public void an_empty_caption_stays_empty() => Assert.Equal("", CaptionNoise.Insert("", new Random(1)));
}
