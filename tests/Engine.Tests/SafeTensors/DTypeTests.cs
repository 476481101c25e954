using System.Text;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

public sealed class DTypeTests
{
    [Theory]
    [InlineData(DType.F64, 8)]
    [InlineData(DType.F32, 4)]
    [InlineData(DType.F16, 2)]
    [InlineData(DType.BF16, 2)]
    [InlineData(DType.I64, 8)]
    [InlineData(DType.I32, 4)]
    [InlineData(DType.I16, 2)]
    [InlineData(DType.I8, 1)]
    [InlineData(DType.U8, 1)]
    [InlineData(DType.BOOL, 1)]
    [InlineData(DType.F8_E4M3, 1)]
    [InlineData(DType.U64, 8)]
    public void each_dtype_has_its_element_size(DType dtype, int size) => Assert.Equal(size, dtype.ElementSize());

    [Fact]
    public void every_dtype_parses_back_from_its_header_name()
    {
        foreach (var dtype in Enum.GetValues<DType>())
        {
            Assert.True(DTypeExtensions.TryParseHeaderName(Encoding.UTF8.GetBytes(dtype.HeaderName()), out var parsed));
            Assert.Equal(dtype, parsed);
        }
        Assert.False(DTypeExtensions.TryParseHeaderName("bf16"u8, out _));
    }

    [Fact]
    public void f16_widens_exactly_and_narrows_with_round_to_nearest_even()
    {
        Half[] halves = [(Half)1, Half.NegativeZero, Half.MaxValue, Half.Epsilon, Half.PositiveInfinity];
        var floats = new float[halves.Length];
        DTypeConversions.HalfToSingle(halves, floats);
        Assert.Equal([1f, -0f, 65504f, 5.9604645E-08f, float.PositiveInfinity], floats);

        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even one, 1.
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: ties go to 1 + 2^-9.
        float[] wide = [1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1e6f, float.NaN];
        var narrow = new Half[wide.Length];
        DTypeConversions.SingleToHalf(wide, narrow);
        Assert.Equal((Half)1f, narrow[0]);
        Assert.Equal((Half)(1f + MathF.Pow(2, -9)), narrow[1]);
        Assert.Equal(Half.PositiveInfinity, narrow[2]);
        Assert.True(Half.IsNaN(narrow[3]));
    }

    [Fact]
    public void bf16_widens_exactly_by_shifting()
    {
        ushort[] bf16 = [0x3F80, 0xC000, 0x7F80, 0x0001, 0x8000];
        var floats = new float[bf16.Length];
        DTypeConversions.BFloat16ToSingle(bf16, floats);
        Assert.Equal([1f, -2f, float.PositiveInfinity, BitConverter.UInt32BitsToSingle(0x0001_0000), -0f], floats);
    }

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1 exactly
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below halfway: down
    [InlineData(0x3F80_8000u, 0x3F80)] // halfway, kept bit even: stays
    [InlineData(0x3F81_8000u, 0x3F82)] // halfway, kept bit odd: up to even
    [InlineData(0x3F80_8001u, 0x3F81)] // just above halfway: up
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float.MaxValue rounds up to infinity
    [InlineData(0xFF80_0000u, 0xFF80)] // -infinity stays
    [InlineData(0x8000_0000u, 0x8000)] // -0 stays
    [InlineData(0x7F80_0001u, 0x7FC0)] // a NaN whose payload is only in the low bits stays NaN
    [InlineData(0xFFC0_0000u, 0xFFC0)] // a negative quiet NaN keeps its sign
    public void bf16_narrows_with_round_to_nearest_even(uint singleBits, int expected) =>
        Assert.Equal((ushort)expected, DTypeConversions.SingleToBFloat16(BitConverter.UInt32BitsToSingle(singleBits)));

    [Fact]
    public void span_conversions_refuse_mismatched_lengths() =>
        Assert.Equal("source has 2 elements but destination has 1",
            Assert.Throws<ArgumentException>(() => DTypeConversions.SingleToBFloat16(new float[2], new ushort[1])).Message);

    [Fact]
    public void every_bf16_value_survives_a_round_trip_through_f32()
    {
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            var value = DTypeConversions.BFloat16ToSingle((ushort)bits);
            var back = DTypeConversions.SingleToBFloat16(value);
            if (float.IsNaN(value))
            {
                Assert.True(float.IsNaN(DTypeConversions.BFloat16ToSingle(back)));
            }
            else
            {
                Assert.Equal((ushort)bits, back);
            }
        }
    }
}
