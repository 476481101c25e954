using LoraNotebooks.Engine.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// One adapter on one base layer: <c>up(down(dropout(x))) * scale</c>, the delta added to the
/// base layer's output. Its state dict is the kohya layout: <c>lora_down.weight</c>,
/// <c>lora_up.weight</c> and a 0-dimensional <c>alpha</c>.
/// </summary>
/// <remarks>
/// With DoRA (weight-decomposed LoRA, Liu et al. 2024) the layer also learns magnitudes <c>m</c>,
/// <c>dora_scale</c>, and the adapted weight is <c>W' = (W + ΔW) · m / ‖W + ΔW‖</c>. Which norms depends
/// on the <see cref="DoraAxis"/>:
/// <list type="bullet">
/// <item><see cref="DoraAxis.Input"/>: one magnitude per input feature, [1, in] ([1, in, 1, 1] on a
/// convolution), each input column's norm, as the paper's column form, OneTrainer and ComfyUI's loader (for a
/// [1, in] <c>dora_scale</c>) have it. Scaling each input column is scaling the input, so the delta this layer
/// adds to the base output is <c>W((r − 1)·x) + ΔW(r·x)</c> with <c>r = m / ‖W + ΔW‖</c>.</item>
/// <item><see cref="DoraAxis.Output"/>: one per output feature, [out, 1] ([out, 1, 1, 1]), each output row's
/// norm, as LyCORIS (by default, <c>wd_on_out</c>) and peft have it. Scaling each output row is scaling the
/// output, so the delta is <c>(r − 1)·Wx + r·ΔWx</c>.</item>
/// </list>
/// The norm is treated as a constant in the backward pass (the paper's memory saving, and peft's), and
/// <c>m</c> starts at the base weight's own norms, so a fresh DoRA layer changes nothing.
/// </remarks>
public abstract class LoraLayer : nn.Module<Tensor, Tensor>
{
    /// <summary>Added to each column norm, as ComfyUI does, so an all-zero column divides safely.</summary>
    private const double NormEpsilon = 1.1920928955078125e-07; // torch.finfo(torch.float32).eps

    private readonly Dropout? dropout;
    private readonly Func<Tensor>? baseWeight;

    private protected LoraLayer(string name, int rank, double alpha, double dropoutRate, bool rsLora, Func<Tensor>? doraBaseWeight, DoraAxis doraAxis) : base(name)
    {
        if (rank < 1)
            throw new ArgumentException($"rank must be at least 1, not {rank}");
        Rank = rank;
        RsLora = rsLora;
        if (dropoutRate > 0)
            dropout = nn.Dropout(dropoutRate);
        register_buffer("alpha", tensor((float)alpha));
        if (doraBaseWeight is not null)
        {
            baseWeight = doraBaseWeight;
            DoraAxis = doraAxis;
            var weight = doraBaseWeight();
            long[] shape = MagnitudeShape(weight.shape, doraAxis);
            register_parameter("dora_scale", new TorchSharp.Modules.Parameter(ones(shape, float32, weight.device)));
        }
    }

    /// <summary>True when the layer is DoRA: it learns magnitudes as well.</summary>
    public bool IsDora => baseWeight is not null;

    /// <summary>For a DoRA layer, whether its magnitudes are per input or per output feature.</summary>
    public DoraAxis DoraAxis { get; }

    /// <summary>
    /// The shape of the magnitudes (<c>dora_scale</c>) for a base weight of shape <paramref name="weight"/>
    /// ([out, in] or [out, in, kh, kw]) on <paramref name="axis"/>.
    /// </summary>
    public static long[] MagnitudeShape(ReadOnlySpan<long> weight, DoraAxis axis) => (weight.Length == 4, axis) switch
    {
        (true, DoraAxis.Input) => [1, weight[1], 1, 1],
        (false, DoraAxis.Input) => [1, weight[1]],
        (true, DoraAxis.Output) => [weight[0], 1, 1, 1],
        (false, DoraAxis.Output) => [weight[0], 1],
        _ => throw new ArgumentOutOfRangeException(nameof(axis)),
    };

    /// <summary>The learnt magnitudes (kohya's <c>dora_scale</c>), or null for a plain LoRA layer.</summary>
    public TorchSharp.Modules.Parameter? Magnitude => IsDora ? get_parameter("dora_scale") : null;

    /// <summary>Rank of the update.</summary>
    public int Rank { get; }

    /// <summary>True when the scale is alpha / sqrt(rank).</summary>
    public bool RsLora { get; }

    /// <summary>The alpha buffer's value.</summary>
    public double Alpha => get_buffer("alpha")!.item<float>();

    /// <summary>The factor applied to up(down(x)).</summary>
    public double Scale => LoraOptions.Scale(Alpha, Rank, RsLora);

