using System.Buffers.Binary;
using System.Text;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Fuzz.Targets;

/// <summary>
/// Generates safetensors inputs: random bytes, and valid files whose header is kept
/// as editable JSON fragments so mutations can target the structure (keys, numbers, nesting)
/// before bytes are flipped, lengths changed or the file truncated. One <see cref="Random"/>
/// decides everything, so a seed reproduces a case exactly.
/// </summary>
internal static class SafeTensorsInputs
{
    /// <summary>One generated input: what was done to it (for failure reports), its bytes, and whether it is untouched and so must parse.</summary>
    public sealed record Case(string Recipe, byte[] Bytes, bool MustParse);

    private sealed class Tensor(string key, List<(string Key, string Value)> fields)
    {
        public string Key { get; set; } = key;
        public List<(string Key, string Value)> Fields { get; } = fields;
    }

    private sealed class Model
    {
        public List<Tensor> Tensors { get; } = [];
        public List<(string Key, string Value)>? Metadata { get; set; }
        public string? MetadataRaw { get; set; }
        public byte[] Data { get; set; } = [];

        public string Json()
        {
            var json = new StringBuilder("{");
            var parts = new List<string>();
            if (MetadataRaw is not null)
            {
                parts.Add($"\"__metadata__\":{MetadataRaw}");
            }
            else if (Metadata is not null)
            {
                parts.Add($"\"__metadata__\":{{{string.Join(",", Metadata.Select(m => $"{m.Key}:{m.Value}"))}}}");
            }
            parts.AddRange(Tensors.Select(t => $"{t.Key}:{{{string.Join(",", t.Fields.Select(f => $"{f.Key}:{f.Value}"))}}}"));
            return json.AppendJoin(',', parts).Append('}').ToString();
        }
    }

    private static readonly string[] Names =
        ["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", "lora_te_text_model_encoder_layers_0_mlp_fc1.alpha", "a", "ü", "日本", "x.y", "", "tab\\there", "quote\\\"d"];

    private static readonly string[] OddNumbers =
    [
        "-1", "-0", "0", "1", "01", "1.5", "1e3", "1e400", "-9223372036854775808", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "4294967296", "4611686018427387904",
        "\"3\"", "null", "true", "[]", "{}", "[1]", "99999999999999999999999999999999999999",
    ];

    private static readonly string[] OddDTypes =
        ["\"F33\"", "\"f32\"", "\"\"", "1", "null", "[\"F32\"]", "{}", "\"F32 \"", "\"\\u0046\\u0033\\u0032\"", "\"BOOL\"", "\"U64\"", "\"F8_E4M3\""];

