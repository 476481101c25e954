using System.Reflection;
using System.Text.Json;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.World;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Judging;

/// <summary>
/// A small convolutional classifier that reads every attribute of <see cref="WorldVocabulary"/>
/// (shape, colour, size, position, background, style, character, accessory) from a picture of
/// the world. It scores what a diffusion model draws, so it reads the sampler's output
/// convention: float [B, 3, H, W] with values in [0, 1]. See docs/judge.md.
/// </summary>
public sealed class WorldJudge : nn.Module<Tensor, Tensor>
{
    /// <summary>The <c>format</c> metadata value of a judge's weights file.</summary>
    public const string Format = "loranotebooks.world-judge";

    /// <summary>The name of the shipped judge's weights inside the Engine assembly.</summary>
    internal const string DefaultResource = "LoraNotebooks.Engine.judge.safetensors";

    private readonly Sequential features;
    private readonly Linear hidden;
    private readonly ModuleDict<Linear> heads;

    /// <summary>A judge of shape <paramref name="config"/> with PyTorch's default random initialisation.</summary>
    public WorldJudge(JudgeConfig config) : base(nameof(WorldJudge))
    {
        Config = config;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int inputs = 3;
        foreach (var channels in config.Channels)
        {
            // Each stage: a 3×3 convolution, then a strided one that halves the resolution.
            int n = layers.Count;
            layers.Add(($"{n}", nn.Conv2d(inputs, channels, 3, padding: 1)));
            layers.Add(($"{n + 1}", Norm(channels)));
            layers.Add(($"{n + 2}", nn.SiLU()));
            layers.Add(($"{n + 3}", nn.Conv2d(channels, channels, 3, stride: 2, padding: 1)));
            layers.Add(($"{n + 4}", Norm(channels)));
            layers.Add(($"{n + 5}", nn.SiLU()));
            inputs = channels;
        }
        features = nn.Sequential(layers);
        // Flattening keeps where things are, which the position head needs.
        int side = config.ImageSize / 8;
        hidden = nn.Linear(inputs * side * side, config.Hidden);
        heads = nn.ModuleDict(WorldVocabulary.Attributes
            .Select(a => (a, nn.Linear(config.Hidden, WorldVocabulary.Classes[a].Count)))
            .ToArray());
        RegisterComponents();
    }

    /// <summary>The judge's shape.</summary>
    public JudgeConfig Config { get; }

