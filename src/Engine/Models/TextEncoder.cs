using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// transformers' CLIPTextModel: token ids [B, L] in, one hidden state per token [B, L, hidden_size]
/// out (<c>last_hidden_state</c>), for the UNet's cross-attention. Keys are CLIP's
/// (<c>text_model.encoder.layers.0.self_attn.q_proj</c>), so kohya names its adapters
/// <c>lora_te_text_model_encoder_layers_0_self_attn_q_proj</c>. The built-in base uses it over byte
/// tokens (<see cref="ByteTokenizer"/>); SD 1.5 uses CLIP ViT-L/14 over BPE tokens.
/// </summary>
/// <remarks>
/// The built-in base attends bidirectionally with padding masked out of the keys, so a caption's
/// encoding does not depend on how much padding follows it; CLIP attends causally and masks no padding.
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
        private readonly TextEncoderConfig _config;

        public TextTransformer(TextEncoderConfig config) : base(nameof(TextTransformer))
        {
            embeddings = new TextEmbeddings(config);
            encoder = new TextEncoderStack(config);
            final_layer_norm = Norms.Layer(config.HiddenSize);
            _config = config;
            RegisterComponents();
        }

        public override Tensor forward(Tensor inputIds)
        {
            using var scope = NewDisposeScope();
            var hidden = embeddings.call(inputIds);
            hidden = encoder.call(hidden, Mask(inputIds, hidden.dtype));
            return final_layer_norm.call(hidden).MoveToOuterDisposeScope();
        }

        /// <summary>The additive attention mask, [B, 1, L, L] or [B, 1, 1, L]: −inf where a query may not look.</summary>
        private Tensor Mask(Tensor inputIds, ScalarType dtype)
        {
            var (batch, length) = (inputIds.shape[0], inputIds.shape[1]);
            using var s = new ScalarScope();
            var mask = zeros([batch, 1, 1, length], dtype: dtype, device: inputIds.device);
            if (_config.PadTokenId is { } pad)
                mask = mask.masked_fill(inputIds.eq(pad).view(batch, 1, 1, length), s[float.NegativeInfinity]);
            if (_config.CausalMask)
                mask = ScalarMath.Plus(mask, full([length, length], s[float.NegativeInfinity], dtype: dtype, device: inputIds.device).triu(1));
            return mask;
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
            return ScalarMath.Plus(token_embedding.call(inputIds), position_embedding.call(positions)).MoveToOuterDisposeScope();
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