    private static readonly byte[][] InvalidUtf8 =
        [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0x00]];

    private static readonly string[] BadEscapes = ["\\ud800", "\\udfff\\ud800", "\\uZZZZ", "\\x41", "\\", "\\u00"];

    public static Case Next(Random random)
    {
        var recipe = new List<string>();
        if (random.Next(20) == 0)
        {
            recipe.Add("random bytes");
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            if (noise.Length >= 8 && random.Next(2) == 0)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(noise, (ulong)random.Next(0, noise.Length));
            }
            return new Case("random bytes", noise, MustParse: false);
        }

        var model = ValidModel(random);
        var structural = random.Next(4); // a quarter of the cases stay structurally valid
        for (var i = 0; i < structural; i++)
        {
            recipe.Add(MutateStructure(random, model));
        }
        var header = Encoding.UTF8.GetBytes(model.Json());
        if (random.Next(8) == 0)
        {
            recipe.Add("header bytes");
            header = MutateHeaderBytes(random, header);
        }
        var padding = random.Next(4) == 0 ? random.Next(0, 9) : (8 - header.Length % 8) % 8;
        var bytes = Build([.. header, .. Enumerable.Repeat((byte)' ', padding)], model.Data);
        if (random.Next(3) == 0)
        {
            recipe.Add(MutateFileBytes(random, ref bytes));
        }
        return new Case(recipe.Count == 0 ? "valid" : string.Join(" + ", recipe), bytes, MustParse: recipe.Count == 0);
    }

    /// <summary>A file from raw header bytes and data: the 8-byte length, the header, the data.</summary>
    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static Model ValidModel(Random random)
    {
        var model = new Model();
        if (random.Next(3) != 0)
        {
            model.Metadata = Enumerable.Range(0, random.Next(0, 4))
                .Select(i => ($"\"ss_key_{i}\"", $"\"{Names[random.Next(Names.Length)]}\""))
                .ToList();
        }
        var dtypes = Enum.GetValues<DType>();
        var names = Names.OrderBy(_ => random.Next()).Take(random.Next(0, 6)).ToList();
        var offset = 0L;
        foreach (var name in names)
        {
            var dtype = dtypes[random.Next(dtypes.Length)];
            var shape = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(0, 5)).ToArray();
            var length = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
            model.Tensors.Add(new Tensor($"\"{name}\"",
            [
                ("\"dtype\"", $"\"{dtype}\""),
                ("\"shape\"", $"[{string.Join(",", shape)}]"),
                ("\"data_offsets\"", $"[{offset},{offset + length}]"),
            ]));
            offset += length;
        }
        model.Data = new byte[offset];
        random.NextBytes(model.Data);
        // Listing order in the header does not matter; shuffle it.
        var shuffled = model.Tensors.OrderBy(_ => random.Next()).ToList();
        model.Tensors.Clear();
        model.Tensors.AddRange(shuffled);
        return model;
    }

    private static string MutateStructure(Random random, Model model)
    {
        var tensor = model.Tensors.Count > 0 ? model.Tensors[random.Next(model.Tensors.Count)] : null;
        var field = tensor is { Fields.Count: > 0 } ? random.Next(tensor.Fields.Count) : -1;
        switch (random.Next(14))
        {
            case 0 when tensor is not null:
                model.Tensors.Add(new Tensor(tensor.Key, [.. tensor.Fields]));
                return "duplicate tensor";
            case 1 when field >= 0:
                tensor!.Fields.Add(tensor.Fields[field]);
                return "duplicate field";
            case 2 when field >= 0:
                tensor!.Fields.RemoveAt(field);
                return "remove field";
            case 3 when tensor is not null:
                tensor.Fields.Insert(random.Next(tensor.Fields.Count + 1), ("\"extra\"", OddNumbers[random.Next(OddNumbers.Length)]));
                return "unknown field";
            case 4 when field >= 0:
                tensor!.Fields[field] = (tensor.Fields[field].Key, ReplaceNumber(random, tensor.Fields[field].Value));
                return "change number";
            case 5 when tensor is not null:
                SetField(tensor, "\"dtype\"", OddDTypes[random.Next(OddDTypes.Length)]);
                return "odd dtype";
            case 6 when tensor is not null:
                SetField(tensor, "\"shape\"", HugeShape(random));
                return "huge shape";
            case 7 when tensor is not null:
                SetField(tensor, "\"data_offsets\"", $"[{random.Next(-2, 40)},{random.Next(-2, 40)}{(random.Next(4) == 0 ? ",1" : "")}]");
                return "odd offsets";
            case 8:
                MutateMetadata(random, model);
                return "metadata";
            case 9:
                var depth = random.Next(1, 5000);
                var nested = random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                if (field >= 0)
                {
                    tensor!.Fields[field] = (tensor.Fields[field].Key, nested);
                }
                else
                {
                    model.MetadataRaw = nested;
                }
                return "deep nesting";
            case 10 when tensor is not null:
                tensor.Key = $"\"{BadEscapes[random.Next(BadEscapes.Length)]}{tensor.Key[1..]}";
                return "bad escape";
            case 11 when tensor is not null:
                model.Tensors.Remove(tensor);
                return "remove tensor";
            case 12:
                var data = model.Data;
                Array.Resize(ref data, Math.Max(0, data.Length + random.Next(-4, 5)));
                model.Data = data;
                return "resize data";
            default:
                model.Tensors.Add(new Tensor($"\"t{random.Next(100)}\"",
                    [("\"dtype\"", "\"U8\""), ("\"shape\"", $"[{random.Next(3)}]"), ("\"data_offsets\"", $"[{model.Data.Length},{model.Data.Length + random.Next(3)}]")]));
                return "add tensor";
        }
    }

    private static void SetField(Tensor tensor, string key, string value)
    {
        var index = tensor.Fields.FindIndex(f => f.Key == key);
        if (index >= 0)
        {
            tensor.Fields[index] = (key, value);
        }
        else
        {
            tensor.Fields.Add((key, value));
        }
    }

    private static string ReplaceNumber(Random random, string value)
    {
        var numbers = System.Text.RegularExpressions.Regex.Matches(value, "-?[0-9]+");
        if (numbers.Count == 0)
        {
            return OddNumbers[random.Next(OddNumbers.Length)];
        }
        var number = numbers[random.Next(numbers.Count)];
        return string.Concat(value.AsSpan(0, number.Index), OddNumbers[random.Next(OddNumbers.Length)], value.AsSpan(number.Index + number.Length));
    }

    private static string HugeShape(Random random) => random.Next(4) switch
    {
        0 => "[4294967296,4294967296,4294967296]",
        1 => $"[{long.MaxValue}]",
        2 => $"[0,{long.MaxValue},{long.MaxValue}]",
        _ => $"[{string.Join(",", Enumerable.Repeat(random.Next(0, 3), random.Next(1, 20_000)))}]",
    };

    private static void MutateMetadata(Random random, Model model)
    {
        switch (random.Next(5))
        {
            case 0:
                model.MetadataRaw = new[] { "null", "[]", "\"text\"", "1", "{\"k\":1}", "{\"k\":null}", "{\"k\":{}}", "{\"k\":[\"v\"]}" }[random.Next(8)];
                break;
            case 1 when model.Metadata is { Count: > 0 }:
                model.Metadata.Add(model.Metadata[random.Next(model.Metadata.Count)]);
                break;
            case 2:
                model.Tensors.Add(new Tensor("\"__metadata__\"", []));
                break;
            case 3:
                model.Metadata = [.. model.Metadata ?? [], ($"\"{BadEscapes[random.Next(BadEscapes.Length)]}\"", "\"v\"")];
                break;
            default:
                model.Metadata = [.. model.Metadata ?? [], ("\"k\"", OddNumbers[random.Next(OddNumbers.Length)])];
                break;
        }
    }

    private static byte[] MutateHeaderBytes(Random random, byte[] header)
    {
        var at = random.Next(header.Length + 1);
        return random.Next(3) switch
        {
            0 => [.. header[..at], .. InvalidUtf8[random.Next(InvalidUtf8.Length)], .. header[at..]],
            1 => [.. new[] { (byte)' ', (byte)'\n', (byte)0xEF, (byte)0xBB, (byte)0xBF }.Take(random.Next(1, 6)), .. header],
            _ => [.. header, .. Encoding.ASCII.GetBytes(new[] { "x", "{}", "\0", ",", "]", " \t\r\n" }[random.Next(6)])],
        };
    }

    /// <summary>Flips bits, changes the length prefix, truncates or appends; returns what it did.</summary>
    public static string MutateFileBytes(Random random, ref byte[] bytes)
    {
        switch (random.Next(4))
        {
            case 0:
                for (var flips = random.Next(1, 9); flips > 0 && bytes.Length > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                return "flip bits";
            case 1 when bytes.Length >= 8:
                ulong[] lengths = [0, 1, 2, (ulong)bytes.Length, (ulong)bytes.Length - 7, ulong.MaxValue, 100_000_001, (ulong)random.NextInt64()];
                var header = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, random.Next(2) == 0 ? lengths[random.Next(lengths.Length)] : header + (ulong)random.Next(-3, 4));
                return "change length";
            case 2 when bytes.Length > 0:
                bytes = bytes[..random.Next(bytes.Length)];
                return "truncate";
            default:
                var tail = new byte[random.Next(1, 16)];
                random.NextBytes(tail);
                bytes = [.. bytes, .. tail];
                return "append";
        }
    }
}
