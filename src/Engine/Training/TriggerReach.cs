using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Finds triggers the text encoder never reads. A text encoder reads a fixed window (46 bytes on
/// the built-in base, 75 tokens on CLIP) and drops the rest of a caption; a trigger that falls past
/// the end of it cannot teach an adapter when to act, so the adapter learns to act on every
/// prompt. Checked on the captions as loaded, before training starts.
/// </summary>
public static class TriggerReach
{
    /// <summary>One warning for each teaching dataset whose trigger the encoder misses in some of its captions.</summary>
    public static IReadOnlyList<string> Warnings(TrainingData data, IDiffusionBase model)
    {
        var warnings = new List<string>();
        foreach (var dataset in data.Datasets)
        {
            if (dataset.Plan.Trigger is not { } trigger)
                continue;
            var captions = dataset.Train.Concat(dataset.Validation).Select(i => i.Caption).ToList();
            var word = Squashed(trigger);
            var missed = captions.Select(c => (Caption: c, Read: model.TextRead(c))).Where(c => !Squashed(c.Read).Contains(word, StringComparison.Ordinal)).ToList();
            if (missed.Count == 0)
                continue;
            warnings.Add($"dataset '{dataset.Plan.Name}': the text encoder reads only the start of a caption, and the trigger '{trigger}' " +
                $"is past it in {missed.Count} of {captions.Count} captions (it reads \"{missed[0].Read}\" of \"{missed[0].Caption}\"); " +
                "an adapter cannot learn to wait for a trigger it never sees: put the trigger first or shorten the captions");
        }
        return warnings;
    }

    /// <summary>Lower case without white space: CLIP's reading splits punctuation off words ("ada-person" reads "ada - person").</summary>
    private static string Squashed(string text) => new([.. text.ToLowerInvariant().Where(c => !char.IsWhiteSpace(c))]);
}
