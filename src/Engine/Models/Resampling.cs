using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>diffusers' <c>Downsample2D</c>: a stride-2 3×3 <c>conv</c> halving height and width.</summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    /// <summary>A downsampler keeping <paramref name="channels"/>.</summary>
    public Downsample2D(int channels) : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample) => conv.call(sample);
}

/// <summary>diffusers' <c>Upsample2D</c>: nearest-neighbour doubling, then a 3×3 <c>conv</c>.</summary>
public sealed class Upsample2D : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    /// <summary>An upsampler keeping <paramref name="channels"/>.</summary>
    public Upsample2D(int channels) : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var doubled = nn.functional.interpolate(sample, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.call(doubled).MoveToOuterDisposeScope();
    }
}
