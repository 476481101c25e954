using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// One named adapter over a model: a layer per target, registered under its kohya name, so the
/// network's state dict is exactly a kohya LoRA file. Attach it with <see cref="LoraModel.Add(LoraNetwork)"/>.
/// </summary>
public sealed class LoraNetwork : nn.Module
{
    private readonly Dictionary<string, LoraLayer> _layers = new(StringComparer.Ordinal);

    /// <summary>Builds a network with fresh layers for <paramref name="targets"/>.</summary>
    public LoraNetwork(string name, IReadOnlyList<LoraTarget> targets, LoraOptions options, Generator? generator = null) : base(name)
    {
        AdapterName = name;
        options.Validate();
        if (targets.Count == 0)
            throw new ArgumentException("the target rules selected no Linear or Conv2d layer of the model");
        Options = options;
        Targets = targets;
        foreach (var target in targets)
        {
            var layer = target.CreateLayer(options.Dropout, options.UseRsLora);
            layer.Initialise(options.Init, generator);
            _layers.Add(target.Name, layer);
            register_module(target.Name, layer);
        }
    }

    /// <summary>The adapter's name (unique within a <see cref="LoraModel"/>).</summary>
    public string AdapterName { get; }

    /// <summary>The options it was built with (for a loaded file: rank and alpha as read).</summary>
    public LoraOptions Options { get; }

    /// <summary>The base layers it adapts.</summary>
    public IReadOnlyList<LoraTarget> Targets { get; }

    /// <summary>The layers by kohya name.</summary>
    public IReadOnlyDictionary<string, LoraLayer> Layers => _layers;

    /// <summary>The multiplier of its output (kohya "multiplier"); 0 leaves the base model exactly as it is.</summary>
    public double Strength { get; set; } = 1.0;

    /// <summary>False turns the adapter off without losing it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>True while its delta is merged into the base weights.</summary>
    public bool IsMerged { get; internal set; }

    /// <summary>Number of trainable values (down and up weights; alpha is not trained).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());
}
