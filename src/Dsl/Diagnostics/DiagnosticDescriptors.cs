namespace LoraNotebooks.Dsl.Diagnostics;

using static DiagnosticSeverity;

/// <summary>
/// Every diagnostic the language reports, with its stable id and its message text (all texts live here).
/// Ids never change meaning: LORA00xx syntax, LORA01xx binding errors, LORA02xx warnings, LORA03xx information.
/// </summary>
public static class DiagnosticDescriptors
{
    // Syntax
    /// <summary>A word that is not a number, string, name or list.</summary>
    public static readonly DiagnosticDescriptor UnexpectedText = new("LORA0001", Error, "'{0}' is not a number, string, name or list");
    /// <summary>A string without its closing quote.</summary>
    public static readonly DiagnosticDescriptor UnterminatedString = new("LORA0002", Error, "the string is not closed; add '\"' before the end of the line");
    /// <summary>A list without its closing bracket.</summary>
    public static readonly DiagnosticDescriptor UnclosedList = new("LORA0003", Error, "'[' is not closed; expected ']' before the end of the line");
    /// <summary>A block without its closing brace.</summary>
    public static readonly DiagnosticDescriptor UnclosedBlock = new("LORA0004", Error, "'{{' is not closed; expected '}}'");
    /// <summary>A line that does not start with a keyword.</summary>
    public static readonly DiagnosticDescriptor ExpectedKeyword = new("LORA0005", Error, "expected a keyword at the start of the statement, found '{0}'");
    /// <summary>Two statements on one line without a separator.</summary>
    public static readonly DiagnosticDescriptor MissingSeparator = new("LORA0006", Error, "expected a new line or ';' before '{0}'");
    /// <summary>A closing brace without an opening one.</summary>
    public static readonly DiagnosticDescriptor UnmatchedCloseBrace = new("LORA0007", Error, "'}}' has no matching '{{'");
    /// <summary>The parser gave up (a bug: please report the script).</summary>
    public static readonly DiagnosticDescriptor ParserFailure = new("LORA0008", Error, "could not read the script: {0}");