    /// <summary>The down projection (kohya lora_down, peft lora_A).</summary>
    public abstract nn.Module<Tensor, Tensor> Down { get; }

    /// <summary>The up projection (kohya lora_up, peft lora_B).</summary>
    public abstract nn.Module<Tensor, Tensor> Up { get; }

    /// <summary>The scaled delta for input <paramref name="x"/> (strength not applied).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var weight = DownWeight;
        var input = x.to(weight.dtype);
        if (!IsDora)
        {
            if (dropout is not null)
                input = dropout.forward(input);
            return ScalarMath.Times(Up.forward(Down.forward(input)), Scale).to(x.dtype).MoveToOuterDisposeScope();
        }

        var baseW = baseWeight!().to(weight.dtype);
        var ratio = Magnitude! / Norms(ScalarMath.Plus(baseW, LowRankWeight())).detach();
        // [1, n, 1, 1] meets [B, n, H, W]; [n] meets [..., n].
        var perFeature = ratio.dim() == 4 ? ratio.reshape(1, -1, 1, 1) : ratio.reshape(-1);
        Tensor delta;
        if (DoraAxis == DoraAxis.Input)
        {
            var scaled = input * perFeature;
            var lowRankInput = dropout is not null ? dropout.forward(scaled) : scaled;
            delta = ScalarMath.Plus(ApplyBase(input * ScalarMath.Plus(perFeature, -1), baseW), ScalarMath.Times(Up.forward(Down.forward(lowRankInput)), Scale));
        }
        else
        {
            var lowRankInput = dropout is not null ? dropout.forward(input) : input;
            delta = ApplyBase(input, baseW) * ScalarMath.Plus(perFeature, -1) + ScalarMath.Times(Up.forward(Down.forward(lowRankInput)), Scale) * perFeature;
        }
        return delta.to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The delta of the base layer's weight, in fp32, shaped like that weight (strength not applied):
    /// <c>scale·up·down</c>, or for DoRA <c>(W + scale·up·down)·m/‖W + scale·up·down‖ − W</c>.
    /// </summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var lowRank = LowRankWeight().to(float32);
        if (!IsDora)
            return lowRank.MoveToOuterDisposeScope();
        var baseW = baseWeight!().to(float32);
        var adapted = ScalarMath.Plus(baseW, lowRank);
        return ScalarMath.PlusScaled(adapted * (Magnitude!.to(float32) / Norms(adapted)), baseW, -1).MoveToOuterDisposeScope();
    }

    /// <summary><c>scale·up·down</c> shaped like the base weight, in the adapter's dtype, with its gradient.</summary>
    private protected abstract Tensor LowRankWeight();

    /// <summary>The base layer's weight <paramref name="weight"/> applied to <paramref name="x"/> without its bias.</summary>
    private protected abstract Tensor ApplyBase(Tensor x, Tensor weight);

    /// <summary>
    /// The norm of each input column (or output row, per <see cref="DoraAxis"/>) of <paramref name="weight"/>
    /// plus <see cref="NormEpsilon"/>, shaped like <c>dora_scale</c>.
    /// </summary>
    private Tensor Norms(Tensor weight)
    {
        var byFeature = DoraAxis == DoraAxis.Input ? weight.transpose(0, 1) : weight;
        var norms = ScalarMath.Plus(byFeature.flatten(1).norm(1, keepdim: false), NormEpsilon);
        return norms.reshape(MagnitudeShape(weight.shape, DoraAxis));
    }

    private protected Tensor DownWeight => WeightOf(Down);

    /// <summary>Initialises down as chosen and up to zero, so a fresh adapter changes nothing.</summary>
    internal void Initialise(LoraInit init, Generator? generator = null)
    {
        // Drawn with torch.rand/randn and copied in: TorchSharp 0.107's nn.init.uniform_/normal_
        // ignore their generator argument, which would make seeded runs differ.
        using var _ = no_grad();
        var weight = DownWeight;
        using var drawn = init == LoraInit.Gaussian
            ? randn(weight.shape, generator: generator) * (1.0 / Rank)
            : KaimingUniform(weight, generator);
        weight.copy_(drawn);
        UpWeight.zero_();
        if (IsDora)
        {
            using var norms = Norms(baseWeight!().to(float32));
            Magnitude!.copy_(norms);
        }
    }

    /// <summary>kaiming_uniform_(a = sqrt(5)), nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    private static Tensor KaimingUniform(Tensor weight, Generator? generator)
    {
        var bound = 1.0 / Math.Sqrt(weight.numel() / weight.shape[0]);
        using var unit = rand(weight.shape, generator: generator);
        return unit * (2 * bound) - bound;
    }

    private protected Tensor UpWeight => WeightOf(Up);

    private static Tensor WeightOf(nn.Module<Tensor, Tensor> projection) => projection switch
    {
        Linear linear => linear.weight!,
        Conv2d conv => conv.weight!,
        _ => throw new InvalidOperationException("a LoRA projection is a Linear or Conv2d layer"),
    };
}

