using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// A small CLIP-style text transformer over byte tokens (<see cref="ByteTokenizer"/>): token ids
/// [B, L] in, one hidden state per token [B, L, hidden_size] out, for the UNet's cross-attention.
/// Keys follow transformers' CLIPTextModel (<c>text_model.encoder.layers.0.self_attn.q_proj</c>), so
/// kohya names its adapters <c>lora_te_text_model_encoder_layers_0_self_attn_q_proj</c> as for SD 1.5.
/// </summary>
/// <remarks>
/// Attention is bidirectional with padding masked out of the keys, so a caption's encoding does not
/// depend on how much padding follows it.
/// </remarks>
public sealed class TextEncoder : nn.Module<Tensor, Tensor>
{
    private readonly TextTransformer text_model;

    /// <summary>A text encoder with fresh weights shaped by <paramref name="config"/>.</summary>
    public TextEncoder(TextEncoderConfig config) : base(nameof(TextEncoder))
    {
        config.Validate();
        Config = config;
        text_model = new TextTransformer(config);
        RegisterComponents();
    }

    /// <summary>The shape of this encoder.</summary>
    public TextEncoderConfig Config { get; }

    /// <summary>Hidden states [B, L, hidden_size] of token ids [B, L].</summary>
    public override Tensor forward(Tensor inputIds) => text_model.call(inputIds);

    /// <summary>CLIPTextTransformer: embeddings, the layer stack and a final layer norm.</summary>
    private sealed class TextTransformer : nn.Module<Tensor, Tensor>
    {
        private readonly TextEmbeddings embeddings;
        private readonly TextEncoderStack encoder;
        private readonly LayerNorm final_layer_norm;

        public TextTransformer(TextEncoderConfig config) : base(nameof(TextTransformer))
        {
            embeddings = new TextEmbeddings(config);
            encoder = new TextEncoderStack(config);
            final_layer_norm = Norms.Layer(config.HiddenSize);
            RegisterComponents();
        }

        public override Tensor forward(Tensor inputIds)
        {
            using var scope = NewDisposeScope();
            // Additive key mask [B, 1, 1, L]: padding gets -inf, so no token attends to it.
            var mask = zeros(inputIds.shape, dtype: float32, device: inputIds.device)
                .masked_fill(inputIds.eq(ByteTokenizer.Pad), float.NegativeInfinity)
                .unsqueeze(1).unsqueeze(1);
            var hidden = encoder.call(embeddings.call(inputIds), mask);
            return final_layer_norm.call(hidden).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Token and learned position embeddings, added.</summary>
    private sealed class TextEmbeddings : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding token_embedding;
        private readonly Embedding position_embedding;

        public TextEmbeddings(TextEncoderConfig config) : base(nameof(TextEmbeddings))
        {
            token_embedding = nn.Embedding(config.VocabSize, config.HiddenSize);
            position_embedding = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
            // CLIP's initialisation: small normal embeddings, not nn.Embedding's unit normal.
            using (no_grad())
            {
                nn.init.normal_(token_embedding.weight!, 0, 0.02);
                nn.init.normal_(position_embedding.weight!, 0, 0.01);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor inputIds)
        {
            using var scope = NewDisposeScope();
            var positions = arange(inputIds.shape[1], dtype: int64, device: inputIds.device).unsqueeze(0);
            return (token_embedding.call(inputIds) + position_embedding.call(positions)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>CLIPEncoder: the numbered layers.</summary>
    private sealed class TextEncoderStack : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly ModuleList<TextEncoderLayer> layers;

        public TextEncoderStack(TextEncoderConfig config) : base(nameof(TextEncoderStack))
        {
            layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new TextEncoderLayer(config)).ToArray());
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden, Tensor keyMask)
        {
            using var scope = NewDisposeScope();
            foreach (var layer in layers)
                hidden = layer.call(hidden, keyMask);
            return hidden.MoveToOuterDisposeScope();
        }
    }
}