    // Binding errors
    /// <summary>A keyword that is not valid anywhere.</summary>
    public static readonly DiagnosticDescriptor UnknownKeyword = new("LORA0101", Error, "'{0}' is not a setting of {1}{2}");
    /// <summary>A keyword valid in another block.</summary>
    public static readonly DiagnosticDescriptor KeywordInWrongBlock = new("LORA0102", Error, "'{0}' belongs in {1}, not in {2}");
    /// <summary>A named value that is not one of the choices.</summary>
    public static readonly DiagnosticDescriptor UnknownValue = new("LORA0103", Error, "unknown {0} '{1}'{2}");
    /// <summary>A keyword or option without its value.</summary>
    public static readonly DiagnosticDescriptor MissingValue = new("LORA0104", Error, "'{0}' needs {1}");
    /// <summary>A value of the wrong kind.</summary>
    public static readonly DiagnosticDescriptor WrongValueKind = new("LORA0105", Error, "'{0}' expects {1}, found {2}");
    /// <summary>More values than a keyword takes.</summary>
    public static readonly DiagnosticDescriptor UnexpectedValue = new("LORA0106", Error, "unexpected {0} after '{1}'");
    /// <summary>An option that the statement or choice does not have.</summary>
    public static readonly DiagnosticDescriptor UnknownOption = new("LORA0107", Error, "'{0}' is not an option of {1}{2}");
    /// <summary>A section written without its block.</summary>
    public static readonly DiagnosticDescriptor BlockRequired = new("LORA0108", Error, "'{0}' needs a block: {0} {{ ... }}");
    /// <summary>A block after a statement that takes none.</summary>
    public static readonly DiagnosticDescriptor BlockNotAllowed = new("LORA0109", Error, "'{0}' does not take a block");
    /// <summary>A setting or section given twice.</summary>
    public static readonly DiagnosticDescriptor Duplicate = new("LORA0110", Error, "'{0}' is already given at {1}");
    /// <summary>Two datasets with one name.</summary>
    public static readonly DiagnosticDescriptor DuplicateDataset = new("LORA0111", Error, "a dataset named '{0}' is already defined at {1}");
    /// <summary>A number outside its valid range.</summary>
    public static readonly DiagnosticDescriptor OutOfRange = new("LORA0112", Error, "'{0}' must be {1}; found {2}");
    /// <summary>Both steps and epochs given.</summary>
    public static readonly DiagnosticDescriptor StepsAndEpochs = new("LORA0113", Error, "give either steps or epochs, not both");
    /// <summary>Warm-up longer than the whole run.</summary>
    public static readonly DiagnosticDescriptor WarmupTooLong = new("LORA0114", Error, "a warm-up of {0} steps is longer than the {1} training steps");
    /// <summary>A dataset folder that does not exist.</summary>
    public static readonly DiagnosticDescriptor FolderNotFound = new("LORA0115", Error, "dataset folder '{0}' does not exist");
    /// <summary>A base checkpoint file that does not exist.</summary>
    public static readonly DiagnosticDescriptor CheckpointNotFound = new("LORA0116", Error, "base checkpoint '{0}' does not exist");
    /// <summary>A resume checkpoint that does not exist.</summary>
    public static readonly DiagnosticDescriptor ResumeNotFound = new("LORA0117", Error, "resume checkpoint '{0}' does not exist");
    /// <summary>An adapter file that does not exist and is not written earlier.</summary>
    public static readonly DiagnosticDescriptor AdapterNotFound = new("LORA0118", Error, "adapter file '{0}' does not exist and nothing earlier in the script writes it");
    /// <summary>A world family the catalog does not know.</summary>
    public static readonly DiagnosticDescriptor UnknownWorldFamily = new("LORA0119", Error, "unknown world family '{0}'{1}");
    /// <summary>A world member the family does not have.</summary>
    public static readonly DiagnosticDescriptor UnknownWorldMember = new("LORA0120", Error, "'{0}' is not a member of the {1} family{2}");
    /// <summary>A dataset with neither folder nor world.</summary>
    public static readonly DiagnosticDescriptor DatasetWithoutSource = new("LORA0121", Error, "dataset '{0}' needs a source: folder \"path\" or world FAMILY \"member\"");
    /// <summary>A dataset with both folder and world.</summary>
    public static readonly DiagnosticDescriptor DatasetWithTwoSources = new("LORA0122", Error, "dataset '{0}' has both a folder and a world source; keep one");
    /// <summary>A dataset folder without images.</summary>
    public static readonly DiagnosticDescriptor NoImages = new("LORA0123", Error, "dataset folder '{0}' has no .png, .jpg, .jpeg or .webp images");
    /// <summary>Training settings without a dataset.</summary>
    public static readonly DiagnosticDescriptor TrainingWithoutDataset = new("LORA0124", Error, "'{0}' needs at least one dataset to train on");
    /// <summary><c>trained</c> used in a script that trains nothing.</summary>
    public static readonly DiagnosticDescriptor NothingTrained = new("LORA0125", Error, "'trained' means the adapter this script trains, but the script has no dataset");
    /// <summary>grid or evaluate with no adapter to use.</summary>
    public static readonly DiagnosticDescriptor NoAdapterLoaded = new("LORA0126", Error, "'{0}' needs an adapter: load one with load \"file.safetensors\", or train one in this script");
    /// <summary>combine with a different number of adapters and weights.</summary>
    public static readonly DiagnosticDescriptor CountMismatch = new("LORA0127", Error, "'combine' has {0} adapters but {1} weights");
    /// <summary>A validation split that leaves nothing to train on.</summary>
    public static readonly DiagnosticDescriptor NoTrainingImages = new("LORA0128", Error, "validation holds out all {0} images of dataset '{1}'");
    /// <summary>An empty list where values are needed.</summary>
    public static readonly DiagnosticDescriptor EmptyList = new("LORA0129", Error, "'{0}' needs at least one value");
    /// <summary>A run longer than the engine accepts.</summary>
    public static readonly DiagnosticDescriptor TooManySteps = new("LORA0130", Error, "training would run {0} steps; the limit is {1}");
    /// <summary>A trigger in a dataset that preserves.</summary>
    public static readonly DiagnosticDescriptor TriggerInPreserved = new("LORA0131", Error, "dataset '{0}' preserves the base's output, so it cannot teach a trigger; move the trigger to the dataset that teaches");
    /// <summary>Every dataset preserves: nothing to learn.</summary>
    public static readonly DiagnosticDescriptor NothingToLearn = new("LORA0132", Error, "every dataset preserves the base's output, so there is nothing to learn; one dataset must teach (no preserve)");
    /// <summary>A mask on a dataset that preserves.</summary>
    public static readonly DiagnosticDescriptor MaskInPreserved = new("LORA0133", Error, "dataset '{0}' preserves the base's output on whole pictures, so it takes no mask; a mask belongs to a dataset that teaches");
    /// <summary>A bare mask where no generator knows the subject.</summary>
    public static readonly DiagnosticDescriptor MaskWithoutFolder = new("LORA0134", Error, "dataset '{0}' needs a folder of masks (mask \"masks\"); only world pictures come with their own");
    /// <summary>A mask folder on a world dataset.</summary>
    public static readonly DiagnosticDescriptor MaskFolderOnWorld = new("LORA0135", Error, "dataset '{0}' draws from the world, which masks its own pictures; write mask without a folder");
    /// <summary>A mask folder that does not exist.</summary>
    public static readonly DiagnosticDescriptor MaskFolderNotFound = new("LORA0136", Error, "mask folder '{0}' does not exist");
    /// <summary>A teaching timestep range with nothing in it.</summary>
    public static readonly DiagnosticDescriptor EmptyTimestepRange = new("LORA0137", Error, "min_timestep {0} is not below max_timestep {1}, so no timestep is left to train on");

