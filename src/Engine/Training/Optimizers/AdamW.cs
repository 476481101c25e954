using LoraNotebooks.Dsl.Plans;
using System.Runtime.InteropServices;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"):
/// <c>p ← p·(1 − lr·wd)</c>, <c>m ← β₁m + (1−β₁)g</c>, <c>v ← β₂v + (1−β₂)g²</c>,
/// <c>p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)</c>. The same ops in the same order as TorchSharp 0.107's
/// AdamW, so it trains to the same bytes, but every number libtorch reads comes from a
/// <see cref="ScalarScope"/>: TorchSharp's makes eight finalizer-only scalars per parameter per step, and its
/// <c>add_(eps)</c> is where a test host met the scalar race (docs/notebooks.md). Checkpoints written with TorchSharp's AdamW
/// (state <c>torch_state</c>, before session 13) resume exactly.
/// </summary>
internal sealed class AdamW : TrainingOptimizer
{
    /// <summary>The state key of checkpoints written when this optimizer was TorchSharp's own.</summary>
    internal const string TorchSharpStateKey = "torch_state";

    private readonly AdamWOptimizer _plan;
    private readonly List<(Tensor ExpAvg, Tensor ExpAvgSq)> _moments;
    private readonly long[] _steps;

    public AdamW(IReadOnlyList<ParameterGroup> groups, AdamWOptimizer plan) : base(groups, plan)
    {
        _plan = plan;
        _moments = groups.SelectMany(g => g.Parameters)
            .Select(p => (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope())).ToList();
        _steps = new long[_moments.Count];
    }

    public override void Step(double factor)
    {
        using var _ = no_grad();
        var (beta1, beta2) = (_plan.Beta1, _plan.Beta2);
        using var step = new ScalarScope(); // the numbers every parameter shares this step
        var (keep1, take1, keep2, take2, epsilon) = (step[beta1], step[1 - beta1], step[beta2], step[1 - beta2], step[_plan.Epsilon]);
        var index = 0;
        foreach (var group in Groups)
        {
            var lr = group.LearningRate * factor;
            var decay = step[1 - lr * _plan.WeightDecay];
            foreach (var parameter in group.Parameters)
            {
                var i = index++;
                using var scope = NewDisposeScope();
                using var grad = parameter.grad;
                if (grad is null)
                    continue;
                using var s = new ScalarScope(); // the numbers of this parameter's own step count
                var (m, v) = _moments[i];
                var t = ++_steps[i];
                if (_plan.WeightDecay != 0)
                    parameter.mul_(decay);
                var biasCorrection1 = 1 - Math.Pow(beta1, t);
                var biasCorrection2 = 1 - Math.Pow(beta2, t);
                m.mul_(keep1).add_(grad, alpha: take1);
                v.mul_(keep2).addcmul_(grad, grad, value: take2);
                var denominator = v.sqrt().div(s[Math.Sqrt(biasCorrection2)]).add_(epsilon, alpha: ScalarMath.One); // add_(number) alone adds an implicit alpha
                parameter.addcdiv_(m, denominator, value: s[-(lr / biasCorrection1)]);
            }
        }
    }

    public override IReadOnlyDictionary<string, Tensor> SaveState()
    {
        var state = new Dictionary<string, Tensor> { ["step"] = tensor(_steps) };
        for (var i = 0; i < _moments.Count; i++)
        {
            state[$"exp_avg.{i}"] = _moments[i].ExpAvg.detach().clone();
            state[$"exp_avg_sq.{i}"] = _moments[i].ExpAvgSq.detach().clone();
        }
        return state;
    }

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        if (state.TryGetValue(TorchSharpStateKey, out var written))
        {
            LoadTorchSharpState(written);
            return;
        }
        var steps = Required(state, "step").to(int64).data<long>().ToArray();
        if (steps.Length != _steps.Length)
            throw new InvalidDataException($"the checkpoint's optimizer state is for {steps.Length} tensors, this adapter has {_steps.Length}");
        using var _ = no_grad();
        for (var i = 0; i < _moments.Count; i++)
        {
            _moments[i].ExpAvg.copy_(Required(state, $"exp_avg.{i}"));
            _moments[i].ExpAvgSq.copy_(Required(state, $"exp_avg_sq.{i}"));
        }
        steps.CopyTo(_steps, 0);
    }

    /// <summary>Reads TorchSharp's own serialisation through a TorchSharp AdamW over the same parameters.</summary>
    private void LoadTorchSharpState(Tensor written)
    {
        var bytes = written.cpu().data<byte>().ToArray();
        using var torchAdamW = optim.AdamW(
            Groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, g.LearningRate, _plan.Beta1, _plan.Beta2, _plan.Epsilon, _plan.WeightDecay)).ToList(),
            Groups[0].LearningRate, _plan.Beta1, _plan.Beta2, _plan.Epsilon, _plan.WeightDecay);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            torchAdamW.load_state_dict(reader);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or InvalidOperationException or ExternalException)
        {
            throw new InvalidDataException($"the checkpoint's optimizer state (written by TorchSharp's AdamW) cannot be read: {e.Message.Split('\n')[0]}", e);
        }
        var states = torchAdamW.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        using var _ = no_grad();
        for (var i = 0; i < _moments.Count; i++)
        {
            _moments[i].ExpAvg.copy_(states[i].exp_avg);
            _moments[i].ExpAvgSq.copy_(states[i].exp_avg_sq);
            _steps[i] = states[i].step;
        }
    }

    public override void Dispose()
    {
        foreach (var (m, v) in _moments)
        {
            m.Dispose();
            v.Dispose();
        }
        base.Dispose();
    }
}
