using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Adapters;

/// <summary>
/// Saves a <see cref="LoraNetwork"/> as a safetensors file in the kohya or peft layout, and loads
/// either layout back onto a model. Files are written atomically; loading checks every tensor
/// against the model before anything is attached.
/// </summary>
public static class AdapterFile
{
    /// <summary>
    /// Writes <paramref name="network"/> to <paramref name="path"/>. The kohya layout carries alpha
    /// tensors and <c>ss_*</c> metadata; the peft layout writes <c>adapter_config.json</c> beside the
    /// weights. <paramref name="storeAs"/> converts the weights (e.g. to float16) on the way out.
    /// </summary>
    public static void Save(LoraNetwork network, string path, AdapterLayout layout = AdapterLayout.Kohya,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? storeAs = null)
    {
        using var scope = NewDisposeScope();
        var tensors = Tensors(network, layout, values: true).Select(t => SafeTensorsTorch.ToTensorData(t.Name, t.Value, storeAs)).ToList();

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        SafeTensorsWriter.Write(path, tensors, Metadata(network, metadata));
        if (layout == AdapterLayout.Peft)
            AtomicFile.WriteAllText(PeftNames.ConfigPath(path), PeftConfigJson(network).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// The size in bytes of the weights file <see cref="Save"/> writes for <paramref name="network"/> with
    /// these arguments, from the tensors' shapes alone (the network may live on the meta device).
    /// </summary>
    public static long FileSize(LoraNetwork network, AdapterLayout layout = AdapterLayout.Kohya,
        IReadOnlyDictionary<string, string>? metadata = null, ScalarType? storeAs = null)
    {
        using var scope = NewDisposeScope();
        return SafeTensorsWriter.FileSize(
            Tensors(network, layout, values: false).Select(t => (t.Name, SafeTensorsTorch.ToDType(storeAs ?? t.Value.dtype), t.Value.shape)),
            Metadata(network, metadata));
    }

    /// <summary>The standard metadata with <paramref name="extra"/> entries over it.</summary>
    private static SortedDictionary<string, string> Metadata(LoraNetwork network, IReadOnlyDictionary<string, string>? extra)
    {
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in StandardMetadata(network))
            meta[key] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            meta[key] = value;
        return meta;
    }

    /// <summary>
    /// The tensors a layout stores, by key (alpha scalars are made in the caller's dispose scope). Without
    /// <paramref name="values"/> only shapes and dtypes are right, so a network on the meta device will do.
    /// </summary>
    private static List<(string Name, Tensor Value)> Tensors(LoraNetwork network, AdapterLayout layout, bool values)
    {
        var tensors = new List<(string, Tensor)>();
        foreach (var target in network.Targets)
        {
            var layer = network.Layers[target.Name];
            var down = layer.Down.parameters().Single();
            var up = layer.Up.parameters().Single();
            if (layout == AdapterLayout.Kohya)
            {
                tensors.Add((KohyaNames.Down(target.Name), down));
                tensors.Add((KohyaNames.Up(target.Name), up));
                // kohya files have no rsLoRA flag: store the alpha that gives the same scale as alpha / rank.
                tensors.Add((KohyaNames.Alpha(target.Name), values ? tensor((float)(layer.Scale * layer.Rank), device: CPU) : empty([], float32, CPU)));
                if (layer.Magnitude is { } magnitude)
                    tensors.Add((KohyaNames.DoraScale(target.Name), magnitude));
            }
            else if (layout == AdapterLayout.Peft)
            {
                if (layer.IsDora)
                    throw new ArgumentException("a DoRA adapter is saved in the kohya layout only (peft's DoRA files are not written here)");
                var key = PeftKey(network, target);
                tensors.Add((key + PeftNames.DownSuffix, down));
                tensors.Add((key + PeftNames.UpSuffix, up));
            }
            else
                throw new ArgumentException($"adapters cannot be saved in the {layout} layout");
        }
        return tensors;
    }

    /// <summary>Largest adapter_config.json read (bytes); real ones are a few kilobytes.</summary>
    public const long MaxPeftConfigBytes = 1 << 20;

    /// <summary>
    /// Reads the adapter at <paramref name="path"/> (kohya or peft, detected from its keys) as a network
    /// named <paramref name="name"/> over <paramref name="parts"/>; attach it with <see cref="LoraModel.Add(LoraNetwork)"/>.
    /// </summary>
    /// <exception cref="AdapterFormatException">The file is not a LoRA for this model; the message names the tensor.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is not well-formed safetensors.</exception>
    public static LoraNetwork Load(string path, IReadOnlyList<ModelPart> parts, string name)
    {
        var weights = ResolveWeights(path);
        using var file = SafeTensorsFile.Open(weights);
        var config = Detect(file) == AdapterLayout.Peft ? ReadPeftConfig(PeftNames.ConfigPath(weights)) : null;
        return Load(file, config, Path.GetFileName(path), parts, name);
    }

    /// <summary>
    /// Reads an open adapter file; <paramref name="peftConfigJson"/> is the text of its adapter_config.json
    /// (null when there is none), <paramref name="fileName"/> names it in messages.
    /// </summary>
    /// <exception cref="AdapterFormatException">The file is not a LoRA for this model, or the config is not valid.</exception>
    public static LoraNetwork Load(SafeTensorsFile file, string? peftConfigJson, string fileName, IReadOnlyList<ModelPart> parts, string name) =>
        Load(file, peftConfigJson is null ? null : ParsePeftConfig(peftConfigJson, PeftNames.ConfigFile), fileName, parts, name);

    private static LoraNetwork Load(SafeTensorsFile file, PeftConfig? config, string fileName, IReadOnlyList<ModelPart> parts, string name)
    {
        var entries = Detect(file) switch
        {
            AdapterLayout.Kohya => KohyaEntries(file),
            AdapterLayout.Peft => PeftEntries(file, config ?? PeftConfig.None, parts),
            _ => throw new AdapterFormatException($"{fileName} holds no LoRA tensors (no lora_down/lora_up or lora_A/lora_B keys)"),
        };

        // Every shape is checked against its layer before any weight is allocated: a file cannot make us allocate more than it holds.
        var modules = AdaptableModules(parts);
        var targets = new List<LoraTarget>();
        foreach (var entry in entries)
        {
            if (!modules.TryGetValue(entry.Name, out var found))
                throw new AdapterFormatException(
                    $"adapter '{entry.Name}' has no matching layer in this model: the file was made for another model");
            var rank = (int)file.Tensors[entry.DownKey].Shape[0];
            var (down, up) = ExpectedShapes(found.Module, rank);
            CheckShape(file, entry.DownKey, down);
            CheckShape(file, entry.UpKey, up);
            var doraAxis = entry.DoraKey is { } doraKey ? DoraAxisOf(file, doraKey, found.Module) : DoraAxis.Input;
            targets.Add(new LoraTarget(found.Part, found.Path, entry.Name, found.Module, rank, entry.Alpha ?? rank, entry.DoraKey is not null, doraAxis));
        }
        if (targets.Count == 0)
            throw new AdapterFormatException($"{fileName} holds no LoRA tensors");

        var ranks = targets.GroupBy(t => t.Rank).OrderByDescending(g => g.Count()).First().Key;
        var alphas = targets.GroupBy(t => t.Alpha).OrderByDescending(g => g.Count()).First().Key;
        var network = new LoraNetwork(name, targets, new LoraOptions
        {
            Rank = ranks,
            Alpha = alphas,
            UseDora = targets.Any(t => t.Dora),
            DoraAxis = targets.FirstOrDefault(t => t.Dora)?.DoraAxis ?? DoraAxis.Input,
        });
        using var _ = no_grad();
        foreach (var entry in entries)
        {
            var layer = network.Layers[entry.Name];
            Copy(file, entry.DownKey, layer.Down.parameters().Single());
            Copy(file, entry.UpKey, layer.Up.parameters().Single());
            if (entry.DoraKey is { } doraKey)
                Copy(file, doraKey, layer.Magnitude!);
        }
        return network;
    }

    /// <summary>The layout of an open adapter file, from its keys.</summary>
    public static AdapterLayout Detect(SafeTensorsFile file)
    {
        if (file.Tensors.Keys.Any(k => k.EndsWith(".lora_down.weight", StringComparison.Ordinal)))
            return AdapterLayout.Kohya;
        if (file.Tensors.Keys.Any(k => k.EndsWith(PeftNames.DownSuffix, StringComparison.Ordinal)))
            return AdapterLayout.Peft;
        return AdapterLayout.Plain;
    }

    /// <summary>A peft folder means the adapter_model.safetensors inside it.</summary>
    internal static string ResolveWeights(string path) =>
        Directory.Exists(path) ? Path.Combine(path, PeftNames.WeightsFile) : path;

    /// <summary>One adapter as stored: its kohya name, its tensor keys, its alpha when the file gives one, and its DoRA magnitudes' key when it has them.</summary>
    internal sealed record Entry(string Name, string DownKey, string UpKey, double? Alpha, string? DoraKey = null);

    internal static List<Entry> KohyaEntries(SafeTensorsFile file)
    {
        var entries = new List<Entry>();
        foreach (var key in file.Tensors.Keys)
        {
            if (key.EndsWith(".lora_down.weight", StringComparison.Ordinal))
            {
                var name = key[..^".lora_down.weight".Length];
                var up = KohyaNames.Up(name);
                if (!file.Tensors.ContainsKey(up))
                    throw new AdapterFormatException($"adapter '{name}' has a lora_down but no lora_up tensor");
                CheckPair(file, key, up);
                double? alpha = file.Tensors.ContainsKey(KohyaNames.Alpha(name)) ? ReadAlpha(file, KohyaNames.Alpha(name)) : null;
                var dora = KohyaNames.DoraScale(name);
                entries.Add(new Entry(name, key, up, alpha, file.Tensors.ContainsKey(dora) ? dora : null));
            }
            else if (!key.EndsWith(".lora_up.weight", StringComparison.Ordinal) && !key.EndsWith(".alpha", StringComparison.Ordinal)
                && !key.EndsWith(".dora_scale", StringComparison.Ordinal))
                throw new AdapterFormatException($"tensor '{key}' is not part of a LoRA (LoHa and LoKr files are not supported)");
        }
        foreach (var key in file.Tensors.Keys)
        {
            var owner = key.EndsWith(".lora_up.weight", StringComparison.Ordinal) ? key[..^".lora_up.weight".Length]
                : key.EndsWith(".dora_scale", StringComparison.Ordinal) ? key[..^".dora_scale".Length]
                : null;
            if (owner is not null && !file.Tensors.ContainsKey(KohyaNames.Down(owner)))
                throw new AdapterFormatException($"tensor '{key}' has no matching lora_down tensor");
        }
        return entries;
    }

    internal static List<Entry> PeftEntries(SafeTensorsFile file, PeftConfig config, IReadOnlyList<ModelPart>? parts)
    {
        var entries = new List<Entry>();
        foreach (var key in file.Tensors.Keys)
        {
            if (key.EndsWith(PeftNames.DownSuffix, StringComparison.Ordinal))
            {
                var modulePath = key[..^PeftNames.DownSuffix.Length];
                if (modulePath.StartsWith(PeftNames.KeyPrefix, StringComparison.Ordinal))
                    modulePath = modulePath[PeftNames.KeyPrefix.Length..];
                var up = key[..^PeftNames.DownSuffix.Length] + PeftNames.UpSuffix;
                if (!file.Tensors.ContainsKey(up))
                    throw new AdapterFormatException($"tensor '{key}' has no matching lora_B tensor");
                CheckPair(file, key, up);
                var rank = file.Tensors[key].Shape[0];
                entries.Add(new Entry(KohyaNameOfPeftPath(modulePath, parts), key, up, config.AlphaFor(modulePath, rank)));
            }
            else if (key.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal) || key.Contains(".lora_magnitude_vector.", StringComparison.Ordinal))
                throw new AdapterFormatException(
                    $"tensor '{key}' is a peft DoRA magnitude; DoRA adapters load in the kohya layout (dora_scale), not in peft's");
            else if (!key.EndsWith(PeftNames.UpSuffix, StringComparison.Ordinal))
                throw new AdapterFormatException($"tensor '{key}' is not part of a peft LoRA");
        }
        return entries;
    }

