using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// One pre-norm CLIP encoder layer: <c>x + self_attn(layer_norm1(x))</c>, then <c>x + mlp(layer_norm2(x))</c>.
/// Inputs: hidden states [B, L, D] and an additive key mask [B, 1, 1, L].
/// </summary>
public sealed class TextEncoderLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly TextSelfAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly TextMlp mlp;
    private readonly LayerNorm layer_norm2;

    /// <summary>A layer shaped by <paramref name="config"/>.</summary>
    public TextEncoderLayer(TextEncoderConfig config) : base(nameof(TextEncoderLayer))
    {
        self_attn = new TextSelfAttention(config.HiddenSize, config.NumAttentionHeads);
        layer_norm1 = Norms.Layer(config.HiddenSize);
        mlp = new TextMlp(config.HiddenSize, config.IntermediateSize, config.HiddenAct == TextEncoderConfig.QuickGelu);
        layer_norm2 = Norms.Layer(config.HiddenSize);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        hidden = ScalarMath.Plus(hidden, self_attn.call(layer_norm1.call(hidden), keyMask));
        hidden = ScalarMath.Plus(hidden, mlp.call(layer_norm2.call(hidden)));
        return hidden.MoveToOuterDisposeScope();
    }

    /// <summary>CLIPAttention: multi-head self-attention with q_proj, k_proj, v_proj, out_proj.</summary>
    private sealed class TextSelfAttention : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly Linear q_proj;
        private readonly Linear k_proj;
        private readonly Linear v_proj;
        private readonly Linear out_proj;
        private readonly int _heads;

        public TextSelfAttention(int width, int heads) : base(nameof(TextSelfAttention))
        {
            q_proj = nn.Linear(width, width);
            k_proj = nn.Linear(width, width);
            v_proj = nn.Linear(width, width);
            out_proj = nn.Linear(width, width);
            _heads = heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden, Tensor keyMask)
        {
            using var scope = NewDisposeScope();
            var attended = Attention.MultiHead(q_proj.call(hidden), k_proj.call(hidden), v_proj.call(hidden), _heads, keyMask);
            return out_proj.call(attended).MoveToOuterDisposeScope();
        }
    }

    /// <summary>CLIPMLP: fc1, GELU (or CLIP's quick GELU), fc2.</summary>
    private sealed class TextMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1;
        private readonly Linear fc2;
        private readonly bool _quickGelu;

        public TextMlp(int width, int inner, bool quickGelu) : base(nameof(TextMlp))
        {
            fc1 = nn.Linear(width, inner);
            fc2 = nn.Linear(inner, width);
            _quickGelu = quickGelu;
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden)
        {
            using var scope = NewDisposeScope();
            var inner = fc1.call(hidden);
            inner = _quickGelu ? inner * sigmoid(ScalarMath.Times(inner, 1.702)) : nn.functional.gelu(inner);
            return fc2.call(inner).MoveToOuterDisposeScope();
        }
    }
}
