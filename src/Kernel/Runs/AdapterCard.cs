using LoraNotebooks.Engine.Adapters;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// What a learner wants to know about an adapter file: its report (rank, alpha, targets, parameters,
/// metadata), its trigger word, and its size next to the base model's.
/// </summary>
/// <param name="Report">The file's report.</param>
/// <param name="BaseModelBytes">The base model's size in bytes (its file, or 4 bytes per parameter), or null when unknown.</param>
public sealed record AdapterCard(AdapterReport Report, long? BaseModelBytes)
{
    /// <summary>The trigger phrase from the file's metadata, or null.</summary>
    public string? Trigger =>
        Report.Metadata.TryGetValue("modelspec.trigger_phrase", out var phrase) ? phrase
        : Report.Metadata.TryGetValue("ss_trigger", out var trigger) ? trigger
        : null;

    /// <summary>Reads the card of the adapter at <paramref name="path"/>.</summary>
    public static AdapterCard Read(string path, long? baseModelBytes) => new(AdapterReport.Read(path), baseModelBytes);
}
