using static TorchSharp.torch;

namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>A whole module's state dict as a safetensors file, with string metadata (e.g. its config).</summary>
public static class ModuleWeights
{
    /// <summary>Writes every parameter and buffer of <paramref name="module"/> atomically.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null, ScalarType? storeAs = null) =>
        SafeTensorsWriter.Write(path, module.state_dict().Select(kv => SafeTensorsTorch.ToTensorData(kv.Key, kv.Value, storeAs)).ToList(), metadata);

    /// <summary>
    /// Copies the file's tensors into <paramref name="module"/>'s state, converting dtypes. Every key
    /// and shape is checked before anything is copied; a mismatch throws <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static void Load(nn.Module module, SafeTensorsFile file)
    {
        var state = module.state_dict();
        var missing = state.Keys.Where(k => !file.Tensors.ContainsKey(k)).ToList();
        var unexpected = file.Tensors.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException(
                $"the weights do not fit this model: {missing.Count} missing (e.g. '{missing.FirstOrDefault()}'), {unexpected.Count} unexpected (e.g. '{unexpected.FirstOrDefault()}')");
        CheckShapes(state, file, "the model");
        using var _ = no_grad();
        foreach (var (key, value) in state)
            CopyInto(value, file, key);
    }

    /// <summary>
    /// Grows a model from a smaller one: copies every tensor of the file that <paramref name="module"/>
    /// has under the same name, and zeroes the output projection (<c>proj_out</c>) of every transformer
    /// the file lacks and the last norm of a new text-time embedding (<c>add_embedding.norm2</c>), so
    /// each added part adds nothing to what it feeds and the grown model predicts exactly what the
    /// file's model did until it trains. Returns the names of the module's tensors the file did not have.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has a tensor the module lacks, or one of another
    /// shape, or a new tensor is part of neither a transformer nor the text-time embedding (there would
    /// be no identity to start from).</exception>
    public static IReadOnlyList<string> Graft(nn.Module module, SafeTensorsFile file)
    {
        var state = module.state_dict();
        var unexpected = file.Tensors.Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"the weights cannot grow into this model: it has no '{unexpected[0]}' ({unexpected.Count} such tensors)");
        CheckShapes(state, file, "the grown model");
        var added = state.Keys.Where(k => !file.Tensors.ContainsKey(k)).ToList();
        if (added.FirstOrDefault(k => !k.Contains(".attentions.", StringComparison.Ordinal) && !IsTextTimeEmbedding(k)) is { } stray)
            throw new InvalidDataException($"'{stray}' is new but part of neither an added transformer nor a text-time embedding; only those can be grafted");
        using var _ = no_grad();
        foreach (var (key, value) in state)
        {
            if (file.Tensors.ContainsKey(key))
                CopyInto(value, file, key);
            else if (key.Contains(".proj_out.", StringComparison.Ordinal) || (IsTextTimeEmbedding(key) && key.Contains(".norm2.", StringComparison.Ordinal)))
            {
                value.zero_();
            }
        }
        return added;
    }

    private static bool IsTextTimeEmbedding(string key) => key.Contains("add_embedding.", StringComparison.Ordinal);

    /// <summary>Throws naming the first tensor the file and <paramref name="model"/> both have in different shapes.</summary>
    private static void CheckShapes(IReadOnlyDictionary<string, Tensor> state, SafeTensorsFile file, string model)
    {
        foreach (var (key, value) in state.Where(kv => file.Tensors.ContainsKey(kv.Key)))
            if (!file.Tensors[key].Shape.SequenceEqual(value.shape))
                throw new InvalidDataException(
                    $"tensor '{key}' has shape [{string.Join(",", file.Tensors[key].Shape)}] but {model} needs [{string.Join(",", value.shape)}]");
    }

    private static void CopyInto(Tensor target, SafeTensorsFile file, string key)
    {
        using var source = file.ReadTensor(key);
        target.copy_(source.to(target.dtype));
    }
}
