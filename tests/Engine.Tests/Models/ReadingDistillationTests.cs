using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Tests.Models;

public sealed class ReadingDistillationTests
{
    private static readonly ByteTokenizer Tokenizer = new(16); // BOS, 14 bytes, EOS

    [Fact]
    public void a_word_put_in_front_moves_every_byte_of_the_caption_by_its_length()
    {
        var map = ReadingDistillation.TokenMap(Tokenizer, "a red dot", "zj, a red dot"); // 9 and 13 bytes

        Assert.Equal(0, map[0]); // BOS
        Assert.Equal(Enumerable.Range(1, 9).Select(j => j + 4), map[1..10]);
        Assert.Equal(14, map[10]); // EOS follows the shown caption's end
        Assert.Equal(15, map[11]); // and so does the padding
        Assert.All(map[12..], m => Assert.Equal(-1, m)); // padding past the shown caption's window
    }

    [Fact]
    public void a_word_put_inside_moves_only_the_bytes_after_it_and_bytes_cut_off_by_the_window_map_nowhere()
    {
        var map = ReadingDistillation.TokenMap(Tokenizer, "a red dot on top", "a red zz dot on top");

        // The bytes put in are matched as "a red| zz| dot...": "a red" stays, " dot o" moves by 3.
        Assert.Equal([1, 2, 3, 4, 5], map[1..6]);
        Assert.Equal([9, 10, 11, 12, 13, 14], map[6..12]);
        Assert.All(map[12..15], m => Assert.Equal(-1, m)); // "n t" is past the 14 bytes the shown caption keeps
        Assert.Equal(15, map[15]); // EOS (the written caption's 15th byte is cut too, so its EOS ends the window)
    }

    [Fact]
    public void a_caption_that_is_not_the_written_one_with_words_put_in_maps_nowhere()
    {
        Assert.All(ReadingDistillation.TokenMap(Tokenizer, "a red dot", "a blue dot"), m => Assert.Equal(-1, m));
        Assert.All(ReadingDistillation.TokenMap(Tokenizer, "a red dot", "red dot"), m => Assert.Equal(-1, m));
    }

    [Fact]
    public void only_the_text_encoder_and_cross_attention_keys_and_values_train()
    {
        Assert.True(ReadingDistillation.Trains("text_encoder.text_model.embeddings.position_embedding.weight"));
        Assert.True(ReadingDistillation.Trains("unet.down_blocks.2.attentions.0.transformer_blocks.0.attn2.to_k.weight"));
        Assert.True(ReadingDistillation.Trains("unet.up_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight"));
        Assert.False(ReadingDistillation.Trains("unet.up_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q.weight"));
        Assert.False(ReadingDistillation.Trains("unet.up_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight"));
        Assert.False(ReadingDistillation.Trains("unet.conv_in.weight"));
    }
}
