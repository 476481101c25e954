using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// Gradient checkpointing of one transformer block: the forward pass runs without recording
/// activations, and the backward pass runs the block again with gradients on, then back-propagates
/// through that recomputation. Memory for activations drops to the block's inputs; compute grows by
/// one forward pass. Gradients of parameters inside the block (LoRA adapters included, since their
/// hooks fire in the recomputation too) accumulate as usual; the inputs' gradients are returned.
/// </summary>
/// <remarks>
/// Built on TorchSharp's <c>SingleTensorFunction</c>. Each recomputation runs in its own dispose scope,
/// so its activations are freed as soon as its backward is done (without it, peak memory rises).
/// The block must be deterministic: dropout inside it would draw different masks in the recomputation.
/// </remarks>
public sealed class GradientCheckpoint : autograd.SingleTensorFunction<GradientCheckpoint>
{
    private const string BlockKey = "block";

    /// <inheritdoc/>
    public override string Name => nameof(GradientCheckpoint);

    /// <summary>The block's output for tokens <paramref name="hidden"/> and text <paramref name="context"/>, recomputed in backward.</summary>
    public static Tensor Run(nn.Module<Tensor, Tensor, Tensor> block, Tensor hidden, Tensor context) => apply(hidden, context, block);

    /// <inheritdoc/>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, context, block) = ((Tensor)vars[0], (Tensor)vars[1], (nn.Module<Tensor, Tensor, Tensor>)vars[2]);
        ctx.save_for_backward([hidden, context]);
        ctx.save_data(BlockKey, block);
        return block.call(hidden, context);
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        var block = (nn.Module<Tensor, Tensor, Tensor>)ctx.get_data(BlockKey);
        using var scope = NewDisposeScope();
        using var gradients = enable_grad();
        var hidden = saved[0].detach().requires_grad_(true);
        var context = saved[1].detach().requires_grad_(saved[1].requires_grad);
        var output = block.call(hidden, context);
        autograd.backward([output], [grad_output]);
        // One gradient per argument of apply: tokens, context, and none for the block.
        return [hidden.grad!.MoveToOuterDisposeScope(), context.grad?.MoveToOuterDisposeScope()!, null!];
    }
}
