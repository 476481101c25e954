using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>
/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), written here because
/// TorchSharp has none: <c>p ← p·(1 − lr·wd) − lr·sign(β₁m + (1−β₁)g)</c>, then <c>m ← β₂m + (1−β₂)g</c>.
/// One moment per parameter, so it needs half AdamW's memory; use a 3–10× smaller learning rate.
/// </summary>
internal sealed class Lion : TrainingOptimizer
{
    private readonly LionOptimizer _plan;
    private readonly List<Tensor> _momentum;

    public Lion(IReadOnlyList<ParameterGroup> groups, LionOptimizer plan) : base(groups, plan)
    {
        _plan = plan;
        _momentum = groups.SelectMany(g => g.Parameters).Select(p => zeros_like(p).DetachFromDisposeScope()).ToList();
    }

    public override void Step(double factor)
    {
        using var _ = no_grad();
        using var s = new ScalarScope();
        var (keep1, take1, keep2, take2) = (s[_plan.Beta1], s[1 - _plan.Beta1], s[_plan.Beta2], s[1 - _plan.Beta2]);
        var index = 0;
        foreach (var group in Groups)
        {
            var lr = group.LearningRate * factor;
            var (decay, rate) = (s[1 - lr * _plan.WeightDecay], s[-lr]);
            foreach (var parameter in group.Parameters)
            {
                var m = _momentum[index++];
                using var grad = parameter.grad;
                if (grad is null)
                    continue;
                using var scope = NewDisposeScope();
                var update = ScalarMath.Plus(m.mul(keep1), grad.mul(take1)).sign_();
                if (_plan.WeightDecay != 0)
                    parameter.mul_(decay);
                parameter.add_(update, alpha: rate);
                m.mul_(keep2).add_(grad, alpha: take2);
            }
        }
    }

    public override IReadOnlyDictionary<string, Tensor> SaveState() =>
        _momentum.Select((m, i) => (Key: $"exp_avg.{i}", Value: m.detach().clone())).ToDictionary(p => p.Key, p => p.Value);

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        for (var i = 0; i < _momentum.Count; i++)
            _momentum[i].copy_(Required(state, $"exp_avg.{i}"));
    }

    public override void Dispose()
    {
        foreach (var m in _momentum)
            m.Dispose();
        base.Dispose();
    }
}
