using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Tensor arithmetic for the forward paths (the LoRA layers, the models' residual sums, guidance, the losses),
/// with the libtorch scalar kept alive across the native call. TorchSharp 0.107 turns a number into a <see cref="Scalar"/> (a native object with a finalizer)
/// and reads only its handle, so a garbage collection during the call can free the scalar under libtorch:
/// seen as "Expected false to be true ... toFloat" from an add in a notebook that trained several adapters.
/// </summary>
internal static class ScalarMath
{
    /// <summary>1, the alpha of a plain sum: made once and never freed, so no call can outlive it.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="tensor"/> + <paramref name="other"/>: TorchSharp's <c>+</c> passes a fresh alpha of 1 that only a finalizer frees.</summary>
    public static Tensor Plus(Tensor tensor, Tensor other) => tensor.add(other, One);

    /// <summary><paramref name="tensor"/> + <paramref name="number"/>.</summary>
    public static Tensor Plus(Tensor tensor, double number)
    {
        using var scalar = number.ToScalar();
        return tensor.add(scalar, One);
    }

    /// <summary><paramref name="tensor"/> × <paramref name="factor"/>.</summary>
    public static Tensor Times(Tensor tensor, double factor)
    {
        using var scalar = factor.ToScalar();
        return tensor.mul(scalar);
    }

    /// <summary><paramref name="tensor"/> + <paramref name="factor"/> × <paramref name="other"/>.</summary>
    public static Tensor PlusScaled(Tensor tensor, Tensor other, double factor)
    {
        using var scalar = factor.ToScalar();
        return tensor.add(other, scalar);
    }
}
