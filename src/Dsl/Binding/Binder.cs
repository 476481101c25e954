using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// Turns a syntax tree into a <see cref="ScriptPlan"/>: resolves names and paths, checks ranges and
/// conflicts, fills in defaults, and warns about settings that will probably disappoint.
/// One partial file per block; this one runs them in order and holds what they share.
/// </summary>
internal sealed partial class Binder
{
    /// <summary>Beyond this many views of each image, a small dataset is learnt by heart.</summary>
    private const int OverfittingViewsPerImage = 200;
    private const int MaxTotalSteps = 10_000_000;
    private const int DefaultSteps = 400;

    private readonly DiagnosticBag diagnostics;
    private readonly ValueReader read;
    private readonly string directory;
    private readonly string defaultOutput;
    private readonly IWorldCatalog worlds;

    private Binder(DiagnosticBag diagnostics, string directory, string defaultOutput, IWorldCatalog worlds)
    {
        this.diagnostics = diagnostics;
        read = new ValueReader(diagnostics);
        this.directory = directory;
        this.defaultOutput = defaultOutput;
        this.worlds = worlds;
    }

    /// <summary>Binds <paramref name="script"/>; returns null when any error was reported.</summary>
    /// <param name="directory">Relative paths in the script are resolved against this folder.</param>
    /// <param name="scriptName">The script's file name without extension, for the default output file.</param>
    public static ScriptPlan? Bind(ScriptSyntax script, string directory, string? scriptName, IWorldCatalog worlds, DiagnosticBag diagnostics)
    {
        var binder = new Binder(diagnostics, directory, Path.Combine(directory, (scriptName ?? "adapter") + ".safetensors"), worlds);
        return binder.Bind(script);
    }

    private ScriptPlan? Bind(ScriptSyntax script)
    {
        var top = Section.Read(script.Statements, BlockKind.TopLevel, diagnostics);
        var basePlan = BindBase(top.One("base"));
        var training = BindTraining(top);
        var actions = BindActions(top, training);
        return diagnostics.HasErrors ? null : new ScriptPlan(directory, basePlan, training, new ValueList<PostAction>(actions));
    }

    private BasePlan BindBase(StatementSyntax? statement)
    {
        if (statement is null) return BasePlan.Builtin;
        switch (read.Single(statement, "builtin, a checkpoint file or a diffusers folder"))
        {
            case NameSyntax { Name: Vocabulary.Builtin }:
                return BasePlan.Builtin;
            case StringSyntax file when ResolvePath("base", file) is { } path:
                // A file (built-in base or single-file SD checkpoint) or a diffusers folder.
                if (!File.Exists(path) && !Directory.Exists(path)) diagnostics.Add(DiagnosticDescriptors.CheckpointNotFound, file.Span, file.Value);
                return new BasePlan(path);
            case NameSyntax other:
                diagnostics.Add(DiagnosticDescriptors.UnknownValue, other.Span, "base model", other.Name, DidYouMean.Hint(other.Name, [Vocabulary.Builtin]));
                return BasePlan.Builtin;
            case ValueSyntax wrong when wrong is NumberSyntax or ListSyntax:
                diagnostics.Add(DiagnosticDescriptors.WrongValueKind, wrong.Span, "base", "builtin, a checkpoint file or a diffusers folder", ValueReader.Describe(wrong));
                return BasePlan.Builtin;
            default:
                return BasePlan.Builtin;
        }
    }

    private TrainingPlan? BindTraining(Section top)
    {
        var datasetStatements = top.All("dataset");
        var sections = new[] { top.One("lora"), top.One("train"), top.One("sample") };
        if (datasetStatements.Count == 0 && sections.FirstOrDefault(s => s is not null) is { } orphan)
        {
            diagnostics.Add(DiagnosticDescriptors.TrainingWithoutDataset, orphan.Keyword.Span, orphan.Keyword.Name);
        }

        // The blocks are bound even without a dataset, so that all their problems show in one pass.
        var datasets = BindDatasets(datasetStatements);
        var known = datasets.Count == datasetStatements.Count && datasets.Count > 0;
        var lora = BindLora(sections[0]?.Block);
        var (train, trainSpan) = BindTrain(sections[1]?.Block, known ? datasets : null, lora);
        var sample = BindSample(sections[2], train.TotalSteps, known ? train.StepsPerEpoch : null);
        if (datasetStatements.Count == 0) return null;

        if (known && datasets.All(d => d.Preserves))
        {
            diagnostics.Add(DiagnosticDescriptors.NothingToLearn, datasetStatements[0].Keyword.Span);
        }
        if (known) WarnAboutTraining(datasets, lora, train, sample, trainSpan ?? datasetStatements[0].Keyword.Span);
        if (sections[2] is null) diagnostics.Add(DiagnosticDescriptors.NoPreviews, datasetStatements[0].Keyword.Span);
        return new TrainingPlan(new ValueList<DatasetPlan>(datasets), lora, train, sample);
    }

    /// <summary>Resolves a script path against the script's folder; reports text that cannot be a path.</summary>
    private string? ResolvePath(string owner, StringSyntax text)
    {
        if (string.IsNullOrWhiteSpace(text.Value) || text.Value.Contains('\0'))
        {
            diagnostics.Add(DiagnosticDescriptors.WrongValueKind, text.Span, owner, "a file path", "an empty or unusable string");
            return null;
        }
        return Path.GetFullPath(Path.Combine(directory, text.Value));
    }

    /// <summary>A <c>true</c>/<c>false</c> setting, where the bare keyword means true.</summary>
    private bool? Flag(StatementSyntax? statement) =>
        statement is null ? null
        : statement.Arguments.IsEmpty ? true
        : read.Bool(statement.Keyword.Name, read.Single(statement, "true or false"));

    /// <summary><c>N</c>, <c>N steps</c> or <c>N epochs</c> from <paramref name="index"/> on, in steps.</summary>
    private int? Interval(StatementSyntax statement, int index, int? stepsPerEpoch)
    {
        var owner = statement.Keyword.Name;
        var arguments = statement.Arguments;
        if (index >= arguments.Length)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, owner, "a number of steps or epochs");
            return null;
        }
        var count = read.Whole(owner, arguments[index], NumberRange.AtLeast(1, MaxTotalSteps));
        var epochs = false;
        if (index + 1 < arguments.Length && !read.Choice(owner, "unit", arguments[index + 1], Vocabulary.IntervalUnits, out epochs))
        {
            return null;
        }
        read.ExpectNoMore(statement, index + 2);
        if (count is null) return null;
        if (!epochs) return count;
        return stepsPerEpoch is { } perEpoch ? (int)Math.Min(MaxTotalSteps, (long)count.Value * perEpoch) : null;
    }
}
