using System.Text;
using System.Text.Json.Nodes;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.SafeTensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Fuzz.Targets;

/// <summary>
/// The adapter loader on a small model with a linear, a convolution and a grouped convolution:
/// kohya and peft files (with adapter_config.json) built valid for it, then changed in structure
/// (names, shapes, dtypes, alphas, missing halves, foreign tensors, config values) and in bytes.
/// It must load, or throw <see cref="SafeTensorsFormatException"/> or <see cref="AdapterFormatException"/>.
/// </summary>
public sealed class AdapterTarget : IFuzzTarget
{
    private const int AllocationFactor = 16;
    // Building a network allocates a fixed amount of managed objects (modules, names, parameters).
    private const int AllocationSlack = 1 << 20;

    private static readonly string[] DTypes = ["F32", "F16", "BF16", "F64", "I32", "U8", "BOOL", "F8_E4M3", "X"];

    private readonly IReadOnlyList<ModelPart> _parts = [new ModelPart(ModelPart.UNet, new FuzzModel())];

    /// <inheritdoc />
    public string Name => "adapter";

    /// <inheritdoc />
    public TimeSpan CaseLimit => TimeSpan.FromSeconds(1);

    /// <summary>A tiny model whose layers adapters can target.</summary>
    private sealed class FuzzModel : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly Conv2d depthwise;
        private readonly Linear proj;

        public FuzzModel() : base(nameof(FuzzModel))
        {
            conv = nn.Conv2d(3, 4, 3, padding: 1);
            depthwise = nn.Conv2d(4, 4, 3, padding: 1, groups: 4);
            proj = nn.Linear(4, 6);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => proj.call(depthwise.call(conv.call(x)).mean([2, 3]));
    }

    private sealed record Entry(string Name, string DType, long[] Shape, byte[] Data);

    /// <inheritdoc />
    public FuzzCase Next(Random random)
    {
        var peft = random.Next(2) == 0;
        var entries = ValidEntries(random, peft);
        var config = peft && random.Next(4) != 0 ? ValidConfig(random) : null;
        var recipe = new List<string> { peft ? "peft" : "kohya" };
        for (var i = random.Next(3); i > 0; i--)
            recipe.Add(MutateEntries(random, entries, peft));
        if (config is not null && random.Next(4) == 0)
            recipe.Add(MutateConfig(random, ref config));
        var bytes = Serialize(entries);
        if (random.Next(4) == 0)
            recipe.Add(SafeTensorsInputs.MutateFileBytes(random, ref bytes));
        return new FuzzCase(string.Join(" + ", recipe), bytes, MustAccept: recipe.Count == 1, config is null ? null : Encoding.UTF8.GetBytes(config));
    }

    /// <inheritdoc />
    public FuzzOutcome Run(FuzzCase input)
    {
        try
        {
            using var file = SafeTensorsFile.Parse(input.Bytes);
            var config = input.Sidecar is null ? null : Encoding.UTF8.GetString(input.Sidecar);
            using var network = AdapterFile.Load(file, config, "fuzz.safetensors", _parts, "fuzz");
            return FuzzOutcome.Accepted;
        }
        catch (Exception e) when (e is SafeTensorsFormatException or AdapterFormatException)
        {
            return FuzzOutcome.Rejected;
        }
    }

    /// <inheritdoc />
    public long AllocationBudget(FuzzCase input) => input.Size * AllocationFactor + AllocationSlack;

    private static List<Entry> ValidEntries(Random random, bool peft)
    {
        var entries = new List<Entry>();
        var dtype = new[] { "F32", "F16", "BF16" }[random.Next(3)];
        // (kohya name, peft path, down shape without rank, up shape without rank)
        (string Kohya, string Peft, long[] Down, long[] Up)[] layers =
        [
            ("lora_unet_conv", "conv", [3, 3, 3], [4, -1, 1, 1]),
            ("lora_unet_proj", "proj", [4], [6, -1]),
        ];
        foreach (var layer in layers.Where(_ => random.Next(3) != 0).DefaultIfEmpty(layers[1]))
        {
            var rank = random.Next(1, 5);
            long[] down = [rank, .. layer.Down];
            var up = layer.Up.Select(d => d == -1 ? rank : d).ToArray();
            var downKey = peft ? $"base_model.model.{layer.Peft}.lora_A.weight" : $"{layer.Kohya}.lora_down.weight";
            var upKey = peft ? $"base_model.model.{layer.Peft}.lora_B.weight" : $"{layer.Kohya}.lora_up.weight";
            entries.Add(Tensor(random, downKey, dtype, down));
            entries.Add(Tensor(random, upKey, dtype, up));
            if (!peft && random.Next(4) != 0)
                entries.Add(new Entry($"{layer.Kohya}.alpha", "F32", [], BitConverter.GetBytes((float)random.Next(1, 9))));
        }
        return entries;
    }

