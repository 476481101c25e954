using System.Globalization;
using System.Text;

namespace LoraNotebooks.Dsl.Preflight;

/// <summary>Writes a <see cref="PreflightSummary"/> as plain text for the command line and notebooks.</summary>
public static class PreflightRenderer
{
    /// <summary>The summary as lines of text, estimates marked as such.</summary>
    public static string Render(PreflightSummary summary)
    {
        var text = new StringBuilder();
        text.AppendLine("pre-flight");
        foreach (var d in summary.Datasets)
        {
            var held = d.ValidationImages > 0 ? $" ({N(d.ValidationImages)} held out for validation)" : "";
            var unnamed = d.Unnamed is { } member ? $", captioned without '{member}'" : "";
            var noisy = d.Preserve is { NoisyShare: > 0 and var share } ? $", {(share * 100).ToString("0.#", CultureInfo.InvariantCulture)}% of its timesteps in the noisiest tenth" : "";
            var preserves = d.Preserve is { } p ? $"; preserves the base's output (weight {p.Weight.ToString("0.###", CultureInfo.InvariantCulture)}{noisy}{unnamed}{(p.DrawnByBase ? ", on pictures the base draws from its captions before training" : "")})" : "";
            var masked = d.Mask is { } m
                ? $"; learns from {(m.Folder is null ? "where the world painted it" : "its masks")}, the rest at {(m.Outside * 100).ToString("0.#", CultureInfo.InvariantCulture)}%"
                : "";
            text.AppendLine($"  dataset {d.Name}: {N(d.Images)} images{held} x {N(d.Repeats)} repeats = {N(d.ImagesPerEpoch)} per epoch{preserves}{masked}");
        }
        var perStep = summary.Batch * summary.GradAccumulation;
        text.AppendLine($"  batch {N(summary.Batch)} x grad accumulation {N(summary.GradAccumulation)} = {N(perStep)} images per step");
        text.AppendLine($"  steps per epoch: ceil({N(summary.ImagesPerEpoch)} / {N(perStep)}) = {N(summary.StepsPerEpoch)}");
        text.AppendLine($"  total steps: {N(summary.TotalSteps)} ({summary.Epochs.ToString("0.##", CultureInfo.InvariantCulture)} epochs)");
        if (summary.Estimate is { } e)
        {
            text.AppendLine($"  trainable parameters: ~{N(e.TrainableParameters)} (estimate)");
            text.AppendLine($"  adapter file: ~{ByteSize.Format(e.AdapterFileBytes)} (estimate)");
            text.AppendLine($"  peak memory: ~{ByteSize.Format(e.PeakMemoryBytes)} (estimate)");
            text.AppendLine($"  time: ~{Duration(e.Duration)} (estimate)");
            if (e.Gpu is { } gpu)
                text.AppendLine($"  GPU memory at {N(gpu.Resolution)} px, batch {N(gpu.Batch)}: ~{ByteSize.Format(gpu.Bytes)}, " +
                    $"~{ByteSize.Format(gpu.CheckpointedBytes)} with gradient checkpointing (estimate from sizes, see docs/gpu.md)");
            text.AppendLine($"  estimates: {e.Basis}");
        }
        else
        {
            var why = summary.EstimateProblem is { } problem ? $" ({problem})" : "";
            text.AppendLine($"  parameters, file size, memory and time: not estimated{why}");
        }
        return text.ToString();
    }

    private static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);


    private static string Duration(TimeSpan duration) =>
        duration.TotalHours >= 1 ? $"{(int)duration.TotalHours} h {duration.Minutes} min"
        : duration.TotalMinutes >= 1 ? $"{(int)duration.TotalMinutes} min {duration.Seconds} s"
        : $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))} s";
}
