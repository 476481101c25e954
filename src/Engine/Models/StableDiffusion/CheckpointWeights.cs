using LoraNotebooks.Engine.SafeTensors;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Models.StableDiffusion;

/// <summary>
/// Copies one model part's weights out of a safetensors file whose keys may be named differently
/// (an original-layout checkpoint) after checking every key and shape, so a wrong file fails before
/// anything is copied, with the missing and unexpected keys named.
/// </summary>
internal static class CheckpointWeights
{
    private const int NamedInMessage = 5;

    /// <summary>
    /// Loads <paramref name="module"/>'s state from <paramref name="file"/>: the state key k is read from
    /// <paramref name="fileKeyOf"/>(k). Every file key starting with <paramref name="filePrefix"/> must be
    /// used, unless <paramref name="ignore"/> says it carries no weights (e.g. CLIP's <c>position_ids</c>).
    /// A file tensor of shape [o, i, 1, 1] fills a Linear weight [o, i] (1×1 convolutions of the original layout).
    /// Tensors are cast to the module's dtype.
    /// </summary>
    /// <exception cref="InvalidDataException">Keys are missing or unexpected, or a shape differs; the message names them.</exception>
    public static void Load(nn.Module module, string partName, SafeTensorsFile file, string source,
        Func<string, string> fileKeyOf, string filePrefix, Func<string, bool>? ignore = null)
    {
        var state = module.state_dict();
        var sources = state.Keys.ToDictionary(k => k, fileKeyOf, StringComparer.Ordinal);
        var missing = sources.Where(kv => !file.Tensors.ContainsKey(kv.Value)).Select(kv => kv.Value).ToList();
        var used = sources.Values.ToHashSet(StringComparer.Ordinal);
        var unexpected = file.Tensors.Keys
            .Where(k => k.StartsWith(filePrefix, StringComparison.Ordinal) && !used.Contains(k) && ignore?.Invoke(k) != true)
            .Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"the {partName} weights in {source} do not fit this architecture: " +
                $"{Describe(missing, "missing")}{(missing.Count > 0 && unexpected.Count > 0 ? "; " : "")}{Describe(unexpected, "unexpected")}");

        foreach (var (key, value) in state)
        {
            var shape = file.Tensors[sources[key]].Shape;
            if (!shape.SequenceEqual(value.shape) && !IsConvOfLinear(shape, value.shape))
                throw new InvalidDataException(
                    $"{partName} tensor '{sources[key]}' in {source} has shape [{string.Join(", ", shape)}] but '{key}' needs [{string.Join(", ", value.shape)}]");
        }

        using var _ = no_grad();
        foreach (var (key, value) in state)
        {
            using var scope = NewDisposeScope();
            value.copy_(file.ReadTensor(sources[key]).reshape(value.shape).to(value.dtype));
        }
    }

    private static bool IsConvOfLinear(long[] fileShape, long[] modelShape) =>
        modelShape.Length == 2 && fileShape.Length == 4 && fileShape[0] == modelShape[0] && fileShape[1] == modelShape[1] && fileShape[2] == 1 && fileShape[3] == 1;

    private static string Describe(List<string> keys, string what) => keys.Count == 0
        ? ""
        : $"{keys.Count} {what} key{(keys.Count == 1 ? "" : "s")} ({string.Join(", ", keys.Take(NamedInMessage).Select(k => $"'{k}'"))}{(keys.Count > NamedInMessage ? ", …" : "")})";
}
