using System.Globalization;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;

namespace LoraNotebooks.Engine.Training;

/// <summary>
/// Draws a grid of prompts (rows) × strengths (columns): each column multiplies the strength of every
/// given adapter, so 0 shows the base model. Every image is also saved as its own PNG in a folder
/// beside the grid (<c>GRID/r0-s1.png</c>). Each image depends only on its prompt, seed and strength.
/// </summary>
public static class PreviewGrid
{
    /// <summary>Draws the grid, writes the PNGs atomically and returns the event describing it.</summary>
    /// <param name="model">The base model, with the adapters attached.</param>
    /// <param name="adapters">Adapters and their strength at column value 1.</param>
    /// <param name="prompts">Rows, each with its seed, steps, guidance and negative prompt.</param>
    /// <param name="strengths">Columns.</param>
    /// <param name="sampler">The sampler.</param>
    /// <param name="gridPath">The grid PNG to write.</param>
    /// <param name="step">The training step shown, or null after training.</param>
    /// <param name="cancellationToken">Stops the drawing within one denoising step: the grid image is not written then (the single PNGs of columns already drawn stay).</param>
    public static SampleGridEvent Draw(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters,
        IReadOnlyList<SamplePrompt> prompts, IReadOnlyList<double> strengths, Sampler sampler, string gridPath, int? step,
        CancellationToken cancellationToken = default)
    {
        var inv = CultureInfo.InvariantCulture;
        var folder = Path.ChangeExtension(gridPath, null);
        var tiles = new byte[prompts.Count * strengths.Count][];
        try
        {
            for (var column = 0; column < strengths.Count; column++)
            {
                var strength = strengths[column];
                foreach (var (network, baseStrength) in adapters)
                    network.Strength = baseStrength * strength;
                // Rows that sample alike go through the model as one batch: each image depends only on its own seed.
                foreach (var group in Enumerable.Range(0, prompts.Count).GroupBy(r => (prompts[r].Steps, Guidance: prompts[r].Guidance ?? model.DefaultGuidance, prompts[r].Negative)))
                {
                    var rows = group.ToList();
                    using var images = model.Sample([.. rows.Select(r => prompts[r].Text)], [.. rows.Select(r => (long)prompts[r].Seed)],
                        group.Key.Steps, group.Key.Guidance, group.Key.Negative, Kind(sampler), cancellationToken);
                    var rgb = ImageTensors.ToRgb(images);
                    for (var i = 0; i < rows.Count; i++)
                    {
                        RgbImage.WritePng(Path.Combine(folder, string.Create(inv, $"r{rows[i]}-s{strength}.png")), rgb[i], model.Resolution);
                        tiles[rows[i] * strengths.Count + column] = rgb[i];
                    }
                }
            }
        }
        finally
        {
            foreach (var (network, baseStrength) in adapters)
                network.Strength = baseStrength;
        }
        RgbImage.WriteGrid(gridPath, tiles, model.Resolution, strengths.Count);
        return new SampleGridEvent(Path.GetFullPath(gridPath), File.ReadAllBytes(gridPath), [.. prompts.Select(p => p.Text)], [.. strengths], step, [.. prompts.Select(p => (long)p.Seed)]);
    }

    /// <summary>The engine's sampler for the script's.</summary>
    public static SamplerKind Kind(Sampler sampler) => sampler == Sampler.EulerAncestral ? SamplerKind.EulerAncestral : SamplerKind.Ddim;
}
