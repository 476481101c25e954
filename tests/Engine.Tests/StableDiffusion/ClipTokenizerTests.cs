using LoraNotebooks.Engine.Models.StableDiffusion;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

public class ClipTokenizerTests
{
    [Fact]
    public void words_are_merged_in_rank_order_with_end_of_word_markers()
    {
        var tokenizer = TinyStableDiffusion.Tokenizer();
        Assert.Equal(["a</w>", "cat</w>", "&</w>", "dog</w>"], tokenizer.Tokenize(" A  cat &amp; dog "));
    }

    [Fact]
    public void unmerged_words_stay_as_characters_and_punctuation_is_its_own_word()
    {
        var tokenizer = TinyStableDiffusion.Tokenizer();
        Assert.Equal(["c", "o", "w</w>", "!</w>"], tokenizer.Tokenize("cow!"));
    }

    [Fact]
    public void sequences_are_bos_tokens_eos_padded_with_eos()
    {
        var tokenizer = TinyStableDiffusion.Tokenizer();
        var (vocab, _) = TinyStableDiffusion.TokenizerFiles();
        var ids = tokenizer.Encode("cat");
        Assert.Equal(16, ids.Length);
        Assert.Equal([tokenizer.Bos, vocab["cat</w>"], tokenizer.Eos, tokenizer.Eos], ids[..4]);
        Assert.All(ids[2..], id => Assert.Equal(tokenizer.Eos, id));
    }

    [Fact]
    public void the_text_read_is_what_encode_keeps_cleaned_and_cut()
    {
        var tokenizer = TinyStableDiffusion.Tokenizer();
        Assert.Equal("a cat & dog", tokenizer.TextRead(" A  cat &amp; dog "));
        Assert.Equal("cow !", tokenizer.TextRead("cow!"));
        Assert.Equal(string.Join(" ", Enumerable.Repeat("cat", 14)), tokenizer.TextRead(string.Join(" ", Enumerable.Repeat("cat", 40))));
    }

    [Fact]
    public void long_texts_are_cut_to_leave_room_for_eos()
    {
        var tokenizer = TinyStableDiffusion.Tokenizer();
        var ids = tokenizer.Encode(string.Join(" ", Enumerable.Repeat("cat", 40)));
        Assert.Equal(tokenizer.Bos, ids[0]);
        Assert.Equal(tokenizer.Eos, ids[^1]);
        Assert.Equal(14, ids.Count(id => id != tokenizer.Bos && id != tokenizer.Eos));
    }

    [Fact]
    public void files_load_from_a_tokenizer_folder_and_missing_files_are_named()
    {
        var folder = TinyStableDiffusion.TempFolder();
        TinyStableDiffusion.WriteTokenizer(folder);
        var tokenizer = ClipTokenizer.Load(Path.Combine(folder, "tokenizer"), 16);
        Assert.Equal(["dog</w>"], tokenizer.Tokenize("dog"));

        var error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(folder));
        Assert.Contains("vocab.json", error.Message);
    }
}
