using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>FeedForward</c> with a GEGLU: <c>net.0.proj</c> maps dim → 2·inner (a value half and
/// a gate half), <c>net.1</c> is dropout, <c>net.2</c> maps inner → dim.
/// </summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    /// <summary>A feed-forward of width <paramref name="dim"/> with an inner width of <paramref name="mult"/>·dim.</summary>
    public FeedForward(int dim, int mult = 4) : base(nameof(FeedForward))
    {
        var inner = dim * mult;
        net = nn.ModuleList<nn.Module<Tensor, Tensor>>(new Geglu(dim, inner), nn.Dropout(0), nn.Linear(inner, dim));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        foreach (var layer in net)
            hidden = layer.call(hidden);
        return hidden.MoveToOuterDisposeScope();
    }

    /// <summary>A gated GELU: <c>value · gelu(gate)</c> from one projection to twice the inner width.</summary>
    private sealed class Geglu : nn.Module<Tensor, Tensor>
    {
        private readonly Linear proj;

        public Geglu(int dim, int inner) : base(nameof(Geglu))
        {
            proj = nn.Linear(dim, inner * 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden)
        {
            using var scope = NewDisposeScope();
            var halves = proj.call(hidden).chunk(2, -1);
            return (halves[0] * nn.functional.gelu(halves[1])).MoveToOuterDisposeScope();
        }
    }
}
