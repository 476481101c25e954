using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>Normalisation layers with their affine weights initialised.</summary>
internal static class Norms
{
    /// <summary>
    /// A GroupNorm with weight 1 and bias 0. TorchSharp 0.107 leaves both uninitialised
    /// (<c>torch.empty</c>), which gives NaN from the first step.
    /// </summary>
    public static GroupNorm Group(int groups, int channels, double eps = 1e-5)
    {
        if (channels % groups != 0)
            throw new ArgumentException($"norm_num_groups {groups} must divide {channels} channels");
        var norm = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            norm.weight!.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }

    /// <summary>A LayerNorm over the last dimension with weight 1 and bias 0, set explicitly.</summary>
    public static LayerNorm Layer(int width)
    {
        var norm = nn.LayerNorm(width);
        using (no_grad())
        {
            norm.weight!.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }
}
