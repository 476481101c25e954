using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Training.Optimizers;

/// <summary>Parameters trained at one learning rate (the U-Net's adapters, or the text encoder's).</summary>
/// <param name="Name">For messages: <c>unet</c> or <c>text_encoder</c>.</param>
/// <param name="Parameters">The trainable tensors.</param>
/// <param name="LearningRate">The rate before the schedule's factor.</param>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRate);

/// <summary>
/// An optimizer over parameter groups whose whole state can be written into a checkpoint and read
/// back, so a resumed run continues bit for bit. All four are written here: TorchSharp 0.107 has no Lion or
/// Prodigy, its SGD state did not resume exactly, and its AdamW passes libtorch numbers that only a finalizer
/// keeps alive (<see cref="ScalarScope"/>); ours does the same arithmetic with scalars that live through each call.
/// </summary>
public abstract class TrainingOptimizer : IDisposable
{
    private protected TrainingOptimizer(IReadOnlyList<ParameterGroup> groups, OptimizerPlan plan)
    {
        Name = NameOf(plan);
        if (groups.Sum(g => g.Parameters.Count) == 0)
            throw new UserErrorException("there is nothing to train: the adapter has no parameters");
        Groups = groups;
    }

    /// <summary>The groups, in the order given.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The name written into adapter metadata (<c>ss_optimizer</c>).</summary>
    public string Name { get; }

    /// <summary>kohya's name for the optimizer <paramref name="plan"/> asks for.</summary>
    public static string NameOf(OptimizerPlan plan) => plan switch
    {
        AdamWOptimizer => "AdamW",
        SgdOptimizer s => s.Nesterov ? "SGDNesterov" : "SGD",
        LionOptimizer => "Lion",
        ProdigyOptimizer => "Prodigy",
        _ => throw new ArgumentException($"unknown optimizer {plan.GetType().Name}"),
    };

    /// <summary>The optimizer <paramref name="plan"/> asks for, over <paramref name="groups"/>.</summary>
    public static TrainingOptimizer Create(OptimizerPlan plan, IReadOnlyList<ParameterGroup> groups) => plan switch
    {
        AdamWOptimizer a => new AdamW(groups, a),
        SgdOptimizer s => new Sgd(groups, s),
        LionOptimizer l => new Lion(groups, l),
        ProdigyOptimizer p => new Prodigy(groups, p),
        _ => throw new ArgumentException($"unknown optimizer {plan.GetType().Name}"),
    };

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Groups.SelectMany(g => g.Parameters))
        {
            using var grad = parameter.grad;
            using var zeroed = grad?.zero_(); // TorchSharp's zero_ returns a new wrapper of the same tensor, left to the finalizer
        }
    }

    /// <summary>One update, each group at its learning rate × <paramref name="factor"/> (the schedule's).</summary>
    public abstract void Step(double factor);

    /// <summary>The state to checkpoint, by name (tensors are copies the caller disposes).</summary>
    public abstract IReadOnlyDictionary<string, Tensor> SaveState();

    /// <summary>Restores state written by <see cref="SaveState"/> from an optimizer of the same kind over the same parameters.</summary>
    public abstract void LoadState(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>The state as safetensors entries named <paramref name="prefix"/> + its key (bytes copied out, so nothing is left to dispose).</summary>
    public IReadOnlyList<TensorData> StateTensors(string prefix = "")
    {
        var state = SaveState();
        try
        {
            return [.. state.Select(kv => SafeTensorsTorch.ToTensorData(prefix + kv.Key, kv.Value))];
        }
        finally
        {
            foreach (var value in state.Values)
                value.Dispose();
        }
    }

    /// <summary>Restores the state that <see cref="StateTensors"/> wrote into <paramref name="file"/> under <paramref name="prefix"/>.</summary>
    public void LoadState(SafeTensorsFile file, string prefix = "")
    {
        var state = file.Tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(k => k[prefix.Length..], k => file.ReadTensor(k));
        try
        {
            LoadState(state);
        }
        finally
        {
            foreach (var value in state.Values)
                value.Dispose();
        }
    }

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The state tensor <paramref name="name"/>, or a clear error when the checkpoint lacks it.</summary>
    private protected static Tensor Required(IReadOnlyDictionary<string, Tensor> state, string name) =>
        state.TryGetValue(name, out var value)
            ? value
            : throw new InvalidDataException($"the checkpoint has no optimizer state '{name}': it was written by another optimizer or adapter");
}
