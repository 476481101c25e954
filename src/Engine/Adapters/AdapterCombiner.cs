using LoraNotebooks.Engine.Lora;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Adapters;

/// <summary>
/// A weighted sum of adapters as one adapter, exactly: for each adapted layer the ranks are
/// concatenated, <c>down = [down₁; down₂; …]</c> and <c>up = [w₁s₁·up₁ | w₂s₂·up₂ | …]</c> with sᵢ each
/// adapter's scale, so <c>up·down = Σ wᵢsᵢ·upᵢ·downᵢ</c> and alpha = rank (scale 1). The file grows with
/// the summed rank; nothing is approximated (peft's <c>add_weighted_adapter</c> "cat" mode).
/// </summary>
public static class AdapterCombiner
{
    /// <summary>The combination of <paramref name="adapters"/> (not attached to any model) named <paramref name="name"/>.</summary>
    /// <exception cref="UserErrorException">No adapters, or two adapters shaped differently for one layer.</exception>
    public static LoraNetwork Combine(IReadOnlyList<(LoraNetwork Network, double Weight)> adapters, string name)
    {
        if (adapters.Count == 0)
            throw new UserErrorException("combine needs at least one adapter");
        if (adapters.Select(a => a.Network).FirstOrDefault(n => n.Layers.Values.Any(l => l.IsDora)) is { } dora)
            throw new UserErrorException(
                $"adapter '{dora.AdapterName}' is DoRA, whose magnitudes rescale each layer's whole weight, so no sum of low-rank parts equals it; load or merge DoRA adapters one by one instead");
        var byTarget = adapters
            .SelectMany(a => a.Network.Targets.Select(t => (Target: t, Layer: a.Network.Layers[t.Name], a.Weight)))
            .GroupBy(e => e.Target.Name)
            .ToList();
        var targets = byTarget.Select(g =>
        {
            var rank = g.Sum(e => e.Layer.Rank);
            return g.First().Target with { Rank = rank, Alpha = rank };
        }).ToList();
        var options = new LoraOptions { Rank = targets.GroupBy(t => t.Rank).OrderByDescending(g => g.Count()).First().Key };
        options = options with { Alpha = options.Rank };
        var combined = new LoraNetwork(name, targets, options);
        using var _ = no_grad();
        foreach (var group in byTarget)
        {
            using var scope = NewDisposeScope();
            var layer = combined.Layers[group.Key];
            var downs = group.Select(e => e.Layer.Down.parameters().Single().to(float32)).ToList();
            var ups = group.Select(e => e.Layer.Up.parameters().Single().to(float32) * (e.Weight * e.Layer.Scale)).ToList();
            var down = layer.Down.parameters().Single();
            var up = layer.Up.parameters().Single();
            if (!cat(downs, 0).shape.SequenceEqual(down.shape))
                throw new UserErrorException($"the adapters are shaped differently for '{group.Key}'; only adapters for the same base model combine");
            down.copy_(cat(downs, 0));
            up.copy_(cat(ups, 1));
        }
        return combined;
    }
}