    /// <summary>alpha, rank_pattern and alpha_pattern of an adapter_config.json.</summary>
    internal sealed record PeftConfig(double? Alpha, bool RsLora, Dictionary<string, double> AlphaPattern)
    {
        /// <summary>The alpha giving the same scale as peft would, for a module of rank <paramref name="rank"/>.</summary>
        public double? AlphaFor(string modulePath, long rank)
        {
            var alpha = AlphaPattern.FirstOrDefault(p => modulePath == p.Key || modulePath.EndsWith("." + p.Key, StringComparison.Ordinal)).Value;
            double? chosen = alpha > 0 ? alpha : Alpha;
            return chosen is { } a && RsLora ? a * Math.Sqrt(rank) : chosen;
        }

        /// <summary>No config: alphas default to the ranks.</summary>
        public static PeftConfig None { get; } = new(null, false, []);
    }

    /// <summary>The adapter_config.json at <paramref name="configPath"/>, or <see cref="PeftConfig.None"/> when there is none.</summary>
    internal static PeftConfig ReadPeftConfig(string configPath)
    {
        if (!File.Exists(configPath))
            return PeftConfig.None;
        var length = new FileInfo(configPath).Length;
        if (length > MaxPeftConfigBytes)
            throw new AdapterFormatException($"{configPath} is {length} bytes; an adapter config is at most {MaxPeftConfigBytes}");
        return ParsePeftConfig(File.ReadAllText(configPath), configPath);
    }

