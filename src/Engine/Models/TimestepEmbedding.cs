using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// diffusers' <c>Timesteps</c> + <c>TimestepEmbedding</c>: a diffusion timestep becomes sinusoidal
/// features (cos first, as SD's <c>flip_sin_to_cos</c>) of width <c>channels</c>, then
/// <c>linear_1</c>, SiLU, <c>linear_2</c> give the embedding each ResNet block adds to its features.
/// </summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly int _channels;

    /// <summary>An embedding from <paramref name="channels"/> sinusoids to <paramref name="embedDim"/>.</summary>
    public TimestepEmbedding(int channels, int embedDim) : base(nameof(TimestepEmbedding))
    {
        if (channels % 2 != 0)
            throw new ArgumentException($"timestep features need an even width, not {channels}");
        linear_1 = nn.Linear(channels, embedDim);
        linear_2 = nn.Linear(embedDim, embedDim);
        _channels = channels;
        RegisterComponents();
    }

    /// <summary>The embedding [B, embedDim] of timesteps [B] (any numeric dtype).</summary>
    public override Tensor forward(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var features = Sinusoids(timesteps, _channels).to(linear_1.weight!.dtype);
        return linear_2.call(nn.functional.silu(linear_1.call(features))).MoveToOuterDisposeScope();
    }

    /// <summary>[cos(t·f_i), sin(t·f_i)] with frequencies f_i = 10000^(-i / (channels/2)).</summary>
    internal static Tensor Sinusoids(Tensor timesteps, int channels)
    {
        using var scope = NewDisposeScope();
        var half = channels / 2;
        var frequencies = exp(ScalarMath.Times(arange(half, dtype: float32, device: timesteps.device), -Math.Log(10000) / half));
        var angles = timesteps.to(float32).unsqueeze(1) * frequencies.unsqueeze(0);
        return cat([cos(angles), sin(angles)], 1).MoveToOuterDisposeScope();
    }
}
