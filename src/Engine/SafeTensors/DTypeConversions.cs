namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// Conversions between the float dtypes the engine stores (F16, BF16) and F32, on spans.
/// F16 goes through <see cref="Half"/>; BF16 values are the upper 16 bits of an F32 and are
/// passed as <see cref="ushort"/>. Narrowing rounds to nearest, ties to even; NaN stays NaN.
/// </summary>
public static class DTypeConversions
{
    /// <summary>Widens F16 values to F32 (exact).</summary>
    public static void HalfToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    /// <summary>Narrows F32 values to F16, rounding to nearest even; out-of-range values become ±infinity.</summary>
    public static void SingleToHalf(ReadOnlySpan<float> source, Span<Half> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (Half)source[i];
        }
    }

    /// <summary>Widens BF16 values to F32 (exact).</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = BFloat16ToSingle(source[i]);
        }
    }

    /// <summary>Narrows F32 values to BF16, rounding to nearest even.</summary>
    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = SingleToBFloat16(source[i]);
        }
    }

    /// <summary>Widens one BF16 value to F32 (exact).</summary>
    public static float BFloat16ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Narrows one F32 value to BF16, rounding to nearest even.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            // Keep the sign and force a mantissa bit, so truncation cannot turn NaN into infinity.
            return (ushort)((bits >> 16) | 0x0040);
        }
        // Adding 0x7FFF rounds halfway cases up; adding the lowest kept bit too makes ties go to even.
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    private static void CheckLengths(int source, int destination)
    {
        if (source != destination)
        {
            throw new ArgumentException($"source has {source} elements but destination has {destination}");
        }
    }
}
