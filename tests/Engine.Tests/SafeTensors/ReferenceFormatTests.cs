using System.Runtime.InteropServices;
using System.Text;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

/// <summary>
/// Files crafted byte by byte as the reference implementation (Python's and Rust's safetensors)
/// writes them: we must read them, and write the same bytes from the same tensors.
/// </summary>
public sealed class ReferenceFormatTests
{
    // save_file({"a": torch.tensor([[1., 2.], [3., 4.]]), "b": torch.tensor([1., 2., 3.], dtype=torch.float16)},
    //           path, metadata={"format": "pt"})
    // The reference writer puts __metadata__ first, orders tensors by descending dtype then name,
    // and pads the 143-byte header with one space to 144 (0x90).
    private static readonly byte[] PythonFile =
    [
        0x90, 0, 0, 0, 0, 0, 0, 0,
        .. Encoding.ASCII.GetBytes(
            "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]}} "),
        0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40,
        0x00, 0x3c, 0x00, 0x40, 0x00, 0x42,
    ];

    [Fact]
    public void a_file_written_by_python_safetensors_is_read()
    {
        using var file = SafeTensorsFile.Parse(PythonFile);

        Assert.Equal("pt", Assert.Single(file.Metadata, p => p.Key == "format").Value);
        var a = file.Tensors["a"];
        Assert.Equal((DType.F32, "2,2", (0L, 16L)), (a.DType, string.Join(",", a.Shape), a.DataOffsets));
        Assert.Equal([1f, 2f, 3f, 4f], MemoryMarshal.Cast<byte, float>(file.ReadBytes("a")).ToArray());
        var b = file.Tensors["b"];
        Assert.Equal((DType.F16, "3", (16L, 22L)), (b.DType, string.Join(",", b.Shape), b.DataOffsets));
        Assert.Equal([(Half)1, (Half)2, (Half)3], MemoryMarshal.Cast<byte, Half>(file.ReadBytes("b")).ToArray());
    }

    [Fact]
    public void our_writer_produces_the_python_file_byte_for_byte()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(
            stream,
            [
                new TensorData("b", DType.F16, [3], PythonFile[^6..]),
                new TensorData("a", DType.F32, [2, 2], PythonFile[^22..^6]),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(PythonFile, stream.ToArray());
    }

    // The reference crate's own test vector: serialize of no tensors and no metadata.
    [Fact]
    public void an_empty_file_matches_the_reference_bytes()
    {
        byte[] reference = [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32];
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, []);
        Assert.Equal(reference, stream.ToArray());
        using var file = SafeTensorsFile.Parse(reference);
        Assert.Empty(file.Tensors);
    }

    // The reference crate's forced-alignment vector: a 65-byte header padded with 7 spaces to 72.
    [Fact]
    public void a_header_padded_for_alignment_matches_the_reference_bytes()
    {
        var values = new float[] { 0, 1, 2, 3, 4, 5 };
        byte[] reference =
        [
            72, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "),
            .. MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        ];
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, [new TensorData("attn0", DType.F32, [1, 1, 2, 3], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())]);
        Assert.Equal(reference, stream.ToArray());
    }

    [Fact]
    public void a_kohya_adapter_with_a_scalar_alpha_is_read()
    {
        // As kohya's sd-scripts saves through safetensors: alpha is a 0-dimensional F16 tensor.
        var header = "{\"__metadata__\":{\"ss_network_dim\":\"4\",\"ss_network_alpha\":\"1.0\"},"
            + "\"lora_unet_x.alpha\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}";
        header += new string(' ', (8 - header.Length % 8) % 8);
        using var file = SafeTensorsFile.Parse(SafeTensorsBytes.Build(Encoding.ASCII.GetBytes(header), [0x00, 0x3c]));

        var alpha = file.Tensors["lora_unet_x.alpha"];
        Assert.Empty(alpha.Shape);
        Assert.Equal((Half)1, BitConverter.ToHalf(file.ReadBytes(alpha.Name)));
        Assert.Equal("4", file.Metadata["ss_network_dim"]);
    }

    [Fact]
    public void non_ascii_names_and_control_characters_are_escaped_like_serde_json()
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, [], new Dictionary<string, string> { ["k"] = "é\"\\\n\u0001\u007f" });
        var header = Encoding.UTF8.GetString(stream.ToArray()[8..]).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"k\":\"é\\\"\\\\\\n\\u0001\u007f\"}}", header);
    }
}