    /// <summary>
    /// The logits of every head, concatenated in <see cref="WorldVocabulary.Attributes"/> order:
    /// [B, total number of classes]. <see cref="Judge"/> turns them into labels.
    /// </summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(hidden.call(features.call(images).flatten(1)));
        return cat(WorldVocabulary.Attributes.Select(a => heads[a].call(h)).ToArray(), 1).MoveToOuterDisposeScope();
    }

    /// <summary>Reads every picture of <paramref name="images"/> (float [B, 3, H, W] in [0, 1]).</summary>
    /// <exception cref="ArgumentException">The tensor is not a batch of RGB pictures of the judge's size.</exception>
    public IReadOnlyList<Judgement> Judge(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != Config.ImageSize || images.shape[3] != Config.ImageSize)
            throw new ArgumentException(
                $"the judge reads [B, 3, {Config.ImageSize}, {Config.ImageSize}] pictures, not [{string.Join(", ", images.shape)}]", nameof(images));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = forward(images.to(ScalarType.Float32).cpu());

        int batch = (int)images.shape[0];
        var chosen = new string?[batch, WorldVocabulary.Attributes.Count];
        var confidences = new Dictionary<string, float>[batch];
        for (int b = 0; b < batch; b++) confidences[b] = [];
        long offset = 0;
        for (int a = 0; a < WorldVocabulary.Attributes.Count; a++)
        {
            var attribute = WorldVocabulary.Attributes[a];
            var classes = WorldVocabulary.Classes[attribute];
            var (best, index) = logits.narrow(1, offset, classes.Count).softmax(1).max(1);
            var probabilities = best.data<float>().ToArray();
            var indices = index.data<long>().ToArray();
            for (int b = 0; b < batch; b++)
            {
                var name = classes[(int)indices[b]];
                chosen[b, a] = name == WorldVocabulary.None ? null : name;
                confidences[b][attribute] = probabilities[b];
            }
            offset += classes.Count;
        }
        return Enumerable.Range(0, batch).Select(b => new Judgement(
            new WorldLabels(chosen[b, 0]!, chosen[b, 1], chosen[b, 2]!, chosen[b, 3]!, chosen[b, 4]!, chosen[b, 5], chosen[b, 6], chosen[b, 7]),
            confidences[b])).ToArray();
    }

    /// <summary>
    /// The share of <paramref name="samples"/> whose attribute the judge reads as labelled,
    /// per attribute (in <see cref="WorldVocabulary.Attributes"/> order), judged in batches of 256.
    /// </summary>
    public IReadOnlyDictionary<string, double> Accuracy(IReadOnlyList<WorldSample> samples)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        var correct = WorldVocabulary.Attributes.ToDictionary(a => a, _ => 0);
        foreach (var batch in samples.Chunk(256))
        {
            using var images = JudgeData.ToImages(batch);
            foreach (var (judgement, sample) in Judge(images).Zip(batch))
                foreach (var attribute in WorldVocabulary.Attributes)
                    if (judgement.Labels.Get(attribute) == sample.Labels.Get(attribute))
                        correct[attribute]++;
        }
        return WorldVocabulary.Attributes.ToDictionary(a => a, a => (double)correct[a] / samples.Count);
    }

    /// <summary>
    /// Writes the weights and <see cref="Config"/> (plus <paramref name="metadata"/>, for example
    /// how it was trained) to a safetensors file, atomically.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var all = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = Format,
            ["config"] = Config.ToJson(),
            ["classes"] = JsonSerializer.Serialize(WorldVocabulary.Classes, JudgeJson.Default.IReadOnlyDictionaryStringIReadOnlyListString),
        };
        SafeTensorsWriter.Write(path, state_dict().Select(p => SafeTensorsTorch.ToTensorData(p.Key, p.Value)), all);
    }

    /// <summary>Loads a judge saved by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a judge, or was trained for other classes than this build's <see cref="WorldVocabulary"/>.</exception>
    public static WorldJudge Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return Load(file, path);
    }

    /// <summary>Loads the shipped judge (assets/judge.safetensors, embedded in the Engine assembly).</summary>
    /// <exception cref="InvalidOperationException">This build was made without the shipped judge.</exception>
    public static WorldJudge LoadDefault()
    {
        using var stream = typeof(WorldJudge).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException("this build has no shipped judge: assets/judge.safetensors was missing when the Engine was built");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        using var file = SafeTensorsFile.Parse(bytes);
        return Load(file, "the shipped judge");
    }

    private static WorldJudge Load(SafeTensorsFile file, string source)
    {
        if (file.Metadata.GetValueOrDefault("format") != Format || !file.Metadata.TryGetValue("config", out var configJson))
            throw new InvalidDataException($"{source} is not a world judge (metadata format '{Format}' and a config are needed)");
        if (file.Metadata.GetValueOrDefault("classes") != JsonSerializer.Serialize(WorldVocabulary.Classes, JudgeJson.Default.IReadOnlyDictionaryStringIReadOnlyListString))
            throw new InvalidDataException($"{source} was trained for other world classes than this build's; retrain it (docs/judge.md)");
        var judge = new WorldJudge(JudgeConfig.FromJson(configJson));
        using (no_grad())
        {
            foreach (var (name, parameter) in judge.state_dict())
            {
                using var stored = file.ReadTensor(name);
                if (!stored.shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException($"{source}: '{name}' has shape [{string.Join(", ", stored.shape)}], the config needs [{string.Join(", ", parameter.shape)}]");
                parameter.copy_(stored);
            }
        }
        return judge;
    }

    /// <summary>Resets every weight from <paramref name="generator"/> as PyTorch initialises them by default, so training is reproducible.</summary>
    internal void Initialise(Generator generator)
    {
        using var _ = no_grad();
        foreach (var module in modules())
        {
            var (weight, bias) = module switch
            {
                Conv2d conv => (conv.weight!, conv.bias!),
                Linear linear => (linear.weight!, linear.bias!),
                _ => (null, null),
            };
            if (weight is null) continue;
            // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what kaiming_uniform_(a = sqrt(5)) reduces to, for weights and biases alike.
            var bound = 1.0 / Math.Sqrt(weight.numel() / weight.shape[0]);
            // Drawn with rand, not nn.init.uniform_, whose generator argument TorchSharp 0.107 ignores.
            weight.copy_((rand(weight.shape, generator: generator) * 2 - 1) * bound);
            bias!.copy_((rand(bias!.shape, generator: generator) * 2 - 1) * bound);
        }
    }

    /// <summary>Group normalisation with its affine weights set (TorchSharp leaves them uninitialised).</summary>
    private static GroupNorm Norm(int channels)
    {
        var norm = nn.GroupNorm(Math.Min(8, channels), channels);
        using var _ = no_grad();
        norm.weight!.fill_(1);
        norm.bias!.fill_(0);
        return norm;
    }
}
