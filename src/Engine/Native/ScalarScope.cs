using TorchSharp;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Numbers for libtorch (an optimizer step's coefficients, a mask's fill, a loss's weights) as scalars that live
/// until the scope is disposed. TorchSharp 0.107 turns a number passed to an op (<c>mul_(0.9)</c>, an
/// <c>alpha</c>, and the alpha of 1 in <c>add_(tensor)</c>) into a native scalar that only a finalizer frees,
/// and hands libtorch just its handle, so a collection started by another thread during the call can free it
/// under libtorch ("Expected false to be true ... toFloat", docs/notebooks.md). So engine code writes
/// <c>m.mul_(s[beta1]).add_(grad, alpha: s[1 - beta1])</c>. <c>add_(number)</c> alone still adds an implicit
/// alpha: write <c>add_(s[eps], alpha: ScalarMath.One)</c>.
/// </summary>
/// <remarks>Tensor + tensor and tensor × number go through <see cref="ScalarMath"/>.</remarks>
internal sealed class ScalarScope : IDisposable
{
    private readonly List<Scalar> _made = [];

    /// <summary><paramref name="value"/> as a scalar that stays alive until <see cref="Dispose"/>.</summary>
    public Scalar this[double value]
    {
        get
        {
            var scalar = value.ToScalar();
            _made.Add(scalar);
            return scalar;
        }
    }

    /// <summary>Frees every scalar made here.</summary>
    public void Dispose()
    {
        foreach (var scalar in _made)
            scalar.Dispose();
        _made.Clear();
    }
}
