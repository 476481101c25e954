using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Lora;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Turns a script's <see cref="LoraPlan"/> into adapter targets over a model's parts. Named groups
/// are module-path rules in diffusers (U-Net) and CLIP (text encoder) naming, applied to their own
/// part; quoted patterns apply to every part; overrides change rank or alpha of targets already chosen.
/// </summary>
public static class PlanTargets
{
    /// <summary>The rules of each named group and the kohya prefix of the part they apply to.</summary>
    public static (string Prefix, IReadOnlyList<TargetRule> Rules) Group(TargetGroup group) => group switch
    {
        TargetGroup.Attention => (ModelPart.UNet,
            [new("**.to_q"), new("**.to_k"), new("**.to_v"), new("**.to_out.0"), new("**.proj_in"), new("**.proj_out")]),
        TargetGroup.FeedForward => (ModelPart.UNet, [new("**.ff.net.0.proj"), new("**.ff.net.2")]),
        TargetGroup.Conv => (ModelPart.UNet,
            [.. new[] { "**.resnets.*.conv1", "**.resnets.*.conv2", "**.resnets.*.conv_shortcut", "**.downsamplers.*.conv", "**.upsamplers.*.conv" }
                .Select(p => new TargetRule(p, LayerKinds.Conv2d))]),
        TargetGroup.TextEncoder => (ModelPart.TextEncoder,
            [new("**.self_attn.q_proj"), new("**.self_attn.k_proj"), new("**.self_attn.v_proj"), new("**.self_attn.out_proj"), new("**.mlp.fc1"), new("**.mlp.fc2")]),
        _ => throw new ArgumentException($"unknown target group {group}"),
    };

    /// <summary>The adapter-wide options of <paramref name="plan"/> (targets are chosen by <see cref="Find"/>).</summary>
    public static LoraOptions Options(LoraPlan plan) => new()
    {
        Rank = plan.Rank,
        Alpha = plan.Alpha,
        Dropout = plan.Dropout,
        UseRsLora = plan.RsLora,
        UseDora = plan.Dora,
        Init = plan.Init == Dsl.Plans.LoraInit.Gaussian ? Lora.LoraInit.Gaussian : Lora.LoraInit.KaimingUniform,
    };

    /// <summary>
    /// Every layer of <paramref name="parts"/> that <paramref name="plan"/> targets, in module order, with
    /// overrides applied (later ones win).
    /// </summary>
    /// <exception cref="UserErrorException">A selector matches no layer (the message shows what paths look like).</exception>
    public static IReadOnlyList<LoraTarget> Find(IReadOnlyList<ModelPart> parts, LoraPlan plan)
    {
        var options = Options(plan);
        var found = new List<LoraTarget>();
        foreach (var part in parts)
        {
            var rules = plan.Targets.SelectMany(t => RulesFor(t, part)).ToList();
            if (rules.Count > 0)
                found.AddRange(LoraTarget.Find([part], options with { Targets = rules }));
        }
        foreach (var selector in plan.Targets)
            if (!found.Any(t => RulesFor(selector, t.Part).Any(r => Matches(r, t))))
                throw new UserErrorException($"target {Describe(selector)} matches no Linear or Conv2d layer of the model; {Example(parts)}");

        foreach (var change in plan.Overrides)
        {
            var hits = 0;
            for (var i = 0; i < found.Count; i++)
            {
                if (!RulesFor(change.Target, found[i].Part).Any(r => Matches(r, found[i])))
                    continue;
                found[i] = found[i] with { Rank = change.Rank ?? found[i].Rank, Alpha = change.Alpha ?? found[i].Alpha };
                hits++;
            }
            if (hits == 0)
                throw new UserErrorException($"the override for {Describe(change.Target)} matches none of the targeted layers; {Example(parts)}");
        }
        return found;
    }

    private static IEnumerable<TargetRule> RulesFor(TargetSelector selector, ModelPart part) => selector switch
    {
        GroupTarget g when Group(g.Group) is var (prefix, rules) => prefix == part.Prefix ? rules : [],
        PatternTarget p => [new TargetRule(p.Glob)],
        _ => [],
    };

    private static bool Matches(TargetRule rule, LoraTarget target) => (rule.Kinds & target.Kind) != 0 && new TargetGlob(rule.Pattern).IsMatch(target.Path);

    private static string Describe(TargetSelector selector) => selector switch
    {
        GroupTarget g => g.Group switch { TargetGroup.FeedForward => "ff", TargetGroup.TextEncoder => "text_encoder", var other => other.ToString().ToLowerInvariant() },
        PatternTarget p => $"\"{p.Glob}\"",
        _ => selector.ToString(),
    };

    private static string Example(IReadOnlyList<ModelPart> parts)
    {
        var path = parts.SelectMany(p => p.Module.named_modules()).Select(m => m.name).Where(n => n.Contains("to_q")).FirstOrDefault();
        return path is null ? "" : $"module paths look like '{path}' (* stays within one dotted segment, ** crosses them)";
    }
}
