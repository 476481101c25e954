using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>
/// SGD with momentum and Nesterov, exactly torch.optim.SGD's update with dampening 0:
/// <c>g ← grad + wd·p; b ← μb + g; p ← p − lr·(g + μb if Nesterov, else b)</c>. Written here rather than
/// wrapping TorchSharp's because TorchSharp 0.107's SGD state did not round-trip through
/// save/load_state_dict exactly (a resumed run drifted), and resume must be exact.
/// </summary>
internal sealed class Sgd : TrainingOptimizer
{
    private readonly SgdOptimizer _plan;
    private readonly List<Tensor> _momentum;

    public Sgd(IReadOnlyList<ParameterGroup> groups, SgdOptimizer plan) : base(groups, plan)
    {
        _plan = plan;
        _momentum = groups.SelectMany(g => g.Parameters).Select(p => zeros_like(p).DetachFromDisposeScope()).ToList();
    }

    public override void Step(double factor)
    {
        using var _ = no_grad();
        using var s = new ScalarScope();
        var (decay, momentum) = (s[_plan.WeightDecay], s[_plan.Momentum]);
        var index = 0;
        foreach (var group in Groups)
        {
            var rate = s[-(group.LearningRate * factor)];
            foreach (var parameter in group.Parameters)
            {
                var buffer = _momentum[index++];
                using var grad = parameter.grad;
                if (grad is null)
                    continue;
                using var scope = NewDisposeScope();
                var g = _plan.WeightDecay != 0 ? ScalarMath.Plus(grad, parameter.mul(decay)) : grad;
                if (_plan.Momentum != 0)
                {
                    buffer.mul_(momentum).add_(g, alpha: ScalarMath.One);
                    g = _plan.Nesterov ? ScalarMath.Plus(g, buffer.mul(momentum)) : buffer;
                }
                parameter.add_(g, alpha: rate);
            }
        }
    }

    public override IReadOnlyDictionary<string, Tensor> SaveState() =>
        _momentum.Select((m, i) => (Key: $"momentum.{i}", Value: m.detach().clone())).ToDictionary(p => p.Key, p => p.Value);

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        for (var i = 0; i < _momentum.Count; i++)
            _momentum[i].copy_(Required(state, $"momentum.{i}"));
    }

    public override void Dispose()
    {
        foreach (var m in _momentum)
            m.Dispose();
        base.Dispose();
    }
}