/// <summary>An adapter on an <c>nn.Linear</c>: down [rank, in], up [out, rank].</summary>
public sealed class LinearLoraLayer : LoraLayer
{
    private readonly Linear lora_down;
    private readonly Linear lora_up;

    /// <summary>Builds an adapter shaped for <paramref name="target"/>, on its device.</summary>
    public LinearLoraLayer(string name, Linear target, int rank, double alpha, double dropout = 0, bool rsLora = false, bool dora = false, DoraAxis doraAxis = DoraAxis.Input)
        : base(name, rank, alpha, dropout, rsLora, dora ? () => target.weight! : null, doraAxis)
    {
        var device = target.weight!.device;
        lora_down = nn.Linear(target.in_features, rank, hasBias: false, device: device);
        lora_up = nn.Linear(rank, target.out_features, hasBias: false, device: device);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Down => lora_down;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Up => lora_up;

    /// <inheritdoc />
    private protected override Tensor LowRankWeight() => ScalarMath.Times(UpWeight.matmul(DownWeight), Scale);

    /// <inheritdoc />
    private protected override Tensor ApplyBase(Tensor x, Tensor weight) => nn.functional.linear(x, weight);
}

/// <summary>
/// An adapter on an <c>nn.Conv2d</c> in the kohya "LoCon" form: a down convolution with the
/// layer's kernel, stride, padding and dilation, then a 1×1 up convolution.
/// </summary>
public sealed class Conv2dLoraLayer : LoraLayer
{
    private readonly Conv2d lora_down;
    private readonly Conv2d lora_up;
    private readonly Func<Tensor, Tensor, Tensor> applyBase;

    /// <summary>Builds an adapter shaped for <paramref name="target"/>, on its device.</summary>
    public Conv2dLoraLayer(string name, Conv2d target, int rank, double alpha, double dropout = 0, bool rsLora = false, bool dora = false, DoraAxis doraAxis = DoraAxis.Input)
        : base(name, rank, alpha, dropout, rsLora, dora ? () => target.weight! : null, doraAxis)
    {
        if (target.groups != 1)
            throw new ArgumentException($"grouped convolutions (groups = {target.groups}) cannot take a LoCon adapter");
        var device = target.weight!.device;
        var k = target.kernel_size;
        var s = target.stride;
        var d = target.dilation;
        lora_down = target.padding_type is { } same
            ? nn.Conv2d(target.in_channels, rank, (k[0], k[1]), same, stride: (s[0], s[1]), dilation: (d[0], d[1]), bias: false, device: device)
            : nn.Conv2d(target.in_channels, rank, (k[0], k[1]), stride: (s[0], s[1]),
                padding: (target.padding![0], target.padding[1]), dilation: (d[0], d[1]), bias: false, device: device);
        lora_up = nn.Conv2d(rank, target.out_channels, (1, 1), bias: false, device: device);
        applyBase = dora ? BaseWithoutBias(target) : (_, _) => throw new InvalidOperationException("only a DoRA layer applies its base weight");
        RegisterComponents();
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Down => lora_down;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Up => lora_up;

    /// <inheritdoc />
    private protected override Tensor LowRankWeight()
    {
        var down = DownWeight;
        var up = UpWeight.flatten(1);
        return ScalarMath.Times(up.matmul(down.flatten(1)).reshape(up.shape[0], down.shape[1], down.shape[2], down.shape[3]), Scale);
    }

    /// <inheritdoc />
    private protected override Tensor ApplyBase(Tensor x, Tensor weight) => applyBase(x, weight);

    /// <summary>The convolution <paramref name="target"/> does, with another weight and no bias.</summary>
    private static Func<Tensor, Tensor, Tensor> BaseWithoutBias(Conv2d target)
    {
        var (k, d) = (target.kernel_size, target.dilation);
        long[] strides = [target.stride[0], target.stride[1]], dilation = [d[0], d[1]];
        long[] pads = target.padding_type switch
        {
            null => [target.padding![0], target.padding[1]],
            Padding.Valid => [0, 0],
            // "same" pads (k - 1)·d in all; split evenly, which odd kernels (every one in these models) allow.
            _ => [SamePadding(k[0], d[0]), SamePadding(k[1], d[1])],
        };
        return (x, weight) => nn.functional.conv2d(x, weight, null, strides, pads, dilation);
    }

    private static long SamePadding(long kernel, long dilation) => (kernel - 1) * dilation % 2 == 0
        ? (kernel - 1) * dilation / 2
        : throw new ArgumentException($"a 'same'-padded convolution with kernel {kernel} pads unevenly; it takes no DoRA adapter");
}