    private static Entry Tensor(Random random, string name, string dtype, long[] shape)
    {
        var data = new byte[shape.Aggregate(1L, (a, b) => a * b) * (dtype == "F32" ? 4 : 2)];
        // Small finite numbers in either width: random bytes would make NaNs, which a LoRA may hold anyway.
        random.NextBytes(data);
        for (var i = dtype == "F32" ? 3 : 1; i < data.Length; i += dtype == "F32" ? 4 : 2)
            data[i] &= 0x3F;
        return new Entry(name, dtype, shape, data);
    }

    private static string ValidConfig(Random random)
    {
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["r"] = random.Next(1, 5),
            ["lora_alpha"] = random.Next(1, 9),
            ["use_rslora"] = random.Next(2) == 0,
            ["target_modules"] = new JsonArray("conv", "proj"),
        };
        if (random.Next(2) == 0)
            config["alpha_pattern"] = new JsonObject { ["proj"] = random.Next(1, 9) };
        return config.ToJsonString();
    }

    private static string MutateEntries(Random random, List<Entry> entries, bool peft)
    {
        var at = random.Next(entries.Count);
        var entry = entries[at];
        switch (random.Next(10))
        {
            case 0:
                entries.RemoveAt(at);
                return "remove tensor";
            case 1:
                entries[at] = entry with { DType = DTypes[random.Next(DTypes.Length)] };
                return "dtype";
            case 2:
                var shape = entry.Shape.ToArray();
                if (shape.Length > 0)
                    shape[random.Next(shape.Length)] = new long[] { 0, 1, 2, 5, 7, int.MaxValue, 1L << 40, long.MaxValue }[random.Next(8)];
                entries[at] = entry with { Shape = shape };
                return "shape";
            case 3:
                entries[at] = entry with { Shape = [.. entry.Shape, 1] };
                return "extra dimension";
            case 4:
                entries[at] = entry with { Shape = entry.Shape.Length > 0 ? entry.Shape[1..] : [] };
                return "fewer dimensions";
            case 5:
                var name = new[] { "lora_unet_depthwise", "lora_unet_missing", "lora_te_proj", "base_model.model.depthwise", "base_model.model.nothing", "" }[random.Next(6)];
                var suffix = new[] { ".lora_down.weight", ".lora_up.weight", ".alpha", ".lora_A.weight", ".lora_B.weight", ".hada_w1_a", "" }[random.Next(7)];
                entries.Add(entry with { Name = name + suffix });
                return "foreign name";
            case 6:
                float[] alphas = [float.NaN, float.PositiveInfinity, -1, 0, 1e-30f, 3e38f];
                var alphaName = peft ? entry.Name : entry.Name[..Math.Max(0, entry.Name.IndexOf('.'))] + ".alpha";
                entries.RemoveAll(e => e.Name == alphaName);
                entries.Add(new Entry(alphaName, "F32", random.Next(4) == 0 ? [2] : [], BitConverter.GetBytes(alphas[random.Next(alphas.Length)])));
                return "alpha value";
            case 7:
                entries[at] = entry with { Name = entry.Name.Replace("lora_down", "lora_up").Replace("lora_A", "lora_B") };
                return "rename half";
            case 8:
                // A shape that claims far more than the data holds, consistently: the reader must refuse it on length alone.
                entries[at] = entry with { Shape = [1 << 20, .. entry.Shape.Skip(1)] };
                return "huge rank";
            default:
                var data = entry.Data.ToArray();
                for (var i = 0; i < data.Length; i += random.Next(1, 5))
                    data[i] = 0xFF; // NaN and infinity patterns in the weights
                entries[at] = entry with { Data = data };
                return "non-finite weights";
        }
    }

    private static string MutateConfig(Random random, ref string config)
    {
        string[] values = ["null", "\"x\"", "-1", "0", "1e400", "[]", "{}", "true", "1e-300", "NaN"];
        var value = values[random.Next(values.Length)];
        config = random.Next(6) switch
        {
            0 => config.Replace("\"lora_alpha\":", $"\"lora_alpha\":{value},\"ignored\":"),
            1 => config[..^1] + $",\"alpha_pattern\":{{\"proj\":{value}}}}}",
            2 => config[..^1] + $",\"use_rslora\":{value}}}",
            3 => new[] { "", "[]", "null", "\"text\"", "{", new string('[', 100_000) }[random.Next(6)],
            4 => config[..random.Next(config.Length)],
            _ => config[..^1] + $",\"alpha_pattern\":{value}}}",
        };
        return "config " + value;
    }

    private static byte[] Serialize(List<Entry> entries)
    {
        var header = new JsonObject();
        var data = new MemoryStream();
        foreach (var entry in entries)
        {
            var begin = data.Length;
            data.Write(entry.Data);
            header[entry.Name] = new JsonObject
            {
                ["dtype"] = entry.DType,
                ["shape"] = new JsonArray(entry.Shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(begin, data.Length),
            };
        }
        return SafeTensorsInputs.Build(Encoding.UTF8.GetBytes(header.ToJsonString()), data.ToArray());
    }
}