    // Warnings
    /// <summary>alpha much larger than rank.</summary>
    public static readonly DiagnosticDescriptor AlphaFarAboveRank = new("LORA0201", Warning, "alpha {0} is {1}x rank {2}: updates are scaled up {1} times and may overshoot (alpha = rank is a safe start)");
    /// <summary>So many steps per image that a small dataset will overfit.</summary>
    public static readonly DiagnosticDescriptor Overfitting = new("LORA0202", Warning, "each training image is seen about {0} times ({1} steps x {2} images per step / {3} images); the adapter will likely overfit");
    /// <summary>The trigger word is in no sample prompt.</summary>
    public static readonly DiagnosticDescriptor TriggerNotInSamples = new("LORA0203", Warning, "trigger '{0}' is in no sample prompt, so the previews will not show what the adapter learns");
    /// <summary>Samples less often than the run is long.</summary>
    public static readonly DiagnosticDescriptor SampleEveryBeyondEnd = new("LORA0204", Warning, "sampling every {0} steps never happens during the {1} training steps");
    /// <summary>Checkpoints less often than the run is long.</summary>
    public static readonly DiagnosticDescriptor CheckpointEveryBeyondEnd = new("LORA0205", Warning, "a checkpoint every {0} steps never happens during the {1} training steps");
    /// <summary>A text-encoder learning rate with no text-encoder target.</summary>
    public static readonly DiagnosticDescriptor TextEncoderLrUnused = new("LORA0206", Warning, "text_encoder_lr has no effect: the targets do not include text_encoder");
    /// <summary>Images without caption files.</summary>
    public static readonly DiagnosticDescriptor MissingCaptions = new("LORA0207", Warning, "{0} of {1} images in '{2}' have no {3} caption; they train with the trigger word only");
    /// <summary>A validation split that holds out nothing.</summary>
    public static readonly DiagnosticDescriptor NoValidationImages = new("LORA0208", Warning, "validation {0} of {1} images holds out no image");
    /// <summary>Prodigy with a small lr.</summary>
    public static readonly DiagnosticDescriptor ProdigyLearningRate = new("LORA0209", Warning, "prodigy finds its own step size; lr is a multiplier and is usually 1 (found {0})");
    /// <summary>A learning rate unusually high for the optimizer.</summary>
    public static readonly DiagnosticDescriptor HighLearningRate = new("LORA0210", Warning, "lr {0} is high for {1}; 1e-4 is a common start");
    /// <summary>A sample block without prompts.</summary>
    public static readonly DiagnosticDescriptor SampleWithoutPrompts = new("LORA0211", Warning, "the sample block has no prompt, so no previews are drawn");
    /// <summary>Images without a mask picture.</summary>
    public static readonly DiagnosticDescriptor MissingMasks = new("LORA0212", Warning, "{0} of {1} images have no mask of the same name in '{2}'; they are skipped");

    // Information
    /// <summary>Training without previews.</summary>
    public static readonly DiagnosticDescriptor NoPreviews = new("LORA0301", Info, "no sample block: training runs without previews (add sample {{ every 100 steps; prompt \"...\" }})");

    // Message tails
    /// <summary>Appended to an unknown word when a known one is close.</summary>
    public const string DidYouMeanHint = "; did you mean '{0}'?";
    /// <summary>Appended to an unknown word when the valid words are few.</summary>
    public const string ExpectedOneOfHint = "; expected one of {0}";

    /// <summary>All descriptors, in id order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
        [.. typeof(DiagnosticDescriptors).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal)];
}
