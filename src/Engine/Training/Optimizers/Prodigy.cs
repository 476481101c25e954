using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>
/// Prodigy (Mishchenko and Defazio 2023), written here because TorchSharp has none: Adam whose step
/// size <c>d</c> is estimated as it goes, so the learning rate is a multiplier (1 is usual). Follows
/// the reference <c>prodigyopt</c> 1.0 without bias correction or safeguard warm-up:
/// <c>d̂ = d_coef · Σ⟨g, p₀ − p⟩·(d/d₀)·dlr (decayed by β₃ = √β₂) / ‖s‖₁</c>, and <c>d</c> never shrinks.
/// </summary>
internal sealed class Prodigy : TrainingOptimizer
{
    private const double D0 = 1e-6;
    private const double Epsilon = 1e-8;
    private readonly ProdigyOptimizer _plan;
    private readonly List<(Tensor Initial, Tensor ExpAvg, Tensor ExpAvgSq, Tensor S)> _state;
    private double _d = D0;
    private double _dMax = D0;
    private double _dNumerator;

    public Prodigy(IReadOnlyList<ParameterGroup> groups, ProdigyOptimizer plan) : base(groups, plan)
    {
        _plan = plan;
        _state = groups.SelectMany(g => g.Parameters).Select(p => (
            p.detach().clone().DetachFromDisposeScope(),
            zeros_like(p).DetachFromDisposeScope(),
            zeros_like(p).DetachFromDisposeScope(),
            zeros_like(p).DetachFromDisposeScope())).ToList();
    }

    /// <summary>The current step-size estimate d.</summary>
    public double D => _d;

    public override void Step(double factor)
    {
        using var _ = no_grad();
        var (beta1, beta2) = (_plan.Beta1, _plan.Beta2);
        var beta3 = Math.Sqrt(beta2);
        var d = _d;
        var dDenominator = 0.0;
        _dNumerator *= beta3;
        var index = 0;
        var rates = new List<double>();
        using var n = new ScalarScope();
        var (keep1, take1, keep2, take2, keep3) = (n[beta1], n[d * (1 - beta1)], n[beta2], n[d * d * (1 - beta2)], n[beta3]);
        foreach (var group in Groups)
        {
            var dlr = d * group.LearningRate * factor;
            rates.Add(dlr);
            var taken = n[d / D0 * dlr];
            foreach (var parameter in group.Parameters)
            {
                var (initial, expAvg, expAvgSq, s) = _state[index++];
                using var grad = parameter.grad;
                if (grad is null)
                    continue;
                using var scope = NewDisposeScope();
                _dNumerator += d / D0 * dlr * grad.flatten().dot((initial - parameter).flatten()).to(float64).item<double>();
                expAvg.mul_(keep1).add_(grad, alpha: take1);
                expAvgSq.mul_(keep2).addcmul_(grad, grad, value: take2);
                s.mul_(keep3).add_(grad, alpha: taken);
                dDenominator += s.abs().sum().to(float64).item<double>();
            }
        }
        if (dDenominator == 0)
            return;
        var dHat = _plan.DCoef * _dNumerator / dDenominator;
        _dMax = Math.Max(_dMax, dHat);
        _d = _dMax;

        index = 0;
        var epsilon = n[_d * Epsilon];
        for (var g = 0; g < Groups.Count; g++)
        {
            var dlr = rates[g];
            var (decay, rate) = (n[-_plan.WeightDecay * dlr], n[-dlr]);
            foreach (var parameter in Groups[g].Parameters)
            {
                var (_, expAvg, expAvgSq, _) = _state[index++];
                using (var grad = parameter.grad)
                {
                    if (grad is null)
                        continue;
                }
                using var scope = NewDisposeScope();
                var denominator = expAvgSq.sqrt().add_(epsilon, alpha: ScalarMath.One); // add_(number) alone adds an implicit alpha
                if (_plan.WeightDecay != 0)
                    parameter.add_(parameter, alpha: decay);
                parameter.addcdiv_(expAvg, denominator, value: rate);
            }
        }
    }

    public override IReadOnlyDictionary<string, Tensor> SaveState()
    {
        var state = new Dictionary<string, Tensor> { ["d"] = tensor(new[] { _d, _dMax, _dNumerator }) };
        for (var i = 0; i < _state.Count; i++)
        {
            state[$"p0.{i}"] = _state[i].Initial.clone();
            state[$"exp_avg.{i}"] = _state[i].ExpAvg.clone();
            state[$"exp_avg_sq.{i}"] = _state[i].ExpAvgSq.clone();
            state[$"s.{i}"] = _state[i].S.clone();
        }
        return state;
    }

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        var scalars = Required(state, "d").to(float64).data<double>().ToArray();
        (_d, _dMax, _dNumerator) = (scalars[0], scalars[1], scalars[2]);
        using var _ = no_grad();
        for (var i = 0; i < _state.Count; i++)
        {
            _state[i].Initial.copy_(Required(state, $"p0.{i}"));
            _state[i].ExpAvg.copy_(Required(state, $"exp_avg.{i}"));
            _state[i].ExpAvgSq.copy_(Required(state, $"exp_avg_sq.{i}"));
            _state[i].S.copy_(Required(state, $"s.{i}"));
        }
    }

    public override void Dispose()
    {
        foreach (var (initial, expAvg, expAvgSq, s) in _state)
        {
            initial.Dispose();
            expAvg.Dispose();
            expAvgSq.Dispose();
            s.Dispose();
        }
        base.Dispose();
    }
}
