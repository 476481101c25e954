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
public abstract class LoraLayer : nn.Module<Tensor, Tensor>
{
    private readonly Dropout? dropout;

    private protected LoraLayer(string name, int rank, double alpha, double dropoutRate, bool rsLora) : base(name)
    {
        if (rank < 1)
            throw new ArgumentException($"rank must be at least 1, not {rank}");
        Rank = rank;
        RsLora = rsLora;
        if (dropoutRate > 0)
            dropout = nn.Dropout(dropoutRate);
        register_buffer("alpha", tensor((float)alpha));
    }

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
        if (dropout is not null)
            input = dropout.forward(input);
        return ScalarMath.Times(Up.forward(Down.forward(input)), Scale).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The delta of the base layer's weight, in fp32, shaped like that weight (strength not applied).</summary>
    public abstract Tensor DeltaWeight();

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
    public LinearLoraLayer(string name, Linear target, int rank, double alpha, double dropout = 0, bool rsLora = false)
        : base(name, rank, alpha, dropout, rsLora)
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
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return (UpWeight.to(float32).matmul(DownWeight.to(float32)) * Scale).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// An adapter on an <c>nn.Conv2d</c> in the kohya "LoCon" form: a down convolution with the
/// layer's kernel, stride, padding and dilation, then a 1×1 up convolution.
/// </summary>
public sealed class Conv2dLoraLayer : LoraLayer
{
    private readonly Conv2d lora_down;
    private readonly Conv2d lora_up;

    /// <summary>Builds an adapter shaped for <paramref name="target"/>, on its device.</summary>
    public Conv2dLoraLayer(string name, Conv2d target, int rank, double alpha, double dropout = 0, bool rsLora = false)
        : base(name, rank, alpha, dropout, rsLora)
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
        RegisterComponents();
    }

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Down => lora_down;

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> Up => lora_up;

    /// <inheritdoc />
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var down = DownWeight.to(float32);
        var up = UpWeight.to(float32).flatten(1);
        var delta = up.matmul(down.flatten(1)).reshape(up.shape[0], down.shape[1], down.shape[2], down.shape[3]);
        return (delta * Scale).MoveToOuterDisposeScope();
    }
}
