using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Native;

public class ScalarMathTests
{
    static ScalarMathTests() => TorchNativeLoader.EnsureLoadable();

    [Fact]
    public void kept_alive_arithmetic_gives_what_torchsharps_operators_give_to_the_bit()
    {
        manual_seed(3);
        using var a = randn(64, 33);
        using var b = randn(64, 33);
        using var plus = ScalarMath.Plus(a, b);
        using var sum = a + b;
        using var times = ScalarMath.Times(a, 0.1234567);
        using var product = a * 0.1234567;
        using var scaled = ScalarMath.PlusScaled(a, b, -2.5);
        using var axpy = a.add(b, -2.5);
        Assert.True(plus.eq(sum).all().item<bool>());
        Assert.True(times.eq(product).all().item<bool>());
        Assert.True(scaled.eq(axpy).all().item<bool>());
    }

    [Fact]
    public void numbers_from_a_scalar_scope_act_as_the_numbers_do()
    {
        using var x = ones(4);
        using (var s = new ScalarScope())
            x.mul_(s[3]).add_(s[1], alpha: s[1]);
        Assert.Equal(new[] { 4f, 4f, 4f, 4f }, x.data<float>().ToArray());
    }
}
