using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

internal sealed partial class Binder
{
    private const int DefaultWorldCount = 20;

    /// <summary>Where each dataset's trigger was written, to point the "trigger not in prompts" warning at it.</summary>
    private readonly Dictionary<DatasetPlan, TextSpan> triggerSpans = [];

    /// <summary>Binds every dataset; a dataset with errors is left out of the result.</summary>
    private List<DatasetPlan> BindDatasets(IReadOnlyList<StatementSyntax> statements)
    {
        var plans = new List<DatasetPlan>();
        var names = new Dictionary<string, TextSpan>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            var errorsBefore = diagnostics.ErrorCount;
            var plan = BindDataset(statement);
            var nameSpan = statement.Arguments.FirstOrDefault() is StringSyntax given ? given.Span : statement.Keyword.Span;
            if (names.TryGetValue(plan.Name, out var first))
            {
                diagnostics.Add(DiagnosticDescriptors.DuplicateDataset, nameSpan, plan.Name, first);
                continue;
            }
            names[plan.Name] = nameSpan;
            if (diagnostics.ErrorCount == errorsBefore) plans.Add(plan);
        }
        return plans;
    }

    private DatasetPlan BindDataset(StatementSyntax statement)
    {
        string? givenName = null;
        if (statement.Arguments.Length > 0)
        {
            givenName = read.Text("dataset", statement.Arguments[0]);
            read.ExpectNoMore(statement, 1);
        }
        var section = Section.Read(statement.Block!.Statements, BlockKind.Dataset, diagnostics);

        var captionExtension = ".txt";
        if (section.One("caption_extension") is { } extensionStatement
            && read.Text("caption_extension", read.Single(extensionStatement, "an extension like \".txt\"")) is { Length: > 0 } extension)
        {
            captionExtension = extension.StartsWith('.') ? extension : "." + extension;
        }

        var (source, imageCount, sourceName) = BindSource(statement, section, captionExtension);
        var name = givenName ?? sourceName ?? "dataset";

        string? trigger = null;
        if (section.One("trigger") is { } triggerStatement && read.Single(triggerStatement, "a word in double quotes") is { } triggerValue)
        {
            trigger = read.Text("trigger", triggerValue);
            if (trigger is { Length: 0 }) diagnostics.Add(DiagnosticDescriptors.MissingValue, triggerValue.Span, "trigger", "a word in double quotes");
            if (string.IsNullOrWhiteSpace(trigger)) trigger = null;
        }

        var repeats = WholeSetting(section, "repeats", NumberRange.AtLeast(1, 10_000)) ?? 1;
        var dropout = FractionSetting(section, "caption_dropout", NumberRange.Fraction) ?? 0;
        var flip = Flag(section.One("flip")) ?? false;
        var crop = Crop.Center;
        if (section.One("crop") is { } cropStatement && read.Single(cropStatement, "center or random") is { } cropValue
            && read.Choice("crop", "crop", cropValue, Vocabulary.Crops, out var chosenCrop))
        {
            crop = chosenCrop;
        }
        var shuffle = BindCaptionShuffle(section.One("caption_shuffle"));

        int? resolution = null;
        if (section.One("resolution") is { } resolutionStatement
            && read.Single(resolutionStatement, "a size in pixels") is { } resolutionValue
            && read.Whole("resolution", resolutionValue, NumberRange.AtLeast(8, 8192)) is { } size)
        {
            if (size % 8 == 0) resolution = size;
            else diagnostics.Add(DiagnosticDescriptors.OutOfRange, resolutionValue.Span, "resolution", "a multiple of 8", size);
        }

        var validationImages = BindValidation(section.One("validation"), imageCount, name);
        var preserve = BindPreserve(section.One("preserve"));
        if (preserve is not null && trigger is not null)
        {
            diagnostics.Add(DiagnosticDescriptors.TriggerInPreserved, section.One("trigger")!.Arguments[0].Span, name);
        }
        var mask = BindMask(section.One("mask"), source, name, preserve is not null);
        var plan = new DatasetPlan(name, source, imageCount, validationImages, repeats, trigger, captionExtension, shuffle, dropout, flip, resolution, crop, preserve, mask);
        if (trigger is not null) triggerSpans[plan] = section.One("trigger")!.Arguments[0].Span;
        return plan;
    }

    private (DatasetSource Source, int Images, string? Name) BindSource(StatementSyntax dataset, Section section, string captionExtension)
    {
        var folder = section.One("folder");
        var world = section.One("world");
        var label = dataset.Arguments.FirstOrDefault() is StringSyntax s ? s.Value : "dataset";
        if (folder is not null && world is not null)
        {
            diagnostics.Add(DiagnosticDescriptors.DatasetWithTwoSources, world.Keyword.Span, label);
        }
        if (folder is not null) return BindFolder(folder, captionExtension);
        if (world is not null) return BindWorld(world);
        diagnostics.Add(DiagnosticDescriptors.DatasetWithoutSource, dataset.Keyword.Span, label);
        return (new FolderSource(directory), 0, null);
    }

    private (DatasetSource, int, string?) BindFolder(StatementSyntax statement, string captionExtension)
    {
        if (read.Single(statement, "a folder path in double quotes") is not { } value
            || read.Text("folder", value) is null
            || ResolvePath("folder", (StringSyntax)value) is not { } path)
        {
            return (new FolderSource(directory), 0, null);
        }
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        if (!Directory.Exists(path))
        {
            diagnostics.Add(DiagnosticDescriptors.FolderNotFound, value.Span, ((StringSyntax)value).Value);
            return (new FolderSource(path), 0, name);
        }
        var (images, withoutCaption) = ImageFolder.Count(path, captionExtension);
        if (images == 0) diagnostics.Add(DiagnosticDescriptors.NoImages, value.Span, ((StringSyntax)value).Value);
        else if (withoutCaption > 0) diagnostics.Add(DiagnosticDescriptors.MissingCaptions, value.Span, withoutCaption, images, ((StringSyntax)value).Value, captionExtension);
        return (new FolderSource(path), images, name);
    }

    private (DatasetSource, int, string?) BindWorld(StatementSyntax statement)
    {
        var arguments = statement.Arguments;
        if (arguments.Length >= 1 && arguments[0] is NameSyntax { Name: WorldSource.HeldIn })
        {
            // The base model's own world, every shape or one (`world held_in "figure"`, the class a character
            // or an accessory belongs to); its pictures carry plain captions.
            var shape = arguments.Length >= 2 && arguments[1] is not NameSyntax { Name: "count" } ? WordOrText("world", arguments[1]) : null;
            var heldInOptions = Options.Read(statement, shape is null ? 1 : 2, Vocabulary.StatementOptions["world"], "world", diagnostics);
            var heldInCount = heldInOptions["count"] is { } value ? read.Whole("count", value, NumberRange.AtLeast(1, 1_000_000)) ?? 0 : DefaultWorldCount;
            if (shape is not null && !worlds.MembersOf(WorldSource.HeldIn).Contains(shape, StringComparer.Ordinal))
            {
                diagnostics.Add(DiagnosticDescriptors.UnknownWorldMember, arguments[1].Span, shape, WorldSource.HeldIn, DidYouMean.Hint(shape, [.. worlds.MembersOf(WorldSource.HeldIn)]));
            }
            return (new WorldSource(WorldSource.HeldIn, shape ?? "", heldInCount), heldInCount, WorldSource.HeldIn);
        }
        if (arguments.Length < 2)
        {
            diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, "world", "a family and a member, e.g. world character \"ada\"");
            return (new WorldSource("", "", 0), 0, null);
        }
        var family = WordOrText("world", arguments[0]);
        var member = WordOrText("world", arguments[1]);
        var options = Options.Read(statement, 2, Vocabulary.StatementOptions["world"], "world", diagnostics);
        var count = options["count"] is { } countValue ? read.Whole("count", countValue, NumberRange.AtLeast(1, 1_000_000)) ?? 0 : DefaultWorldCount;
        if (family is not null && !worlds.Families.Contains(family, StringComparer.Ordinal))
        {
            diagnostics.Add(DiagnosticDescriptors.UnknownWorldFamily, arguments[0].Span, family, DidYouMean.Hint(family, [.. worlds.Families, WorldSource.HeldIn]));
        }
        else if (family is not null && member is not null && !worlds.MembersOf(family).Contains(member, StringComparer.Ordinal))
        {
            diagnostics.Add(DiagnosticDescriptors.UnknownWorldMember, arguments[1].Span, member, family, DidYouMean.Hint(member, [.. worlds.MembersOf(family)]));
        }
        return (new WorldSource(family ?? "", member ?? "", count), count, member);
    }

    /// <summary>World families and members read the same with or without quotes.</summary>
    private string? WordOrText(string owner, ValueSyntax value) => value switch
    {
        NameSyntax name => name.Name,
        _ => read.Text(owner, value),
    };

    /// <summary>
    /// <c>preserve</c>, <c>preserve weight 0.5</c>, <c>preserve weight 6 noisy 50% drawn_by base</c>: the weight of
    /// output preservation (1 when not given), the share of its timesteps drawn from the noisiest tenth (none when
    /// not given) and whether the base draws its pictures (the dataset's own when not given); null without the statement.
    /// </summary>
    private Preservation? BindPreserve(StatementSyntax? statement)
    {
        if (statement is null) return null;
        var options = Options.Read(statement, 0, Vocabulary.StatementOptions["preserve"], "preserve", diagnostics);
        var weight = options["weight"] is { } w ? read.Number("weight", w, NumberRange.Above(0, 1000)) ?? 1 : 1;
        var noisy = options["noisy"] is { } n ? read.Fraction("noisy", n, NumberRange.AtLeast(0, 1)) ?? 0 : 0;
        var drawnByBase = options["drawn_by"] is { } d && read.Choice("preserve", "drawn_by", d, Vocabulary.PreservedPictures, out var byBase) && byBase;
        return new Preservation(weight, noisy, drawnByBase);
    }

    /// <summary>
    /// <c>mask "folder"</c> (mask pictures named as the dataset's) or a bare <c>mask</c> on a world dataset, whose
    /// generator knows where it painted each picture's subject; <c>outside P%</c> weighs the rest (default <see cref="DefaultMaskOutside"/>).
    /// </summary>
    private LossMask? BindMask(StatementSyntax? statement, DatasetSource source, string datasetName, bool preserves)
    {
        if (statement is null) return null;
        var hasFolder = statement.Arguments.FirstOrDefault() is StringSyntax;
        var options = Options.Read(statement, hasFolder ? 1 : 0, Vocabulary.StatementOptions["mask"], "mask", diagnostics);
        var outside = options["outside"] is { } o ? read.Fraction("outside", o, NumberRange.AtLeast(0, 1)) ?? DefaultMaskOutside : DefaultMaskOutside;
        if (preserves)
        {
            diagnostics.Add(DiagnosticDescriptors.MaskInPreserved, statement.Keyword.Span, datasetName);
            return null;
        }
        if (!hasFolder)
        {
            if (source is not WorldSource)
            {
                diagnostics.Add(DiagnosticDescriptors.MaskWithoutFolder, statement.Keyword.Span, datasetName);
                return null;
            }
            return new LossMask(null, outside);
        }
        var value = (StringSyntax)statement.Arguments[0];
        if (ResolvePath("mask", value) is not { } path) return null;
        if (source is not FolderSource folder)
        {
            diagnostics.Add(DiagnosticDescriptors.MaskFolderOnWorld, value.Span, datasetName);
            return null;
        }
        if (!Directory.Exists(path))
        {
            diagnostics.Add(DiagnosticDescriptors.MaskFolderNotFound, value.Span, value.Value);
            return new LossMask(path, outside);
        }
        if (Directory.Exists(folder.Path))
        {
            var (images, withoutMask) = ImageFolder.CountWithoutMask(folder.Path, path);
            if (withoutMask > 0) diagnostics.Add(DiagnosticDescriptors.MissingMasks, value.Span, withoutMask, images, value.Value);
        }
        return new LossMask(path, outside);
    }

    /// <summary>The weight of pixels outside a mask unless <c>outside</c> says otherwise (OneTrainer's default "unmasked weight").</summary>
    public const double DefaultMaskOutside = 0.1;

    private CaptionShuffle? BindCaptionShuffle(StatementSyntax? statement)
    {
        if (statement is null) return null;
        var options = Options.Read(statement, 0, Vocabulary.StatementOptions["caption_shuffle"], "caption_shuffle", diagnostics);
        var keep = options["keep"] is { } keepValue ? read.Whole("keep", keepValue, NumberRange.AtLeast(0, 1000)) ?? 0 : 0;
        return new CaptionShuffle(keep);
    }

    private int BindValidation(StatementSyntax? statement, int images, string datasetName)
    {
        if (statement is null || read.Single(statement, "a number of images or a percentage") is not { } value) return 0;
        int held;
        if (value is NumberSyntax { IsPercent: true })
        {
            if (read.Fraction("validation", value, NumberRange.Fraction) is not { } share) return 0;
            held = (int)Math.Round(images * share, MidpointRounding.AwayFromZero);
            if (share > 0 && held == 0 && images > 0) diagnostics.Add(DiagnosticDescriptors.NoValidationImages, value.Span, ((NumberSyntax)value).Text, images);
        }
        else
        {
            held = read.Whole("validation", value, NumberRange.AtLeast(0, 1_000_000)) ?? 0;
        }
        if (images > 0 && held >= images)
        {
            diagnostics.Add(DiagnosticDescriptors.NoTrainingImages, value.Span, images, datasetName);
            return 0;
        }
        return held;
    }

    private int? WholeSetting(Section section, string keyword, NumberRange range) =>
        section.One(keyword) is { } statement && read.Single(statement, "a whole number") is { } value
            ? read.Whole(keyword, value, range)
            : null;

    private double? NumberSetting(Section section, string keyword, NumberRange range) =>
        section.One(keyword) is { } statement && read.Single(statement, "a number") is { } value
            ? read.Number(keyword, value, range)
            : null;

    private double? FractionSetting(Section section, string keyword, NumberRange range) =>
        section.One(keyword) is { } statement && read.Single(statement, "a number or percentage") is { } value
            ? read.Fraction(keyword, value, range)
            : null;
}
