using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// Tensor-times-number arithmetic for the LoRA forward path, with the libtorch scalar kept alive across the
/// native call. TorchSharp 0.107 turns a number into a <see cref="Scalar"/> (a native object with a finalizer)
/// and reads only its handle, so a garbage collection during the call can free the scalar under libtorch:
/// seen as "Expected false to be true ... toFloat" from an add in a notebook that trained several adapters.
/// </summary>
internal static class ScalarMath
{
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
