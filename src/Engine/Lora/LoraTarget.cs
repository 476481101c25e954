using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// A base layer chosen for an adapter, with the rank and alpha its rules give it, whether its adapter is DoRA, and
/// if so on which axis its magnitudes lie.
/// </summary>
public sealed record LoraTarget(ModelPart Part, string Path, string Name, nn.Module<Tensor, Tensor> Module, int Rank, double Alpha, bool Dora = false,
    DoraAxis DoraAxis = DoraAxis.Input)
{
    /// <summary>The layer type.</summary>
    public LayerKinds Kind => Module is Conv2d ? LayerKinds.Conv2d : LayerKinds.Linear;

    /// <summary>
    /// Every Linear and Conv2d layer of <paramref name="parts"/> that <paramref name="options"/>
    /// selects, in module order. Adapter names are the kohya names (<see cref="KohyaNames.For"/>).
    /// </summary>
    public static IReadOnlyList<LoraTarget> Find(IEnumerable<ModelPart> parts, LoraOptions options)
    {
        var rules = options.Targets.Count > 0 ? options.Targets : [new TargetRule("**", LayerKinds.Linear)];
        var includes = rules.Select(r => (Rule: r, Glob: new TargetGlob(r.Pattern))).ToList();
        var excludes = options.Exclude.Select(p => new TargetGlob(p)).ToList();
        var found = new List<LoraTarget>();
        foreach (var part in parts)
        {
            foreach (var (path, module) in part.Module.named_modules())
            {
                var kind = module switch { Linear => LayerKinds.Linear, Conv2d c when c.groups == 1 => LayerKinds.Conv2d, _ => LayerKinds.None };
                if (kind == LayerKinds.None || excludes.Any(g => g.IsMatch(path)))
                    continue;
                var matching = includes.Where(i => (i.Rule.Kinds & kind) != 0 && i.Glob.IsMatch(path)).Select(i => i.Rule).ToList();
                if (matching.Count == 0)
                    continue;
                var rank = matching.LastOrDefault(r => r.Rank is not null)?.Rank ?? options.Rank;
                var alpha = matching.LastOrDefault(r => r.Alpha is not null)?.Alpha ?? options.Alpha;
                found.Add(new LoraTarget(part, path, KohyaNames.For(part.Prefix, path), (nn.Module<Tensor, Tensor>)module, rank, alpha, options.UseDora, options.DoraAxis));
            }
        }
        return found;
    }

    /// <summary>A fresh adapter layer shaped for this target, on its device.</summary>
    internal LoraLayer CreateLayer(double dropout, bool rsLora)
    {
        LoraLayer layer = Module switch
        {
            Conv2d conv => new Conv2dLoraLayer(Name, conv, Rank, Alpha, dropout, rsLora, Dora, DoraAxis),
            Linear linear => new LinearLoraLayer(Name, linear, Rank, Alpha, dropout, rsLora, Dora, DoraAxis),
            _ => throw new InvalidOperationException($"'{Path}' is not a Linear or Conv2d layer"),
        };
        layer.to(BaseWeight.device);
        return layer;
    }

    /// <summary>The base layer's weight.</summary>
    internal TorchSharp.Modules.Parameter BaseWeight => Module switch
    {
        Conv2d conv => conv.weight!,
        Linear linear => linear.weight!,
        _ => throw new InvalidOperationException($"'{Path}' has no weight"),
    };
}
