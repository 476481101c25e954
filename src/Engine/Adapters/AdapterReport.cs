using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Adapters;

/// <summary>One adapter (one adapted layer) as a file stores it.</summary>
public sealed record AdapterEntryReport(string Name, int Rank, double Alpha, bool AlphaFromFile, string Kind, string DType, long Parameters, bool Dora = false,
    DoraAxis DoraAxis = DoraAxis.Input);

/// <summary>What <c>lora inspect</c> reports about a file, read without attaching it to any model.</summary>
public sealed record AdapterReport(
    string Path,
    AdapterLayout Format,
    long FileBytes,
    int TensorCount,
    long ParameterCount,
    IReadOnlyList<string> DTypes,
    IReadOnlyList<AdapterEntryReport> Adapters,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Distinct ranks, smallest first.</summary>
    public IReadOnlyList<int> Ranks => Adapters.Select(a => a.Rank).Distinct().Order().ToList();

    /// <summary>Distinct alphas, smallest first.</summary>
    public IReadOnlyList<double> Alphas => Adapters.Select(a => a.Alpha).Distinct().Order().ToList();

    /// <summary>Adapters per kohya prefix (<c>lora_unet</c>, <c>lora_te</c>, …).</summary>
    public IReadOnlyDictionary<string, int> TargetGroups => Adapters
        .GroupBy(a => string.Join("_", a.Name.Split('_').Take(2)))
        .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Reads the header of the file (or peft folder) at <paramref name="path"/>; no weights are loaded except alpha scalars.</summary>
    /// <exception cref="SafeTensorsFormatException">Not well-formed safetensors.</exception>
    /// <exception cref="AdapterFormatException">LoRA tensors that do not pair up or a bad peft config.</exception>
    public static AdapterReport Read(string path)
    {
        var weights = AdapterFile.ResolveWeights(path);
        using var file = SafeTensorsFile.Open(weights);
        var layout = AdapterFile.Detect(file);
        var entries = layout switch
        {
            AdapterLayout.Kohya => AdapterFile.KohyaEntries(file),
            AdapterLayout.Peft => AdapterFile.PeftEntries(file, AdapterFile.ReadPeftConfig(PeftNames.ConfigPath(weights)), parts: null),
            _ => [],
        };
        var adapters = entries.Select(e =>
        {
            var down = file.Tensors[e.DownKey];
            var up = file.Tensors[e.UpKey];
            var rank = (int)down.Shape[0];
            var magnitudes = e.DoraKey is null ? null : file.Tensors[e.DoraKey];
            // Magnitudes per input feature are [1, in, ...], per output feature [out, 1, ...]; a layer with one input and one
            // output has both alike, and reads as per input.
            var axis = magnitudes is null || (magnitudes.Shape[0] == 1 && magnitudes.Shape[1] == down.Shape[1]) ? DoraAxis.Input : DoraAxis.Output;
            return new AdapterEntryReport(e.Name, rank, e.Alpha ?? rank, e.Alpha is not null, down.Shape.Length == 4 ? "conv2d" : "linear",
                down.DType.HeaderName(), down.ElementCount + up.ElementCount + (magnitudes?.ElementCount ?? 0), e.DoraKey is not null, axis);
        }).ToList();
        return new AdapterReport(
            weights,
            layout,
            new FileInfo(weights).Length,
            file.Tensors.Count,
            file.Tensors.Values.Sum(t => t.ElementCount),
            file.Tensors.Values.Select(t => t.DType.HeaderName()).Distinct().Order(StringComparer.Ordinal).ToList(),
            adapters,
            file.Metadata);
    }
}
