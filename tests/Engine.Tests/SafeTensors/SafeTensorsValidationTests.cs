using System.Buffers.Binary;
using System.Text;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.SafeTensors;

public sealed class SafeTensorsValidationTests
{
    private static string Reject(byte[] file) => Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(file)).Message;

    private static string Reject(string header, int dataLength) => Reject(SafeTensorsBytes.Build(header, dataLength));

    private static byte[] WithPrefix(ulong headerLength, int totalLength)
    {
        var bytes = new byte[totalLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        return bytes;
    }

    [Fact]
    public void a_file_shorter_than_the_length_prefix_is_rejected() =>
        Assert.Equal("file is 3 bytes long, too short for the 8-byte header length", Reject(new byte[] { 1, 2, 3 }));

    [Fact]
    public void a_header_length_below_two_is_rejected() =>
        Assert.Equal("header length 1 is too small for a JSON object", Reject(WithPrefix(1, 16)));

    [Fact]
    public void a_header_length_over_100_megabytes_is_rejected_before_anything_is_allocated() =>
        Assert.Equal("header length 100000001 exceeds the limit of 100000000 bytes", Reject(WithPrefix(100_000_001, 16)));

    [Fact]
    public void a_header_length_of_two_to_the_64_minus_one_is_rejected() =>
        Assert.Equal("header length 18446744073709551615 exceeds the limit of 100000000 bytes", Reject(WithPrefix(ulong.MaxValue, 16)));

    [Fact]
    public void a_header_length_past_the_end_of_the_file_is_rejected() =>
        Assert.Equal("header length 50 reaches past the end of the file (10 bytes follow the length)", Reject(WithPrefix(50, 18)));

    [Fact]
    public void a_header_that_does_not_start_with_a_brace_is_rejected() =>
        Assert.Equal("header must start with '{'", Reject(" {}", 0));

    [Fact]
    public void a_header_that_is_not_utf8_is_rejected_with_the_byte_position()
    {
        var header = Encoding.UTF8.GetBytes("{\"a\":{}}");
        header[3] = 0xFF;
        Assert.Equal("header is not valid UTF-8 (byte 3 of the header)", Reject(SafeTensorsBytes.Build(header, [])));
    }

    [Theory]
    [InlineData("{\"a\":}")]
    [InlineData("{} x")]
    [InlineData("{/* comment */}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],},}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\"")]
    public void a_header_that_is_not_json_is_rejected_with_the_json_error(string header) =>
        Assert.StartsWith("header is not valid JSON: ", Reject(header, 4));

    [Fact]
    public void nesting_deeper_than_a_shape_array_is_rejected_by_the_depth_limit() =>
        Assert.StartsWith("header is not valid JSON: The maximum configured depth of 3 has been exceeded", Reject("{\"a\":{\"shape\":" + new string('[', 100_000) + new string(']', 100_000) + "}}", 0));

    [Fact]
    public void deep_nesting_in_metadata_is_rejected() =>
        Assert.Equal("'__metadata__' must be an object whose values are strings; 'k' is not a string",
            Reject("{\"__metadata__\":{\"k\":" + new string('[', 1000) + new string(']', 1000) + "}}", 0));

    [Fact]
    public void a_tensor_entry_that_is_not_an_object_is_rejected() =>
        Assert.Equal("tensor 'a': expected an object with 'dtype', 'shape' and 'data_offsets'", Reject("{\"a\":[1]}", 0));

    [Fact]
    public void an_unknown_key_in_a_tensor_entry_is_rejected() =>
        Assert.Equal("tensor 'a': unexpected key 'extra'",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"extra\":1}}", 4));

    [Theory]
    [InlineData("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", "dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "shape")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", "data_offsets")]
    public void a_missing_key_in_a_tensor_entry_is_rejected(string header, string key) =>
        Assert.Equal($"tensor 'a': '{key}' is missing", Reject(header, 4));

    [Fact]
    public void a_repeated_key_in_a_tensor_entry_is_rejected() =>
        Assert.Equal("tensor 'a': 'dtype' appears twice",
            Reject("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4));

    [Fact]
    public void a_repeated_tensor_name_is_rejected() =>
        Assert.Equal("tensor 'a': appears twice in the header",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}", 8));

    [Fact]
    public void a_tensor_name_spelled_with_escapes_is_still_a_repeat() =>
        Assert.Equal("tensor 'a': appears twice in the header",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}", 8));

    [Theory]
    [InlineData("F31")]
    [InlineData("f32")]
    [InlineData("F32 ")]
    [InlineData("\\u0046\\u0033\\u0032")]
    public void an_unknown_dtype_is_rejected(string dtype) =>
        Assert.StartsWith("tensor 'a': unknown dtype '",
            Reject($"{{\"a\":{{\"dtype\":\"{dtype}\",\"shape\":[],\"data_offsets\":[0,4]}}}}", 4));

    [Fact]
    public void a_dtype_that_is_not_a_string_is_rejected() =>
        Assert.Equal("tensor 'a': 'dtype' must be a string", Reject("{\"a\":{\"dtype\":32,\"shape\":[],\"data_offsets\":[0,4]}}", 4));

    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1e3")]
    [InlineData("9223372036854775808", "9223372036854775808")]
    [InlineData("\"4\"", "a string")]
    [InlineData("null", "null")]
    public void a_shape_entry_that_is_not_a_non_negative_integer_is_rejected(string entry, string found) =>
        Assert.Equal($"tensor 'a': 'shape' must be an array of integers from 0 to 9223372036854775807, found {found}",
            Reject($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[1,{entry}],\"data_offsets\":[0,4]}}}}", 4));

    [Fact]
    public void a_shape_whose_byte_count_overflows_is_rejected() =>
        Assert.Equal("tensor 'a': shape [4294967296,4294967296] × F32 overflows a 64-bit byte count",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4));

    [Fact]
    public void a_shape_whose_element_count_fits_but_byte_count_overflows_is_rejected() =>
        Assert.Equal("tensor 'a': shape [4611686018427387904] × F32 overflows a 64-bit byte count",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4));

    [Fact]
    public void a_shape_that_does_not_match_the_byte_span_is_rejected_naming_both() =>
        Assert.Equal("tensor 'lora_unet_x.lora_up.weight': shape [4,8] × F16 needs 64 bytes but data_offsets span 60",
            Reject("{\"lora_unet_x.lora_up.weight\":{\"dtype\":\"F16\",\"shape\":[4,8],\"data_offsets\":[0,60]}}", 60));

    [Theory]
    [InlineData("[0]", "'data_offsets' must hold 2 integers, not 1")]
    [InlineData("[0,4,8]", "'data_offsets' must hold 2 integers, not 3")]
    [InlineData("[-4,0]", "'data_offsets' must be an array of integers from 0 to 9223372036854775807, found -4")]
    [InlineData("{\"begin\":0}", "'data_offsets' must be an array of non-negative integers")]
    [InlineData("[4,0]", "data_offsets [4,0] end before they begin")]
    [InlineData("[4,8]", "data_offsets [4,8] reach past the end of the 4-byte data area")]
    public void data_offsets_that_are_malformed_or_outside_the_data_area_are_rejected(string offsets, string problem) =>
        Assert.Equal($"tensor 'a': {problem}", Reject($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":{offsets}}}}}", 4));

    [Fact]
    public void overlapping_tensors_are_rejected() =>
        Assert.Equal("tensor 'b': data_offsets [4,12] overlap tensor 'a' [0,8]",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));

    [Fact]
    public void an_empty_tensor_inside_another_tensor_is_an_overlap() =>
        Assert.Equal("tensor 'b': data_offsets [4,4] overlap tensor 'a' [0,8]",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8));

    [Fact]
    public void a_hole_between_tensors_is_rejected() =>
        Assert.Equal("tensor 'b': data_offsets [8,12] leave a hole of 4 bytes after offset 4",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}", 12));

    [Fact]
    public void a_hole_before_the_first_tensor_is_rejected() =>
        Assert.Equal("tensor 'a': data_offsets [4,8] leave a hole of 4 bytes after offset 0",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}", 8));

    [Fact]
    public void bytes_after_the_last_tensor_are_rejected() =>
        Assert.Equal("data area is 8 bytes but the tensors cover only 4; 4 bytes at the end belong to no tensor",
            Reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 8));

    [Theory]
    [InlineData("[\"k\",\"v\"]", "'__metadata__' must be an object whose values are strings")]
    [InlineData("\"k=v\"", "'__metadata__' must be an object whose values are strings")]
    [InlineData("{\"k\":1}", "'__metadata__' must be an object whose values are strings; 'k' is not a string")]
    [InlineData("{\"k\":null}", "'__metadata__' must be an object whose values are strings; 'k' is not a string")]
    [InlineData("{\"k\":{\"nested\":\"v\"}}", "'__metadata__' must be an object whose values are strings; 'k' is not a string")]
    [InlineData("{\"k\":\"v\",\"k\":\"w\"}", "metadata key 'k' appears twice")]
    public void metadata_that_is_not_a_string_map_is_rejected(string metadata, string problem) =>
        Assert.Equal(problem, Reject($"{{\"__metadata__\":{metadata}}}", 0));

    [Fact]
    public void metadata_given_twice_is_rejected() =>
        Assert.Equal("'__metadata__' appears twice", Reject("{\"__metadata__\":{},\"__metadata__\":{}}", 0));

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udfff")]
    [InlineData("\\udfff\\ud800")]
    [InlineData("\\ud800\\n")]
    [InlineData("\\ud800x")]
    [InlineData("x\\ud800\\ud800")]
    public void a_lone_surrogate_escape_in_a_name_is_rejected(string name) =>
        Assert.Equal("header holds a \\u escape of a lone surrogate in the string at byte 1",
            Reject($"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}}}", 4));

    [Fact]
    public void a_lone_surrogate_escape_in_metadata_is_rejected() =>
        Assert.Equal("header holds a \\u escape of a lone surrogate in the string at byte 21",
            Reject("{\"__metadata__\":{\"k\":\"\\udc00\"}}", 0));

    [Fact]
    public void an_escaped_surrogate_pair_is_a_valid_name()
    {
        using var file = SafeTensorsFile.Parse(SafeTensorsBytes.Build("{\"\\ud83d\\ude00\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}", 1));
        Assert.Equal("\U0001F600", Assert.Single(file.Tensors.Keys));
    }

    [Fact]
    public void a_null_metadata_map_is_read_as_no_metadata_like_the_reference_reader_does()
    {
        using var file = SafeTensorsFile.Parse(SafeTensorsBytes.Build("{\"__metadata__\":null}", 0));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void tensors_may_be_listed_in_any_order_and_empty_tensors_may_share_an_offset()
    {
        var header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
            + "\"e\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
            + "\"f\":{\"dtype\":\"BF16\",\"shape\":[2,0],\"data_offsets\":[4,4]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}   ";
        using var file = SafeTensorsFile.Parse(SafeTensorsBytes.Build(header, 8));
        Assert.Equal(["a", "b", "e", "f"], file.Tensors.Keys);
        Assert.Equal(0, file.Tensors["e"].ByteLength);
    }

    [Fact]
    public void a_truncated_file_on_disk_is_rejected_by_open()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lora-truncated-{Guid.NewGuid():N}.safetensors");
        try
        {
            var bytes = SafeTensorsBytes.Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
            File.WriteAllBytes(path, bytes[..^3]);
            var message = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path)).Message;
            Assert.Equal("tensor 'a': data_offsets [0,8] reach past the end of the 5-byte data area", message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void opening_a_file_that_claims_a_huge_header_allocates_nothing_in_proportion_to_the_claim()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lora-claim-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, WithPrefix(99_999_999, 64));
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void an_empty_file_on_disk_is_rejected_by_open()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lora-empty-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, []);
            Assert.Equal("file is 0 bytes long, too short for the 8-byte header length",
                Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
