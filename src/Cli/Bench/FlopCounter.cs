using LoraNotebooks.Engine.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Bench;

/// <summary>
/// Counts the floating-point operations of the matrix products in a training step: every Linear and
/// Conv2d call of the model, the two attention products (QKᵀ and AV) next to each <c>to_v</c> / <c>v_proj</c>,
/// and the LoRA layers' down and up products. A product of F operations in the forward pass costs F more
/// in the backward pass for its input's gradient (when its input requires one) and F more for its weight's
/// (when the weight trains). Norms, activations and the optimizer are not counted (they are not matmuls).
/// </summary>
internal sealed class FlopCounter : IDisposable
{
    private readonly List<Action> _removers = [];
    private (long Batch, long Queries)? _pendingQuery;

    /// <summary>Operations counted since construction.</summary>
    public double Flops { get; private set; }

    /// <summary>Hooks every Linear and Conv2d of <paramref name="parts"/>; <paramref name="network"/>'s adapters add their products.</summary>
    public FlopCounter(IEnumerable<ModelPart> parts, LoraNetwork? network)
    {
        var adapters = network?.Targets.ToDictionary(t => t.Module, t => network.Layers[t.Name]) ?? [];
        foreach (var part in parts)
        {
            foreach (var (name, module) in part.Module.named_modules())
            {
                if (module is Linear linear)
                {
                    var last = name[(name.LastIndexOf('.') + 1)..];
                    adapters.TryGetValue(linear, out var adapter);
                    _removers.Add(linear.register_forward_hook((_, x, y) => { OnLinear(linear, last, adapter, x, y); return y; }).remove);
                }
                else if (module is Conv2d conv)
                {
                    adapters.TryGetValue(conv, out var adapter);
                    _removers.Add(conv.register_forward_hook((_, x, y) => { OnConv(conv, adapter, x, y); return y; }).remove);
                }
            }
        }
    }

    private void OnLinear(Linear linear, string name, LoraLayer? adapter, Tensor x, Tensor y)
    {
        var tokens = y.numel() / linear.out_features;
        var forward = 2.0 * tokens * linear.in_features * linear.out_features;
        Flops += forward * (1 + (x.requires_grad ? 1 : 0) + (linear.weight!.requires_grad ? 1 : 0));
        if (adapter is not null)
            AddAdapter(2.0 * tokens * adapter.Rank * linear.in_features, 2.0 * tokens * adapter.Rank * linear.out_features, x.requires_grad);
        if (name is "to_q" or "q_proj")
            _pendingQuery = (y.shape[0], y.shape[1]);
        else if (name is "to_v" or "v_proj" && _pendingQuery is var (batch, queries))
        {
            // QKᵀ and AV: 2·B·N·M·width each; their backward costs twice as much when anything before them trains.
            var attention = 4.0 * batch * queries * y.shape[1] * y.shape[2];
            Flops += attention * (y.requires_grad ? 3 : 1);
            _pendingQuery = null;
        }
    }

    private void OnConv(Conv2d conv, LoraLayer? adapter, Tensor x, Tensor y)
    {
        var kernel = conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3]; // in/groups · kh · kw
        var forward = 2.0 * y.numel() * kernel;
        Flops += forward * (1 + (x.requires_grad ? 1 : 0) + (conv.weight.requires_grad ? 1 : 0));
        if (adapter is not null)
        {
            var positions = y.numel() / conv.out_channels;
            AddAdapter(2.0 * positions * adapter.Rank * kernel, 2.0 * positions * adapter.Rank * conv.out_channels, x.requires_grad);
        }
    }

    /// <summary>Forward down and up; backward: both weight gradients, up's input gradient, and down's when its input needs one.</summary>
    private void AddAdapter(double down, double up, bool inputGrad) => Flops += down * (2 + (inputGrad ? 1 : 0)) + up * 3;

    public void Dispose()
    {
        foreach (var remove in _removers)
            remove();
    }
}