    internal static PeftConfig ParsePeftConfig(string text, string where)
    {
        try
        {
            var json = JsonNode.Parse(text) as JsonObject
                ?? throw new AdapterFormatException($"{where} is not a JSON object");
            var patterns = new Dictionary<string, double>(StringComparer.Ordinal);
            if (json["alpha_pattern"] is JsonObject alphaPattern)
                foreach (var (key, value) in alphaPattern)
                    patterns[key] = Alpha(value, $"alpha_pattern.{key}");
            double? alpha = json["lora_alpha"] is { } a ? Alpha(a, "lora_alpha") : null;
            return new PeftConfig(alpha, json["use_rslora"]?.GetValue<bool>() ?? false, patterns);
        }
        // JsonObject throws ArgumentException for a key given twice.
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new AdapterFormatException($"{where} is not a valid peft adapter config: {e.Message}");
        }

        double Alpha(JsonNode? node, string key) =>
            node?.GetValue<double>() is { } value && double.IsFinite(value) && value > 0
                ? value
                : throw new AdapterFormatException($"{where}: {key} must be a positive number");
    }

    private static string KohyaNameOfPeftPath(string modulePath, IReadOnlyList<ModelPart>? parts)
    {
        if (parts is null || parts.Count == 0)
            return KohyaNames.For(ModelPart.UNet, modulePath);
        if (parts.Count == 1)
            return KohyaNames.For(parts[0].Prefix, modulePath);
        foreach (var part in parts)
        {
            var partName = PeftNames.PartName(part.Prefix) + ".";
            if (modulePath.StartsWith(partName, StringComparison.Ordinal))
                return KohyaNames.For(part.Prefix, modulePath[partName.Length..]);
        }
        throw new AdapterFormatException($"peft key '{modulePath}' names no part of this model");
    }

    private static string PeftKey(LoraNetwork network, LoraTarget target)
    {
        var parts = network.Targets.Select(t => t.Part).Distinct().Count();
        return PeftNames.KeyPrefix + (parts > 1 ? PeftNames.PartName(target.Part.Prefix) + "." : "") + target.Path;
    }

    private static JsonObject PeftConfigJson(LoraNetwork network)
    {
        var options = network.Options;
        var rankPattern = new JsonObject();
        var alphaPattern = new JsonObject();
        foreach (var target in network.Targets)
        {
            var path = PeftKey(network, target)[PeftNames.KeyPrefix.Length..];
            if (target.Rank != options.Rank)
                rankPattern[path] = target.Rank;
            if (target.Alpha != options.Alpha)
                alphaPattern[path] = target.Alpha;
        }
        return new JsonObject
        {
            ["peft_type"] = "LORA",
            ["r"] = options.Rank,
            ["lora_alpha"] = options.Alpha,
            ["lora_dropout"] = options.Dropout,
            ["use_rslora"] = options.UseRsLora,
            ["init_lora_weights"] = options.Init == LoraInit.Gaussian ? "gaussian" : true,
            ["bias"] = "none",
            ["target_modules"] = new JsonArray(network.Targets.Select(t => (JsonNode)JsonValue.Create(PeftKey(network, t)[PeftNames.KeyPrefix.Length..])).ToArray()),
            ["rank_pattern"] = rankPattern,
            ["alpha_pattern"] = alphaPattern,
        };
    }

    private static IEnumerable<KeyValuePair<string, string>> StandardMetadata(LoraNetwork network)
    {
        var inv = CultureInfo.InvariantCulture;
        var ranks = network.Targets.Select(t => t.Rank).Distinct().ToList();
        yield return new("ss_network_module", "networks.lora");
        yield return new("ss_network_dim", network.Options.Rank.ToString(inv));
        yield return new("ss_network_alpha", (network.Options.UseRsLora ? network.Options.Alpha * Math.Sqrt(network.Options.Rank) : network.Options.Alpha).ToString("R", inv));
        var args = new JsonObject { ["conv_dim"] = network.Targets.Any(t => t.Kind == LayerKinds.Conv2d) ? ranks.Max() : null };
        if (network.Options.UseRsLora)
            args["rs_lora"] = true;
        if (network.Layers.Values.Any(l => l.IsDora))
            args["dora_wd"] = true; // LyCORIS's name for DoRA; left out without it, so other files keep their bytes
        if (network.Layers.Values.Any(l => l.IsDora && l.DoraAxis == DoraAxis.Output))
            args["wd_on_out"] = true; // LyCORIS's name for magnitudes per output feature
        yield return new("ss_network_args", args.ToJsonString());
        yield return new("modelspec.sai_model_spec", "1.0.0");
    }

    private static double ReadAlpha(SafeTensorsFile file, string key)
    {
        var info = file.Tensors[key];
        if (info.ElementCount != 1)
            throw new AdapterFormatException($"tensor '{key}' should hold one number but holds {info.ElementCount}");
        if (info.DType is not (DType.F64 or DType.F32 or DType.F16 or DType.BF16 or DType.I64 or DType.I32 or DType.I16 or DType.I8 or DType.U8))
            throw new AdapterFormatException($"tensor '{key}' is {info.DType.HeaderName()}; an alpha is a number");
        using var value = file.ReadTensor(key);
        var alpha = value.to(float64).item<double>();
        return double.IsFinite(alpha) && alpha > 0
            ? alpha
            : throw new AdapterFormatException($"tensor '{key}' holds alpha {alpha}; it must be a positive number");
    }

    /// <summary>A down and up tensor that can be a LoRA pair: [rank, in(, kh, kw)] and [out, rank(, 1, 1)].</summary>
    private static void CheckPair(SafeTensorsFile file, string downKey, string upKey)
    {
        var down = file.Tensors[downKey];
        var up = file.Tensors[upKey];
        if (down.Shape.Length is not (2 or 4) || down.Shape[0] < 1 || down.Shape[0] > int.MaxValue)
            throw new AdapterFormatException($"tensor '{downKey}' has shape [{string.Join(",", down.Shape)}], not a LoRA down projection");
        if (up.Shape.Length != down.Shape.Length || up.Shape[1] != down.Shape[0])
            throw new AdapterFormatException(
                $"tensor '{upKey}' has shape [{string.Join(",", up.Shape)}], not an up projection for rank {down.Shape[0]}");
        if (!IsFloat(down.DType) || !IsFloat(up.DType))
            throw new AdapterFormatException($"tensors '{downKey}' and '{upKey}' are {down.DType.HeaderName()} and {up.DType.HeaderName()}; LoRA weights are floating point");
    }

    private static bool IsFloat(DType type) => type is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    /// <summary>The down and up weight shapes of a rank-<paramref name="rank"/> adapter on <paramref name="module"/>.</summary>
    private static (long[] Down, long[] Up) ExpectedShapes(nn.Module<Tensor, Tensor> module, int rank) => module switch
    {
        TorchSharp.Modules.Linear linear => ([rank, linear.in_features], [linear.out_features, rank]),
        TorchSharp.Modules.Conv2d { groups: not 1 } conv => throw new AdapterFormatException(
            $"an adapter targets a grouped convolution (groups = {conv.groups}), which cannot take one"),
        TorchSharp.Modules.Conv2d conv => ([rank, conv.in_channels, conv.kernel_size[0], conv.kernel_size[1]], [conv.out_channels, rank, 1, 1]),
        _ => throw new AdapterFormatException($"layer type {module.GetType().Name} takes no adapter"),
    };

    /// <summary>
    /// Which features a <c>dora_scale</c> for <paramref name="module"/> belongs to, from its shape: [1, in]
    /// ([1, in, 1, 1] on a convolution) per input, as OneTrainer writes it; [out, 1] ([out, 1, 1, 1]) per output,
    /// as LyCORIS does by default. A layer with one input and one output has both shapes alike, and either reading.
    /// </summary>
    private static DoraAxis DoraAxisOf(SafeTensorsFile file, string key, nn.Module<Tensor, Tensor> module)
    {
        var info = file.Tensors[key];
        var (down, up) = ExpectedShapes(module, 1);
        long[] weight = down.Length == 4 ? [up[0], down[1], down[2], down[3]] : [up[0], down[1]];
        var perInput = LoraLayer.MagnitudeShape(weight, DoraAxis.Input);
        var perOutput = LoraLayer.MagnitudeShape(weight, DoraAxis.Output);
        if (IsFloat(info.DType) && info.Shape.SequenceEqual(perInput))
            return DoraAxis.Input;
        if (IsFloat(info.DType) && info.Shape.SequenceEqual(perOutput))
            return DoraAxis.Output;
        throw new AdapterFormatException(
            $"tensor '{key}' has shape [{string.Join(",", info.Shape)}] and type {info.DType.HeaderName()}; the layer's DoRA magnitudes are floating point, "
            + $"[{string.Join(",", perInput)}] per input feature or [{string.Join(",", perOutput)}] per output feature");
    }

    private static void CheckShape(SafeTensorsFile file, string key, long[] expected)
    {
        var info = file.Tensors[key];
        if (!info.Shape.SequenceEqual(expected))
            throw new AdapterFormatException(
                $"tensor '{key}' has shape [{string.Join(",", info.Shape)}] but the model's layer needs [{string.Join(",", expected)}]");
    }

    private static void Copy(SafeTensorsFile file, string key, Tensor destination)
    {
        var info = file.Tensors[key];
        if (!info.Shape.SequenceEqual(destination.shape))
            throw new AdapterFormatException(
                $"tensor '{key}' has shape [{string.Join(",", info.Shape)}] but the model's layer needs [{string.Join(",", destination.shape)}]");
        using var source = file.ReadTensor(key);
        destination.copy_(source.to(destination.dtype));
    }

    private static Dictionary<string, (ModelPart Part, string Path, nn.Module<Tensor, Tensor> Module)> AdaptableModules(IReadOnlyList<ModelPart> parts)
    {
        var modules = new Dictionary<string, (ModelPart, string, nn.Module<Tensor, Tensor>)>(StringComparer.Ordinal);
        foreach (var part in parts)
            foreach (var (path, module) in part.Module.named_modules())
                if (module is TorchSharp.Modules.Linear or TorchSharp.Modules.Conv2d)
                    modules[KohyaNames.For(part.Prefix, path)] = (part, path, (nn.Module<Tensor, Tensor>)module);
        return modules;
    }
}
