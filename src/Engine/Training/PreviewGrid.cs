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
    public static SampleGridEvent Draw(IDiffusionBase model, IReadOnlyList<(LoraNetwork Network, double Strength)> adapters,
        IReadOnlyList<SamplePrompt> prompts, IReadOnlyList<double> strengths, Sampler sampler, string gridPath, int? step)
    {
        var inv = CultureInfo.InvariantCulture;
        var folder = Path.ChangeExtension(gridPath, null);
        var tiles = new List<byte[]>();
        try
        {
            for (var row = 0; row < prompts.Count; row++)
            {
                var prompt = prompts[row];
                foreach (var strength in strengths)
                {
                    foreach (var (network, baseStrength) in adapters)
                        network.Strength = baseStrength * strength;
                    using var image = model.Sample([prompt.Text], [prompt.Seed], prompt.Steps, prompt.Guidance, prompt.Negative, Kind(sampler));
                    var rgb = ImageTensors.ToRgb(image)[0];
                    RgbImage.WritePng(Path.Combine(folder, string.Create(inv, $"r{row}-s{strength}.png")), rgb, model.Resolution);
                    tiles.Add(rgb);
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
