namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// The element types of the safetensors format, spelled exactly as in the file header.
/// </summary>
/// <remarks>
/// The members are declared in the reference implementation's order (increasing alignment).
/// <see cref="SafeTensorsWriter"/> lays tensors out in descending order of this enum so that
/// every tensor's data stays aligned to its element size, as the reference writer does.
/// </remarks>
public enum DType
{
    /// <summary>Boolean, one byte per element.</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float with 5 exponent and 2 mantissa bits.</summary>
    F8_E5M2,
    /// <summary>8-bit float with 4 exponent and 3 mantissa bits.</summary>
    F8_E4M3,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>IEEE 754 half precision float (<see cref="Half"/>).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of an IEEE 754 single.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>IEEE 754 single precision float.</summary>
    F32,
    /// <summary>IEEE 754 double precision float.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>Facts about <see cref="DType"/> values: element sizes and header names.</summary>
public static class DTypeExtensions
{
    // The header spellings as UTF-8, so the parser can match them without allocating.
    private static readonly (DType DType, byte[] Utf8Name)[] HeaderNames =
        Enum.GetValues<DType>().Select(d => (d, System.Text.Encoding.UTF8.GetBytes(d.ToString()))).ToArray();

    /// <summary>The size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.BOOL or DType.U8 or DType.I8 or DType.F8_E5M2 or DType.F8_E4M3 => 1,
        DType.I16 or DType.U16 or DType.F16 or DType.BF16 => 2,
        DType.I32 or DType.U32 or DType.F32 => 4,
        DType.F64 or DType.I64 or DType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>The name of the dtype as written in a safetensors header, e.g. <c>"BF16"</c>.</summary>
    public static string HeaderName(this DType dtype) =>
        Enum.IsDefined(dtype) ? dtype.ToString() : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype");

    /// <summary>Finds the dtype whose header name equals <paramref name="utf8Name"/> exactly (case-sensitive).</summary>
    public static bool TryParseHeaderName(ReadOnlySpan<byte> utf8Name, out DType dtype)
    {
        foreach (var (candidate, name) in HeaderNames)
        {
            if (utf8Name.SequenceEqual(name))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
