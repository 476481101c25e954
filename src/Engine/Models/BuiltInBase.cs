using LoraNotebooks.Engine.SafeTensors;
using TorchSharp;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// The built-in base model: <c>assets/base.safetensors</c> (weights plus its config in the
/// <c>lora.config</c> metadata entry), found beside the application or in the repository.
/// </summary>
public static class BuiltInBase
{
    /// <summary>The metadata key holding the model's config JSON.</summary>
    public const string ConfigKey = "lora.config";

    /// <summary>The file name of the shipped weights.</summary>
    public const string FileName = "base.safetensors";

    /// <summary>
    /// Where the shipped weights are, or null when this build has none yet: <c>assets/base.safetensors</c>
    /// beside the engine assembly (where the build and the kernel's package put it) or a folder above it,
    /// else above the application's folder, else in the current folder or one above it (a notebook's
    /// folder inside a checkout, for hosts that live elsewhere such as the dotnet-interactive tool).
    /// </summary>
    public static string? Locate() =>
        Locate(Path.GetDirectoryName(typeof(BuiltInBase).Assembly.Location) ?? "", AppContext.BaseDirectory, Environment.CurrentDirectory);

    /// <summary>The first <c>assets/base.safetensors</c> found in each of <paramref name="starts"/> or the folders above it, in order.</summary>
    public static string? Locate(params string[] starts)
    {
        foreach (var start in starts.Where(s => s.Length > 0))
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "assets", FileName);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// Loads the shipped base model, or, when there are no shipped weights, a freshly initialised
    /// model of the default config from <paramref name="seed"/> (<paramref name="pretrained"/> says which).
    /// </summary>
    public static TinyDiffusionModel Load(out bool pretrained, long seed = 0)
    {
        var path = Locate();
        pretrained = path is not null;
        if (path is null)
        {
            torch.manual_seed(seed);
            return new TinyDiffusionModel();
        }
        return Load(path);
    }

    /// <summary>Loads a base model saved by <see cref="Save"/>.</summary>
    public static TinyDiffusionModel Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(ConfigKey, out var json))
            throw new InvalidDataException($"{path} has no '{ConfigKey}' metadata: it is not a LoraNotebooks base model");
        var model = new TinyDiffusionModel(TinyDiffusionConfig.FromJson(json));
        ModuleWeights.Load(model, file);
        model.eval();
        return model;
    }

    /// <summary>Saves <paramref name="model"/> with its config so <see cref="Load(string)"/> can rebuild it.</summary>
    public static void Save(TinyDiffusionModel model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [ConfigKey] = model.Config.ToJson() };
        ModuleWeights.Save(model, path, meta);
    }
}
