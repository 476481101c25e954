using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// Writes safetensors files byte-for-byte as the reference implementation does: tensors laid
/// out by descending dtype (alignment), then by name; compact header JSON with
/// <c>__metadata__</c> first; header padded with spaces to a multiple of 8 bytes.
/// </summary>
public static class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes the tensors and metadata to <paramref name="path"/> atomically: into a temporary
    /// file in the same folder, flushed to disk, then renamed over the target. On any failure the
    /// target keeps its previous content and the temporary file is removed.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors; names must be unique and data lengths must match shapes.</param>
    /// <param name="metadata">String metadata for <c>__metadata__</c>; omitted from the file when null or empty.</param>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid; nothing was written.</exception>
    public static void Write(string path, IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var layout = Plan(tensors, metadata);
        AtomicFile.Write(path, stream => WriteLayout(stream, layout));
    }

    /// <summary>Writes the tensors and metadata to <paramref name="destination"/> (not atomic; the stream is left open).</summary>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid; nothing was written.</exception>
    public static void Write(Stream destination, IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteLayout(destination, Plan(tensors, metadata));

    private sealed record Layout(byte[] Header, IReadOnlyList<TensorData> Tensors);

    /// <summary>Validates everything and builds the header, before a single byte is written.</summary>
    private static Layout Plan(IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var ordered = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in ordered)
        {
            Validate(tensor);
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"tensor '{tensor.Name}' is given twice", nameof(tensors));
            }
        }
        ordered.Sort(Order);
        return new Layout(Header(ordered.Select(t => (t.Name, t.DType, t.Shape, (long)t.Data.Length)), metadata), ordered);
    }

    /// <summary>
    /// The size in bytes of the file <see cref="Write(string, IEnumerable{TensorData}, IReadOnlyDictionary{string, string}?)"/>
    /// would write for tensors of these names, dtypes and shapes (no data needed: e.g. tensors on the meta device).
    /// </summary>
    public static long FileSize(IEnumerable<(string Name, DType DType, long[] Shape)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(t => (t.Name, t.DType, t.Shape, Bytes: t.Shape.Aggregate(1L, (n, d) => checked(n * d)) * t.DType.ElementSize())).ToList();
        entries.Sort(static (a, b) => Order((a.Name, a.DType), (b.Name, b.DType)));
        return 8 + Header(entries, metadata).Length + entries.Sum(e => e.Bytes);
    }

    /// <summary>Tensors lie by descending dtype (alignment), then by name.</summary>
    private static int Order(TensorData a, TensorData b) => Order((a.Name, a.DType), (b.Name, b.DType));

    private static int Order((string Name, DType DType) a, (string Name, DType DType) b) =>
        b.DType != a.DType ? b.DType.CompareTo(a.DType) : string.CompareOrdinal(a.Name, b.Name);

    /// <summary>The header of tensors in file order: compact JSON, <c>__metadata__</c> first, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] Header(IEnumerable<(string Name, DType DType, long[] Shape, long Bytes)> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder("{");
        if (metadata is { Count: > 0 })
        {
            json.Append("\"__metadata__\":{");
            foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                ArgumentNullException.ThrowIfNull(value, $"metadata '{key}'");
                AppendString(json, key).Append(':');
                AppendString(json, value).Append(',');
            }
            json[^1] = '}';
            json.Append(',');
        }
        var offset = 0L;
        foreach (var tensor in ordered)
        {
            AppendString(json, tensor.Name)
                .Append(":{\"dtype\":\"").Append(tensor.DType.HeaderName())
                .Append("\",\"shape\":[").AppendJoin(',', tensor.Shape)
                .Append("],\"data_offsets\":[").Append(offset).Append(',').Append(offset + tensor.Bytes)
                .Append("]},");
            offset += tensor.Bytes;
        }
        if (json.Length > 1)
        {
            json.Length--; // the last ','
        }
        json.Append('}');

        byte[] header;
        try
        {
            var byteCount = StrictUtf8.GetByteCount(json.ToString());
            // Pad to a multiple of 8 so the data area, and with it every tensor, starts aligned.
            header = new byte[(byteCount + 7) / 8 * 8];
            StrictUtf8.GetBytes(json.ToString(), header);
            header.AsSpan(byteCount).Fill((byte)' ');
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("a tensor name or metadata string is not valid UTF-16 (a lone surrogate)", e);
        }
        return header;
    }

    private static void Validate(TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor.Name, "tensor name");
        ArgumentNullException.ThrowIfNull(tensor.Shape, $"shape of tensor '{tensor.Name}'");
        if (tensor.Name == "__metadata__")
        {
            throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        if (!Enum.IsDefined(tensor.DType))
        {
            throw new ArgumentException($"tensor '{tensor.Name}': {tensor.DType} is not a safetensors dtype");
        }
        var elements = 1L;
        foreach (var dimension in tensor.Shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"tensor '{tensor.Name}': shape [{string.Join(",", tensor.Shape)}] has a negative dimension");
            }
            elements = checked(elements * dimension);
        }
        var needed = checked(elements * tensor.DType.ElementSize());
        if (needed != tensor.Data.Length)
        {
            throw new ArgumentException(
                $"tensor '{tensor.Name}': shape [{string.Join(",", tensor.Shape)}] × {tensor.DType} needs {needed} bytes but the data has {tensor.Data.Length}");
        }
    }

    private static void WriteLayout(Stream destination, Layout layout)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)layout.Header.Length);
        destination.Write(prefix);
        destination.Write(layout.Header);
        foreach (var tensor in layout.Tensors)
        {
            destination.Write(tensor.Data.Span);
        }
    }

    /// <summary>Appends a JSON string escaped as serde_json (the reference writer) does: only quote, backslash and control characters.</summary>
    private static StringBuilder AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => json.Append("\\\""),
                '\\' => json.Append("\\\\"),
                '\b' => json.Append("\\b"),
                '\f' => json.Append("\\f"),
                '\n' => json.Append("\\n"),
                '\r' => json.Append("\\r"),
                '\t' => json.Append("\\t"),
                < ' ' => json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => json.Append(c),
            };
        }
        return json.Append('"');
    }
}
