using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// Validates a safetensors header: the 8-byte length prefix and the JSON that follows.
/// Every rule is checked before anything proportional to a declared size is allocated, and
/// every violation is a <see cref="SafeTensorsFormatException"/> (docs/safetensors.md lists them).
/// </summary>
internal static class SafeTensorsHeaderParser
{
    /// <summary>The largest header accepted, as in the reference implementation.</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The size of the little-endian header length that starts every file.</summary>
    public const int PrefixLength = 8;

    private const string MetadataKey = "__metadata__";

    // Deepest legitimate value: a number inside "shape" inside a tensor object inside the header.
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 3,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>The validated content of a header.</summary>
    public sealed record Header(IReadOnlyDictionary<string, TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>
    /// Reads the header length from the 8-byte prefix of a file of <paramref name="fileLength"/> bytes
    /// and checks that it is at least 2, at most <see cref="MaxHeaderLength"/> and fits in the file.
    /// </summary>
    public static int ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < PrefixLength || prefix.Length < PrefixLength)
        {
            throw new SafeTensorsFormatException(
                $"file is {fileLength} bytes long, too short for the {PrefixLength}-byte header length");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length < 2)
        {
            throw new SafeTensorsFormatException($"header length {length} is too small for a JSON object");
        }
        if (length > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException($"header length {length} exceeds the limit of {MaxHeaderLength} bytes");
        }
        if ((long)length > fileLength - PrefixLength)
        {
            throw new SafeTensorsFormatException(
                $"header length {length} reaches past the end of the file ({fileLength - PrefixLength} bytes follow the length)");
        }
        return (int)length;
    }

    /// <summary>
    /// Parses and validates the header JSON for a data area of <paramref name="dataLength"/> bytes.
    /// </summary>
    public static Header Parse(ReadOnlySpan<byte> json, long dataLength)
    {
        if (json.IsEmpty || json[0] != (byte)'{')
        {
            throw new SafeTensorsFormatException("header must start with '{'");
        }
        var invalidAt = IndexOfInvalidUtf8(json);
        if (invalidAt >= 0)
        {
            throw new SafeTensorsFormatException($"header is not valid UTF-8 (byte {invalidAt} of the header)");
        }

        var tensors = new SortedDictionary<string, TensorInfo>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string>? metadata = null;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            Advance(ref reader); // the '{' checked above
            while (Advance(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(MetadataKey))
                {
                    if (metadata is not null)
                    {
                        throw new SafeTensorsFormatException($"'{MetadataKey}' appears twice");
                    }
                    metadata = ReadMetadata(ref reader);
                    continue;
                }
                var name = reader.GetString()!;
                if (tensors.ContainsKey(name))
                {
                    throw new SafeTensorsFormatException(name, "appears twice in the header");
                }
                tensors.Add(name, ReadTensor(ref reader, name, dataLength));
            }
            // The reader itself rejects anything but whitespace after the closing brace.
            if (reader.Read())
            {
                throw new SafeTensorsFormatException("header has content after its closing '}'");
            }
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"header is not valid JSON: {e.Message}");
        }

        CheckTiling(tensors.Values, dataLength);
        return new Header(tensors.AsReadOnly(), metadata ?? new Dictionary<string, string>().AsReadOnly());
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(ref Utf8JsonReader reader)
    {
        const string Expected = $"'{MetadataKey}' must be an object whose values are strings";
        Advance(ref reader);
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // The reference implementation reads a null map as "no metadata"; so do we.
        if (reader.TokenType == JsonTokenType.Null)
        {
            return metadata.AsReadOnly();
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException(Expected);
        }
        while (Advance(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            Advance(ref reader);
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new SafeTensorsFormatException($"{Expected}; '{key}' is not a string");
            }
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw new SafeTensorsFormatException($"metadata key '{key}' appears twice");
            }
        }
        return metadata.AsReadOnly();
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long dataLength)
    {
        Advance(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException(name, "expected an object with 'dtype', 'shape' and 'data_offsets'");
        }
        DType? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (Advance(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                RejectRepeat(dtype is not null, name, "dtype");
                dtype = ReadDType(ref reader, name);
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                RejectRepeat(shape is not null, name, "shape");
                shape = ReadIntegers(ref reader, name, "shape");
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                RejectRepeat(offsets is not null, name, "data_offsets");
                offsets = ReadIntegers(ref reader, name, "data_offsets");
                if (offsets.Length != 2)
                {
                    throw new SafeTensorsFormatException(name, $"'data_offsets' must hold 2 integers, not {offsets.Length}");
                }
            }
            else
            {
                throw new SafeTensorsFormatException(name, $"unexpected key '{reader.GetString()!}'");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            var missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw new SafeTensorsFormatException(name, $"'{missing}' is missing");
        }

        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin)
        {
            throw new SafeTensorsFormatException(name, $"data_offsets [{begin},{end}] end before they begin");
        }
        if (end > dataLength)
        {
            throw new SafeTensorsFormatException(
                name, $"data_offsets [{begin},{end}] reach past the end of the {dataLength}-byte data area");
        }
        var needed = ByteCount(name, shape, dtype.Value);
        if (needed != end - begin)
        {
            throw new SafeTensorsFormatException(
                name, $"shape {FormatShape(shape)} × {dtype} needs {needed} bytes but data_offsets span {end - begin}");
        }
        return new TensorInfo(name, dtype.Value, shape, begin, end);
    }

    private static DType ReadDType(ref Utf8JsonReader reader, string name)
    {
        Advance(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new SafeTensorsFormatException(name, "'dtype' must be a string");
        }
        // Names are plain ASCII, so an escaped spelling is no name we know.
        if (reader.ValueIsEscaped || !DTypeExtensions.TryParseHeaderName(reader.ValueSpan, out var dtype))
        {
            throw new SafeTensorsFormatException(name, $"unknown dtype '{reader.GetString()!}'");
        }
        return dtype;
    }

    /// <summary>Reads an array of non-negative 64-bit integers, counting them first so the result is allocated once.</summary>
    private static long[] ReadIntegers(ref Utf8JsonReader reader, string name, string key)
    {
        Advance(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new SafeTensorsFormatException(name, $"'{key}' must be an array of non-negative integers");
        }
        var count = 0;
        var probe = reader;
        while (probe.Read() && probe.TokenType != JsonTokenType.EndArray)
        {
            if (probe.TokenType != JsonTokenType.Number || !probe.TryGetInt64(out var value) || value < 0)
            {
                throw new SafeTensorsFormatException(
                    name, $"'{key}' must be an array of integers from 0 to {long.MaxValue}, found {Describe(ref probe)}");
            }
            count++;
        }
        var values = new long[count];
        for (var i = 0; i < count; i++)
        {
            Advance(ref reader);
            values[i] = reader.GetInt64();
        }
        Advance(ref reader); // the ']'
        return values;
    }

    private static long ByteCount(string name, long[] shape, DType dtype)
    {
        try
        {
            var elements = 1L;
            foreach (var dimension in shape)
            {
                elements = checked(elements * dimension);
            }
            return checked(elements * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException(
                name, $"shape {FormatShape(shape)} × {dtype} overflows a 64-bit byte count");
        }
    }

    /// <summary>The tensors' spans, sorted, must cover the data area exactly: no overlap, no hole, nothing after.</summary>
    private static void CheckTiling(IEnumerable<TensorInfo> tensors, long dataLength)
    {
        var sorted = tensors.ToArray();
        // Empty tensors sort before a tensor starting at the same offset, so they may share it.
        Array.Sort(sorted, static (a, b) => a.DataOffsets.CompareTo(b.DataOffsets));
        var covered = 0L;
        TensorInfo? previous = null;
        foreach (var tensor in sorted)
        {
            var (begin, end) = tensor.DataOffsets;
            if (begin < covered)
            {
                throw new SafeTensorsFormatException(
                    tensor.Name, $"data_offsets [{begin},{end}] overlap tensor '{previous!.Name}' [{previous.DataOffsets.Begin},{previous.DataOffsets.End}]");
            }
            if (begin > covered)
            {
                throw new SafeTensorsFormatException(
                    tensor.Name, $"data_offsets [{begin},{end}] leave a hole of {begin - covered} bytes after offset {covered}");
            }
            covered = end;
            previous = tensor;
        }
        if (covered != dataLength)
        {
            throw new SafeTensorsFormatException(
                $"data area is {dataLength} bytes but the tensors cover only {covered}; {dataLength - covered} bytes at the end belong to no tensor");
        }
    }

    /// <summary>
    /// Reads the next token and, for a string or key written with escapes, checks that every
    /// \u escape of a surrogate is part of a pair: the UTF-8 check cannot see those, and
    /// Utf8JsonReader would otherwise throw InvalidOperationException when comparing or reading it.
    /// </summary>
    private static bool Advance(ref Utf8JsonReader reader)
    {
        var read = reader.Read();
        if (read && reader.ValueIsEscaped && reader.TokenType is (JsonTokenType.String or JsonTokenType.PropertyName)
            && HasLoneSurrogateEscape(reader.ValueSpan))
        {
            throw new SafeTensorsFormatException(
                $"header holds a \\u escape of a lone surrogate in the string at byte {reader.TokenStartIndex}");
        }
        return read;
    }

    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> raw)
    {
        var pendingHigh = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (pendingHigh)
                {
                    return true;
                }
                continue;
            }
            // The reader has already checked escape syntax: '\\' is followed by one character, or by 'u' and 4 hex digits.
            if (raw[i + 1] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return true;
                }
                i++;
                continue;
            }
            var unit = int.Parse(raw.Slice(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            i += 5;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (pendingHigh != isLow)
            {
                return true;
            }
            pendingHigh = unit is >= 0xD800 and <= 0xDBFF;
        }
        return pendingHigh;
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.String => "a string",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => "null",
    };

    private static void RejectRepeat(bool seen, string name, string key)
    {
        if (seen)
        {
            throw new SafeTensorsFormatException(name, $"'{key}' appears twice");
        }
    }

    private static string FormatShape(long[] shape) =>
        shape.Length <= 16 ? $"[{string.Join(",", shape)}]" : $"[{string.Join(",", shape[..16])},... ({shape.Length} dimensions)]";

    private static int IndexOfInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return -1;
        }
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }
            offset += consumed;
        }
        return -1;
    }
}
