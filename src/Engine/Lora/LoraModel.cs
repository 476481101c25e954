using LoraNotebooks.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// A base model with LoRA adapters attached: several named <see cref="LoraNetwork"/>s, each with
/// its own strength, added to the base layers' outputs through forward hooks. The base modules and
/// their state dicts are never replaced; base weights are frozen and change only while merged.
/// </summary>
/// <remarks>
/// For every adapted base layer: <c>y = base(x) + Σ strength_a · up_a(down_a(dropout(x))) · scale_a</c>
/// over the enabled, unmerged adapters with a non-zero strength. Merge adds
/// <c>strength · scale · up·down</c> (computed in fp32, checked finite) to the base weight and keeps the
/// weight it replaced, so <see cref="Unmerge"/> restores the base bit-exactly, newest merge first.
/// </remarks>
public sealed class LoraModel : IDisposable
{
    private readonly Dictionary<string, LoraNetwork> _networks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(LoraNetwork Network, LoraLayer Layer)>> _layersByTarget = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Action> _removeHooks = new(StringComparer.Ordinal);
    private readonly Stack<(LoraNetwork Network, List<(Tensor Weight, Tensor Saved)> Weights)> _merges = new();

    /// <summary>Wraps a model's <paramref name="parts"/> (e.g. <see cref="Models.IDiffusionBase.Parts"/>) and freezes every base parameter.</summary>
    public LoraModel(IReadOnlyList<ModelPart> parts) : this([.. parts])
    {
    }

    /// <summary>Wraps <paramref name="parts"/> and freezes every base parameter.</summary>
    public LoraModel(params ModelPart[] parts)
    {
        if (parts.Length == 0)
            throw new ArgumentException("a LoRA model needs at least one model part");
        Parts = parts;
        foreach (var part in parts)
            foreach (var parameter in part.Module.parameters())
                parameter.requires_grad = false;
    }

    /// <summary>The base model's parts.</summary>
    public IReadOnlyList<ModelPart> Parts { get; }

    /// <summary>The attached adapters, in the order they were added.</summary>
    public IEnumerable<LoraNetwork> Networks => _networks.Values;

    /// <summary>The adapter named <paramref name="name"/>.</summary>
    public LoraNetwork this[string name] => _networks.TryGetValue(name, out var network)
        ? network
        : throw new KeyNotFoundException($"no adapter named '{name}' is attached (attached: {string.Join(", ", _networks.Keys)})");

    /// <summary>Creates a fresh adapter for the targets <paramref name="options"/> selects and attaches it.</summary>
    public LoraNetwork Add(string name, LoraOptions options, Generator? generator = null)
    {
        options.Validate();
        return Add(new LoraNetwork(name, LoraTarget.Find(Parts, options), options, generator));
    }

    /// <summary>Attaches <paramref name="network"/>, which must have been built over this model's parts.</summary>
    public LoraNetwork Add(LoraNetwork network)
    {
        if (_networks.ContainsKey(network.AdapterName))
            throw new UserErrorException($"an adapter named '{network.AdapterName}' is already attached");
        foreach (var target in network.Targets)
        {
            if (!Parts.Contains(target.Part))
                throw new UserErrorException($"adapter '{network.AdapterName}' targets '{target.Path}' of a model this one does not hold");
            var key = target.Name;
            if (!_layersByTarget.TryGetValue(key, out var layers))
            {
                _layersByTarget[key] = layers = [];
                _removeHooks[key] = target.Module.register_forward_hook((_, x, y) => AddDeltas(layers, x, y)).remove;
            }
            layers.Add((network, network.Layers[key]));
        }
        _networks.Add(network.AdapterName, network);
        return network;
    }

    /// <summary>Detaches the adapter (unmerge it first if merged).</summary>
    public void Remove(string name)
    {
        var network = this[name];
        if (network.IsMerged)
            throw new InvalidOperationException($"adapter '{name}' is merged; unmerge it before removing it");
        foreach (var key in network.Layers.Keys)
            _layersByTarget[key].RemoveAll(entry => entry.Network == network);
        _networks.Remove(name);
    }

    /// <summary>Parameters of every attached adapter: all that an optimizer should see.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => _networks.Values.SelectMany(n => n.parameters());

    /// <summary>Puts the adapters (dropout) and the base model in training or evaluation mode.</summary>
    public void Train(bool training)
    {
        foreach (var part in Parts)
            part.Module.train(training);
        foreach (var network in _networks.Values)
            network.train(training);
    }

    /// <summary>
    /// Adds the adapter's delta into the base weights. Every delta is computed in fp32 and checked
    /// finite before any weight is written; throws <see cref="InvalidOperationException"/> otherwise.
    /// </summary>
    public void Merge(string name)
    {
        var network = this[name];
        if (network.IsMerged)
            throw new InvalidOperationException($"adapter '{name}' is already merged");

        using var _ = no_grad();
        var deltas = new List<(Tensor Weight, Tensor Delta)>();
        try
        {
            foreach (var target in network.Targets)
            {
                var delta = network.Layers[target.Name].DeltaWeight().mul_(network.Strength);
                deltas.Add((target.BaseWeight, delta));
                if (!delta.isfinite().all().item<bool>())
                    throw new InvalidOperationException($"adapter '{name}' has a non-finite delta for '{target.Path}'; nothing was merged");
            }
            var saved = new List<(Tensor, Tensor)>();
            foreach (var (weight, delta) in deltas)
            {
                saved.Add((weight, weight.detach().clone()));
                weight.add_(delta.to(weight.dtype));
            }
            _merges.Push((network, saved));
            network.IsMerged = true;
        }
        finally
        {
            foreach (var (_, delta) in deltas)
                delta.Dispose();
        }
    }

    /// <summary>Undoes the most recent merge, restoring the base weights bit-exactly. Returns false when nothing is merged.</summary>
    public bool Unmerge()
    {
        if (!_merges.TryPop(out var merge))
            return false;
        using var _ = no_grad();
        foreach (var (weight, saved) in merge.Weights)
        {
            weight.copy_(saved);
            saved.Dispose();
        }
        merge.Network.IsMerged = false;
        return true;
    }

    /// <summary>Undoes every merge, newest first.</summary>
    public void UnmergeAll()
    {
        while (Unmerge())
        {
        }
    }

    /// <summary>Detaches every hook; the base model is left as it is (merged weights stay merged).</summary>
    public void Dispose()
    {
        foreach (var remove in _removeHooks.Values)
            remove();
        _removeHooks.Clear();
        _layersByTarget.Clear();
    }

    private static Tensor AddDeltas(List<(LoraNetwork Network, LoraLayer Layer)> layers, Tensor x, Tensor y)
    {
        var result = y;
        foreach (var (network, layer) in layers)
        {
            if (!network.Enabled || network.IsMerged || network.Strength == 0)
                continue;
            var delta = layer.forward(x);
            result = ScalarMath.PlusScaled(result, delta, network.Strength);
        }
        return result;
    }
}
