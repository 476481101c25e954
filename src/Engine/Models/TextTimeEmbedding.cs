using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>TextTimeEmbedding</c> (the UNet's <c>add_embedding</c> when
/// <c>addition_embed_type</c> is "text"): the text encoder's hidden states are pooled into one
/// vector and added to the timestep embedding, so every ResNet block, not only the transformers,
/// hears the prompt: a picture-wide attribute such as the background colour, which the first, noisiest
/// denoising steps decide, no longer has to be found at a few positions by cross-attention at 16×16
/// and 8×8. With noise offset it taught a base the background word (docs/pretraining.md, "The
/// background"). Keys <c>norm1</c>, <c>pool</c>, <c>proj</c>, <c>norm2</c>.
/// </summary>
public sealed class TextTimeEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly AttentionPooling pool;
    private readonly Linear proj;
    private readonly LayerNorm norm2;

    /// <summary>An embedding from text hidden states of width <paramref name="encoderDim"/> to <paramref name="timeEmbedDim"/>.</summary>
    public TextTimeEmbedding(int encoderDim, int timeEmbedDim, int heads) : base(nameof(TextTimeEmbedding))
    {
        norm1 = Norms.Layer(encoderDim);
        pool = new AttentionPooling(encoderDim, heads);
        proj = nn.Linear(encoderDim, timeEmbedDim);
        norm2 = Norms.Layer(timeEmbedDim);
        RegisterComponents();
    }

    /// <summary>The embedding [B, time_embed_dim] of text hidden states [B, L, encoder_dim].</summary>
    public override Tensor forward(Tensor context)
    {
        using var scope = NewDisposeScope();
        return norm2.call(proj.call(pool.call(norm1.call(context)))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// diffusers' <c>AttentionPooling</c> (CLIP's pooling): a query made from the mean of the sequence
    /// plus a learned <c>positional_embedding</c> attends, with several heads, over that query and the
    /// sequence; the result is the pooled vector [B, width].
    /// </summary>
    private sealed class AttentionPooling : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter positional_embedding;
        private readonly Linear k_proj;
        private readonly Linear q_proj;
        private readonly Linear v_proj;
        private readonly int _heads;

        public AttentionPooling(int width, int heads) : base(nameof(AttentionPooling))
        {
            if (width % heads != 0)
                throw new ArgumentException($"{heads} pooling heads do not divide the text width {width}");
            positional_embedding = nn.Parameter(randn(1, width) / Math.Sqrt(width));
            k_proj = nn.Linear(width, width);
            q_proj = nn.Linear(width, width);
            v_proj = nn.Linear(width, width);
            _heads = heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor sequence)
        {
            using var scope = NewDisposeScope();
            var query = sequence.mean([1], keepdim: true) + positional_embedding.to(sequence.dtype);
            var keys = cat([query, sequence], 1);
            var pooled = Attention.MultiHead(q_proj.call(query), k_proj.call(keys), v_proj.call(keys), _heads);
            return pooled.squeeze(1).MoveToOuterDisposeScope();
        }
    }
}
