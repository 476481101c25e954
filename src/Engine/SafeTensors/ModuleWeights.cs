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
        foreach (var (key, value) in state)
            if (!file.Tensors[key].Shape.SequenceEqual(value.shape))
                throw new InvalidDataException(
                    $"tensor '{key}' has shape [{string.Join(",", file.Tensors[key].Shape)}] but the model needs [{string.Join(",", value.shape)}]");
        using var _ = no_grad();
        foreach (var (key, value) in state)
        {
            using var source = file.ReadTensor(key);
            value.copy_(source.to(value.dtype));
        }
    }
}
