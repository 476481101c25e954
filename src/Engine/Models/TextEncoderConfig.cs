namespace LoraNotebooks.Engine.Models;

/// <summary>
/// The shape of a <see cref="TextEncoder"/>, CLIPTextConfig's fields. The defaults are the built-in
/// base's byte-level encoder; <see cref="StableDiffusion.StableDiffusionConfig.Sd15"/> has CLIP ViT-L/14's.
/// </summary>
public sealed record TextEncoderConfig
{
    /// <summary>GELU, as the built-in base uses.</summary>
    public const string Gelu = "gelu";

    /// <summary>CLIP's <c>x · sigmoid(1.702 x)</c>.</summary>
    public const string QuickGelu = "quick_gelu";

    /// <summary>Token ids (the built-in base: 256 bytes and BOS, EOS, PAD).</summary>
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

    /// <summary>The MLP's activation: <see cref="Gelu"/> or <see cref="QuickGelu"/>.</summary>
    public string HiddenAct { get; init; } = Gelu;

    /// <summary>True: each token attends only to itself and earlier tokens, as in CLIP; false: bidirectional.</summary>
    public bool CausalMask { get; init; }

    /// <summary>The padding id masked out of the keys; null when padding is not masked (CLIP pads with EOS and relies on the causal mask).</summary>
    public int? PadTokenId { get; init; } = ByteTokenizer.Pad;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || PadTokenId is { } pad && (pad < 0 || pad >= VocabSize))
            throw new ArgumentException($"vocab_size {VocabSize} must be positive and hold pad_token_id {PadTokenId}");
        if (HiddenAct is not (Gelu or QuickGelu))
            throw new ArgumentException($"hidden_act '{HiddenAct}' is not supported; expected {Gelu} or {QuickGelu}");
        if (MaxPositionEmbeddings < 3)
            throw new ArgumentException($"max_position_embeddings must be at least 3, not {MaxPositionEmbeddings}");
        if (HiddenSize < 1 || NumAttentionHeads < 1 || HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {NumAttentionHeads}");
        if (IntermediateSize < 1 || NumHiddenLayers < 1)
            throw new ArgumentException($"intermediate_size ({IntermediateSize}) and num_hidden_layers ({NumHiddenLayers}) must be positive");
    }
}
