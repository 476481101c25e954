using System.Runtime.InteropServices;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static TensorData[] KohyaLikeTensors()
    {
        var down = new float[] { 1.5f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25f, 1e-30f, 65504f };
        var up = new Half[] { (Half)0.5f, Half.NegativeZero, Half.NaN, Half.MaxValue, Half.Epsilon, (Half)(-2f) };
        var alpha = new Half[] { (Half)8f };
        return
        [
            new("lora_unet_mid_block_attentions_0_proj_in.lora_down.weight", DType.F32, [2, 4], MemoryMarshal.AsBytes(down.AsSpan()).ToArray()),
            new("lora_unet_mid_block_attentions_0_proj_in.lora_up.weight", DType.F16, [3, 2], MemoryMarshal.AsBytes(up.AsSpan()).ToArray()),
            new("lora_unet_mid_block_attentions_0_proj_in.alpha", DType.F16, [], MemoryMarshal.AsBytes(alpha.AsSpan()).ToArray()),
            new("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", DType.BF16, [3, 5], RandomBytes(30, 1)),
            new("empty.f32", DType.F32, [0, 7], Array.Empty<byte>()),
            new("empty.bf16", DType.BF16, [4, 0], Array.Empty<byte>()),
            new("scalar.bf16", DType.BF16, [], RandomBytes(2, 2)),
            new("bytes.u8", DType.U8, [3], RandomBytes(3, 3)),
            new("counts.i64", DType.I64, [2], RandomBytes(16, 4)),
        ];
    }

    private static readonly Dictionary<string, string> KohyaMetadata = new()
    {
        ["ss_network_module"] = "networks.lora",
        ["ss_network_dim"] = "8",
        ["ss_network_alpha"] = "8.0",
        ["ss_tag_frequency"] = "{\"img\": {\"1girl\": 3, \"ü \\\"quoted\\\"\": 1}}",
        ["modelspec.title"] = "line\nbreak\ttab\u0001控制",
        ["empty"] = "",
    };

    private static void AssertSameContent(IReadOnlyList<TensorData> expected, SafeTensorsFile file)
    {
        Assert.Equal(expected.Select(t => t.Name).Order(StringComparer.Ordinal), file.Tensors.Keys);
        foreach (var tensor in expected)
        {
            var info = file.Tensors[tensor.Name];
            Assert.Equal(tensor.DType, info.DType);
            Assert.Equal(tensor.Shape, info.Shape);
            Assert.Equal(tensor.Data.ToArray(), file.ReadBytes(tensor.Name));
            var copy = new byte[info.ByteLength];
            file.CopyTo(tensor.Name, copy);
            Assert.Equal(tensor.Data.ToArray(), copy);
        }
    }

    [Fact]
    public void a_written_file_reads_back_bit_exact_with_its_metadata()
    {
        var tensors = KohyaLikeTensors();
        var path = Path.Combine(_folder, "adapter.safetensors");
        SafeTensorsWriter.Write(path, tensors, KohyaMetadata);

        using var file = SafeTensorsFile.Open(path);
        AssertSameContent(tensors, file);
        Assert.Equal(KohyaMetadata.OrderBy(p => p.Key, StringComparer.Ordinal), file.Metadata);
    }

    [Fact]
    public void a_stream_written_buffer_parses_in_memory_with_the_same_content()
    {
        var tensors = KohyaLikeTensors();
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, tensors, KohyaMetadata);

        using var file = SafeTensorsFile.Parse(stream.ToArray());
        AssertSameContent(tensors, file);
        Assert.Equal(KohyaMetadata.Count, file.Metadata.Count);
    }

    [Fact]
    public void a_zero_dimensional_tensor_has_an_empty_shape_and_one_element()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, [new TensorData("alpha", DType.F32, [], BitConverter.GetBytes(4f))]);

        using var file = SafeTensorsFile.Parse(stream.ToArray());
        var alpha = file.Tensors["alpha"];
        Assert.Empty(alpha.Shape);
        Assert.Equal(1, alpha.ElementCount);
        Assert.Equal(4f, BitConverter.ToSingle(file.ReadBytes("alpha")));
    }

    [Fact]
    public void a_file_without_tensors_or_metadata_round_trips()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, []);

        using var file = SafeTensorsFile.Parse(stream.ToArray());
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void writing_is_deterministic_whatever_the_input_order()
    {
        var tensors = KohyaLikeTensors();
        using var forward = new MemoryStream();
        using var backward = new MemoryStream();
        SafeTensorsWriter.Write(forward, tensors, KohyaMetadata);
        SafeTensorsWriter.Write(backward, tensors.Reverse(), KohyaMetadata.Reverse().ToDictionary());
        Assert.Equal(forward.ToArray(), backward.ToArray());
    }

    [Fact]
    public void every_tensor_starts_aligned_to_its_element_size_and_the_header_to_eight_bytes()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, KohyaLikeTensors(), KohyaMetadata);
        var bytes = stream.ToArray();
        var headerLength = BitConverter.ToInt64(bytes);
        Assert.Equal(0, headerLength % 8);

        using var file = SafeTensorsFile.Parse(bytes);
        Assert.All(file.Tensors.Values, t => Assert.Equal(0, t.DataOffsets.Begin % t.DType.ElementSize()));
    }

    [Fact]
    public void reading_a_missing_tensor_or_into_a_wrong_sized_buffer_names_the_mistake()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, [new TensorData("a", DType.F32, [2], new byte[8])]);
        using var file = SafeTensorsFile.Parse(stream.ToArray());

        Assert.Equal("no tensor named 'b' in this file", Assert.Throws<KeyNotFoundException>(() => file.ReadBytes("b")).Message);
        Assert.StartsWith("tensor 'a' has 8 bytes but the destination holds 4",
            Assert.Throws<ArgumentException>(() => file.CopyTo("a", new byte[4])).Message);
    }

    [Fact]
    public void a_disposed_file_refuses_to_read()
    {
        var path = Path.Combine(_folder, "closed.safetensors");
        SafeTensorsWriter.Write(path, [new TensorData("a", DType.U8, [1], new byte[1])]);
        var file = SafeTensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadBytes("a"));
    }
}
