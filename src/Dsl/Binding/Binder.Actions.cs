using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    private static readonly string[] ActionKeywords = ["load", "grid", "combine", "merge", "inspect", "evaluate"];

    /// <summary>Adapter files that exist once earlier steps of the script have run.</summary>
    private readonly HashSet<string> produced = [];
    private int loadedAdapters;

    private List<PostAction> BindActions(Section top, TrainingPlan? training)
    {
        if (training is not null) produced.Add(training.Train.OutputPath);
        var trainedPath = training?.Train.OutputPath ?? (top.All("dataset").Count > 0 ? defaultOutput : null);
        var actions = new List<PostAction>();
        var statements = ActionKeywords.SelectMany(top.All).OrderBy(s => s.Span.Offset);
        foreach (var statement in statements)
        {
            PostAction? action = statement.Keyword.Name switch
            {
                "load" => BindLoad(statement, trainedPath),
                "grid" => BindGrid(statement, training, trainedPath, actions),
                "combine" => BindCombine(statement, trainedPath),
                "merge" => BindMerge(statement, trainedPath),
                "inspect" => BindInspect(statement, trainedPath),
                _ => BindEvaluate(statement, trainedPath, actions),
            };
            if (action is not null) actions.Add(action);
        }
        return actions;
    }

    private LoadAdapterAction? BindLoad(StatementSyntax statement, string? trainedPath)
    {
        if (statement.Arguments.IsEmpty)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "load", "an adapter: a file path in double quotes, or trained");
            return null;
        }
        var path = Adapter(statement.Arguments[0], trainedPath);
        var options = Options.Read(statement, 1, Vocabulary.StatementOptions["load"], "load", diagnostics);
        var strength = options["strength"] is { } s ? read.Number("strength", s, StrengthRange) ?? 1 : 1;
        loadedAdapters++;
        return path is null ? null : new LoadAdapterAction(path, strength);
    }

    private GridAction? BindGrid(StatementSyntax statement, TrainingPlan? training, string? trainedPath, List<PostAction> actions)
    {
        EnsureAdapterLoaded(statement, trainedPath, actions);
        var options = Options.Read(statement, 0, Vocabulary.StatementOptions["grid"], "grid", diagnostics);
        var samplePrompts = training?.Sample?.Prompts.Select(p => p.Text).ToList();
        var prompts = options["prompts"] is { } p ? read.TextList("prompts", p) : samplePrompts;
        if (prompts is null && !options.Has("prompts"))
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "grid", "prompts [\"...\"] (or a sample block to take them from)");
        }
        var strengths = options["strengths"] is { } s ? read.ListOf("strengths", s, v => read.Number("strengths", v, StrengthRange)) : [0.0, 1.0];
        var seeds = options["seeds"] is { } sd ? read.ListOf("seeds", sd, v => read.Whole("seeds", v, SeedRange)) : [1];
        var steps = options["steps"] is { } st ? read.Whole("steps", st, SamplingStepsRange) : DefaultSamplingSteps;
        var guidance = options["guidance"] is { } g ? read.Number("guidance", g, GuidanceRange) : null;
        var sampler = Sampler.Ddim;
        if (options["sampler"] is { } sm && !read.Choice("sampler", "sampler", sm, Vocabulary.Samplers, out sampler)) return null;
        string? output = null;
        if (options["output"] is { } o && (read.Text("output", o) is null || (output = ResolvePath("output", (StringSyntax)o)) is null)) return null;
        if (prompts is null || strengths is null || seeds is null || steps is null || (options.Has("guidance") && guidance is null)) return null;
        return new GridAction(new(prompts), new(strengths), new(seeds), steps.Value, guidance, sampler, output);
    }

    private CombineAction? BindCombine(StatementSyntax statement, string? trainedPath)
    {
        if (statement.Arguments.FirstOrDefault() is not ListSyntax list)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "combine", "a list of adapters, e.g. combine [trained, \"style.safetensors\"]");
            return null;
        }
        var adapters = (read.Items("combine", list) ?? []).Select(item => Adapter(item, trainedPath)).ToList();
        var options = Options.Read(statement, 1, Vocabulary.StatementOptions["combine"], "combine", diagnostics);
        var weights = options["weights"] is { } w
            ? read.ListOf("weights", w, v => read.Number("weights", v, StrengthRange))
            : adapters.Select(_ => 1.0 / Math.Max(1, adapters.Count)).ToList();
        if (weights is not null && options["weights"] is { } weightsValue && weights.Count != adapters.Count)
        {
            diagnostics.Add(DiagnosticDescriptors.CountMismatch, weightsValue.Span, adapters.Count, weights.Count);
        }
        var output = Into(statement, options);
        if (output is null || weights is null || adapters.Count == 0 || adapters.Any(a => a is null) || weights.Count != adapters.Count) return null;
        return new CombineAction(new(adapters.Zip(weights, (a, wt) => new WeightedAdapter(a!, wt))), output);
    }

    private MergeAction? BindMerge(StatementSyntax statement, string? trainedPath)
    {
        var (adapter, next) = OptionalAdapter(statement, trainedPath);
        var options = Options.Read(statement, next, Vocabulary.StatementOptions["merge"], "merge", diagnostics);
        var strength = options["strength"] is { } s ? read.Number("strength", s, StrengthRange) ?? 1 : 1;
        var output = Into(statement, options);
        return adapter is null || output is null ? null : new MergeAction(adapter, strength, output);
    }

    private InspectAction? BindInspect(StatementSyntax statement, string? trainedPath)
    {
        var (adapter, next) = OptionalAdapter(statement, trainedPath);
        read.ExpectNoMore(statement, next);
        return adapter is null ? null : new InspectAction(adapter);
    }

    private EvaluateAction? BindEvaluate(StatementSyntax statement, string? trainedPath, List<PostAction> actions)
    {
        EnsureAdapterLoaded(statement, trainedPath, actions);
        var options = Options.Read(statement, 0, Vocabulary.StatementOptions["evaluate"], "evaluate", diagnostics);
        var samples = options["samples"] is { } n ? read.Whole("samples", n, NumberRange.AtLeast(1, 10_000)) ?? 8 : 8;
        var seed = options["seed"] is { } s ? read.Whole("seed", s, SeedRange) ?? 1 : 1;
        return new EvaluateAction(samples, seed);
    }

    /// <summary>grid and evaluate use the loaded adapters; with none loaded they load the trained one at strength 1.</summary>
    private void EnsureAdapterLoaded(StatementSyntax statement, string? trainedPath, List<PostAction> actions)
    {
        if (loadedAdapters > 0) return;
        if (trainedPath is null)
        {
            diagnostics.Add(DiagnosticDescriptors.NoAdapterLoaded, statement.Keyword.Span, statement.Keyword.Name);
            return;
        }
        actions.Add(new LoadAdapterAction(trainedPath, 1));
        loadedAdapters++;
    }

    /// <summary>An adapter written first (a path or <c>trained</c>); without one, the trained adapter.</summary>
    private (string? Path, int Next) OptionalAdapter(StatementSyntax statement, string? trainedPath)
    {
        if (statement.Arguments.FirstOrDefault() is StringSyntax or NameSyntax { Name: Vocabulary.Trained })
        {
            return (Adapter(statement.Arguments[0], trainedPath), 1);
        }
        if (trainedPath is null)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, statement.Keyword.Name, "an adapter file path in double quotes");
        }
        return (trainedPath, 0);
    }

    private string? Into(StatementSyntax statement, Options options)
    {
        if (options["into"] is not { } value)
        {
            if (!options.Has("into")) diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, statement.Keyword.Name, "into \"file.safetensors\"");
            return null;
        }
        if (read.Text("into", value) is null || ResolvePath("into", (StringSyntax)value) is not { } path) return null;
        produced.Add(path);
        return path;
    }

    /// <summary>An adapter reference: <c>trained</c>, or a file that exists or that an earlier step writes.</summary>
    private string? Adapter(ValueSyntax value, string? trainedPath)
    {
        switch (value)
        {
            case NameSyntax { Name: Vocabulary.Trained }:
                if (trainedPath is null) diagnostics.Add(DiagnosticDescriptors.NothingTrained, value.Span);
                return trainedPath;
            case NameSyntax other:
                diagnostics.Add(DiagnosticDescriptors.UnknownValue, other.Span, "adapter", other.Name, DidYouMean.Hint(other.Name, [Vocabulary.Trained]));
                return null;
            case StringSyntax file when ResolvePath("adapter", file) is { } path:
                if (!File.Exists(path) && !produced.Contains(path))
                {
                    diagnostics.Add(DiagnosticDescriptors.AdapterNotFound, file.Span, file.Value);
                }
                return path;
            case StringSyntax or BadValueSyntax:
                return null;
            default:
                diagnostics.Add(DiagnosticDescriptors.WrongValueKind, value.Span, "adapter", "a file path in double quotes or trained", ValueReader.Describe(value));
                return null;
        }
    }
}
