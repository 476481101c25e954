using System.Globalization;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    private const int DefaultRank = 8;
    private const double AlphaWarningRatio = 4;
    private static readonly NumberRange RankRange = NumberRange.AtLeast(1, 4096);
    private static readonly NumberRange AlphaRange = NumberRange.Above(0, 1e6);

    /// <summary>kohya's default U-Net targets: attention and feed-forward layers of the transformer blocks.</summary>
    private static readonly ValueList<TargetSelector> DefaultTargets =
        ValueList.Of<TargetSelector>(new GroupTarget(TargetGroup.Attention), new GroupTarget(TargetGroup.FeedForward));

    private LoraPlan BindLora(BlockSyntax? block)
    {
        var section = Section.Read(block?.Statements ?? [], BlockKind.Lora, diagnostics);
        var rank = WholeSetting(section, "rank", RankRange) ?? DefaultRank;
        var alpha = NumberSetting(section, "alpha", AlphaRange);
        if (alpha is { } a && a / rank >= AlphaWarningRatio)
        {
            diagnostics.Add(DiagnosticDescriptors.AlphaFarAboveRank, section.One("alpha")!.Arguments[0].Span,
                a.ToString(CultureInfo.InvariantCulture), (a / rank).ToString("0.#", CultureInfo.InvariantCulture), rank);
        }
        var dropout = FractionSetting(section, "dropout", NumberRange.Fraction) ?? 0;
        var rsLora = Flag(section.One("rslora")) ?? false;
        var dora = Flag(section.One("dora")) ?? false;
        var init = LoraInit.Kaiming;
        if (section.One("init") is { } initStatement && read.Single(initStatement, "kaiming or gaussian") is { } initValue
            && read.Choice("init", "init", initValue, Vocabulary.Inits, out var chosen))
        {
            init = chosen;
        }

        var targets = DefaultTargets;
        if (section.One("targets") is { } targetsStatement && read.Single(targetsStatement, "groups or patterns, e.g. [attention, ff]") is { } targetsValue
            && read.Items("targets", targetsValue) is { } items)
        {
            var selectors = items.Select(item => Selector("targets", item)).ToList();
            if (selectors.All(s => s is not null)) targets = new ValueList<TargetSelector>(selectors!);
        }

        var overrides = new List<TargetOverride>();
        foreach (var statement in section.All("target"))
        {
            if (statement.Arguments.IsEmpty)
            {
                diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "target", "a group or pattern, e.g. target attention rank 16");
                continue;
            }
            var selector = Selector("target", statement.Arguments[0]);
            var options = Options.Read(statement, 1, Vocabulary.StatementOptions["target"], "target", diagnostics);
            int? overrideRank = options["rank"] is { } r ? read.Whole("rank", r, RankRange) : null;
            double? overrideAlpha = options["alpha"] is { } al ? read.Number("alpha", al, AlphaRange) : null;
            if (!options.Has("rank") && !options.Has("alpha"))
            {
                diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "target", "rank N or alpha N");
            }
            if (selector is not null) overrides.Add(new TargetOverride(selector, overrideRank, overrideAlpha));
        }

        return new LoraPlan(rank, alpha ?? rank, dropout, rsLora, init, targets, new ValueList<TargetOverride>(overrides), dora);
    }

    private TargetSelector? Selector(string owner, ValueSyntax value)
    {
        if (value is StringSyntax pattern)
        {
            if (pattern.Value.Length > 0) return new PatternTarget(pattern.Value);
            diagnostics.Add(DiagnosticDescriptors.WrongValueKind, value.Span, owner, "a group or a module pattern", "an empty string");
            return null;
        }
        return read.Choice(owner, "target group", value, Vocabulary.TargetGroups, out var group) ? new GroupTarget(group) : null;
    }
}
