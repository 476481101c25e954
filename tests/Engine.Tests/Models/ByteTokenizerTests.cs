using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Tests.Models;

public class ByteTokenizerTests
{
    private readonly ByteTokenizer _tokenizer = new(12);

    [Fact]
    public void any_word_encodes_as_its_utf8_bytes_between_bos_and_eos()
    {
        var ids = _tokenizer.Encode("zxqv café");
        Assert.Equal(12, ids.Length);
        Assert.Equal([ByteTokenizer.Bos, 'z', 'x', 'q', 'v', ' ', 'c', 'a', 'f', 0xC3, 0xA9, ByteTokenizer.Eos], ids);
        Assert.Equal("zxqv café", ByteTokenizer.Decode(ids));
    }

    [Fact]
    public void short_text_is_padded_long_text_cut_and_case_ignored()
    {
        Assert.Equal([ByteTokenizer.Bos, ByteTokenizer.Eos, .. Enumerable.Repeat((long)ByteTokenizer.Pad, 10)], _tokenizer.Encode(""));
        Assert.Equal(_tokenizer.Encode("red"), _tokenizer.Encode("  RED "));
        Assert.Equal("a very lon", ByteTokenizer.Decode(_tokenizer.Encode("a very long caption")));
    }

    [Fact]
    public void a_batch_is_an_int64_tensor_of_encodings()
    {
        var batch = _tokenizer.Encode(["red", "blue"]);
        Assert.Equal([2L, 12], batch.shape);
        Assert.Equal(_tokenizer.Encode("blue"), batch[1].data<long>().ToArray());
    }
}
