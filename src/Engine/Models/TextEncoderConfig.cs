namespace LoraNotebooks.Engine.Models;

/// <summary>The shape of a <see cref="TextEncoder"/> (CLIPTextConfig's fields, byte-level vocabulary).</summary>
public sealed record TextEncoderConfig
{
    /// <summary>Token ids: 256 bytes and BOS, EOS, PAD.</summary>
    public int VocabSize { get; init; } = ByteTokenizer.VocabSize;

    /// <summary>The token sequence length, BOS and EOS included.</summary>
    public int MaxPositionEmbeddings { get; init; } = 48;

    /// <summary>The width of every token's hidden state; the UNet's cross-attention dimension.</summary>
    public int HiddenSize { get; init; } = 64;

    /// <summary>The width inside each layer's MLP.</summary>
    public int IntermediateSize { get; init; } = 256;

    /// <summary>The number of transformer layers.</summary>
    public int NumHiddenLayers { get; init; } = 3;

    /// <summary>Attention heads per layer; must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; init; } = 4;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        if (VocabSize != ByteTokenizer.VocabSize)
            throw new ArgumentException($"vocab_size must be {ByteTokenizer.VocabSize} for byte-level tokens, not {VocabSize}");
        if (MaxPositionEmbeddings < 3)
            throw new ArgumentException($"max_position_embeddings must be at least 3, not {MaxPositionEmbeddings}");
        if (HiddenSize < 1 || NumAttentionHeads < 1 || HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}");
        if (IntermediateSize < 1 || NumHiddenLayers < 1)
            throw new ArgumentException($"intermediate_size ({IntermediateSize}) and num_hidden_layers ({NumHiddenLayers}) must be positive");
    }
}
