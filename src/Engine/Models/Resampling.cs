using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>Downsample2D</c>: a stride-2 3×3 <c>conv</c> halving height and width. The UNet pads
/// by 1 on every side; the VAE pads only right and bottom (<c>padding=0</c> in diffusers).
/// </summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly bool _padRightBottom;

    /// <summary>A downsampler keeping <paramref name="channels"/>.</summary>
    public Downsample2D(int channels, bool padRightBottom = false) : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: padRightBottom ? 0 : 1);
        _padRightBottom = padRightBottom;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor sample)
    {
        if (!_padRightBottom)
            return conv.call(sample);
        using var scope = NewDisposeScope();
        return conv.call(nn.functional.pad(sample, [0, 1, 0, 1])).MoveToOuterDisposeScope();
    }
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
