using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    private const int DefaultSamplingSteps = 20;
    private static readonly NumberRange SamplingStepsRange = NumberRange.AtLeast(1, 1000);
    private static readonly NumberRange GuidanceRange = NumberRange.AtLeast(0, 100);
    private static readonly NumberRange StrengthRange = NumberRange.AtLeast(-10, 10);
    private static readonly NumberRange SeedRange = NumberRange.AtLeast(0, int.MaxValue);

    private TextSpan? sampleEverySpan;

    /// <summary>Binds the sample block; null when there is none or it has no prompt.</summary>
    private SamplePlan? BindSample(StatementSyntax? statement, int totalSteps, int? stepsPerEpoch)
    {
        if (statement is null) return null;
        read.ExpectNoMore(statement, 0);
        var section = Section.Read(statement.Block!.Statements, BlockKind.Sample, diagnostics);

        var every = section.One("every") is { } everyStatement ? Interval(everyStatement, 0, stepsPerEpoch) : null;
        sampleEverySpan = section.One("every")?.Arguments.FirstOrDefault()?.Span;
        var seed = WholeSetting(section, "seed", SeedRange) ?? 1;
        var steps = WholeSetting(section, "steps", SamplingStepsRange) ?? DefaultSamplingSteps;
        // No guidance given: the base model's own default (3 for the built-in base, 7.5 for Stable Diffusion).
        var guidance = NumberSetting(section, "guidance", GuidanceRange);
        string? negative = section.One("negative") is { } negativeStatement
            ? read.Text("negative", read.Single(negativeStatement, "a string"))
            : null;
        var strengths = section.One("strengths") is { } strengthsStatement
            ? read.ListOf("strengths", read.Single(strengthsStatement, "a list of strengths, e.g. [0, 0.5, 1]"), v => read.Number("strengths", v, StrengthRange))
            : null;
        var sampler = Sampler.Ddim;
        if (section.One("sampler") is { } samplerStatement && read.Single(samplerStatement, "ddim or euler_a") is { } samplerValue
            && read.Choice("sampler", "sampler", samplerValue, Vocabulary.Samplers, out var chosen))
        {
            sampler = chosen;
        }

        var prompts = new List<SamplePrompt>();
        foreach (var promptStatement in section.All("prompt"))
        {
            if (promptStatement.Arguments.IsEmpty)
            {
                diagnostics.Add(DiagnosticDescriptors.MissingValue, promptStatement.Keyword.Span, "prompt", "the prompt text in double quotes");
                continue;
            }
            var text = read.Text("prompt", promptStatement.Arguments[0]);
            var options = Options.Read(promptStatement, 1, Vocabulary.StatementOptions["prompt"], "prompt", diagnostics);
            var prompt = new SamplePrompt(
                text ?? "",
                options["negative"] is { } n ? read.Text("negative", n) : negative,
                options["seed"] is { } s ? read.Whole("seed", s, SeedRange) ?? seed : seed,
                options["steps"] is { } st ? read.Whole("steps", st, SamplingStepsRange) ?? steps : steps,
                options["guidance"] is { } g ? read.Number("guidance", g, GuidanceRange) ?? guidance : guidance);
            prompts.Add(prompt);
        }
        if (prompts.Count == 0)
        {
            diagnostics.Add(DiagnosticDescriptors.SampleWithoutPrompts, statement.Keyword.Span);
            return null;
        }
        var everySteps = every ?? Math.Max(1, (totalSteps + 3) / 4);
        return new SamplePlan(everySteps, new ValueList<SamplePrompt>(prompts), new ValueList<double>(strengths ?? [1.0]), sampler);
    }
}
