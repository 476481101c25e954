using LoraNotebooks.Dsl.Plans;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>
/// TorchSharp's AdamW behind <see cref="TrainingOptimizer"/>. The state is TorchSharp's own
/// serialisation, stored in the checkpoint as one byte tensor.
/// </summary>
internal sealed class TorchOptimizer : TrainingOptimizer
{
    private const string StateKey = "torch_state";
    private readonly OptimizerHelper _optimizer;

    private TorchOptimizer(IReadOnlyList<ParameterGroup> groups, AdamWOptimizer plan, OptimizerHelper optimizer) : base(groups, plan)
    {
        _optimizer = optimizer;
    }

    public static TorchOptimizer AdamW(IReadOnlyList<ParameterGroup> groups, AdamWOptimizer plan) => new(groups, plan,
        optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, plan.Beta1, plan.Beta2, plan.Epsilon, plan.WeightDecay)).ToList(),
            groups[0].LearningRate, plan.Beta1, plan.Beta2, plan.Epsilon, plan.WeightDecay));

    public override void Step(double factor)
    {
        foreach (var (group, torchGroup) in Groups.Zip(_optimizer.ParamGroups))
            torchGroup.LearningRate = group.LearningRate * factor;
        _optimizer.step();
    }

    public override IReadOnlyDictionary<string, Tensor> SaveState()
    {
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
            _optimizer.save_state_dict(writer);
        return new Dictionary<string, Tensor> { [StateKey] = tensor(bytes.ToArray()) };
    }

    public override void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        var bytes = Required(state, StateKey).cpu().data<byte>().ToArray();
        using var reader = new BinaryReader(new MemoryStream(bytes));
        _optimizer.load_state_dict(reader);
    }

    public override void Dispose()
    {
        _optimizer.Dispose();
        base.Dispose();
    }
}
