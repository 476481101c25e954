using Microsoft.Win32.SafeHandles;

namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// A validated safetensors file: its tensor table and metadata, with tensor data read on demand.
/// </summary>
/// <remarks>
/// Opening reads only the 8-byte length and the header; each tensor's bytes are read from the
/// file straight into the caller's buffer when asked for, so a large file is never held in
/// memory, let alone twice. Reads use positioned I/O and may run concurrently.
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly SafeFileHandle? _file;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly long _dataStart;

    private SafeTensorsFile(SafeTensorsHeaderParser.Header header, long dataStart, SafeFileHandle? file, ReadOnlyMemory<byte> memory)
    {
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _dataStart = dataStart;
        _file = file;
        _memory = memory;
    }

    /// <summary>The tensors by name, enumerated in ordinal name order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none), in ordinal key order.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="SafeTensorsFormatException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsFile Open(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var fileLength = RandomAccess.GetLength(file);
            Span<byte> prefix = stackalloc byte[SafeTensorsHeaderParser.PrefixLength];
            ReadExactly(file, prefix[..(int)Math.Min(prefix.Length, fileLength)], 0);
            var headerLength = SafeTensorsHeaderParser.ReadHeaderLength(prefix, fileLength);
            // Bounded by the checks above: at most 100 MB and never more than the file holds.
            var json = new byte[headerLength];
            ReadExactly(file, json, SafeTensorsHeaderParser.PrefixLength);
            var dataStart = SafeTensorsHeaderParser.PrefixLength + (long)headerLength;
            var header = SafeTensorsHeaderParser.Parse(json, fileLength - dataStart);
            return new SafeTensorsFile(header, dataStart, file, ReadOnlyMemory<byte>.Empty);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates a whole safetensors file held in memory. The result reads tensor data from
    /// <paramref name="bytes"/> without copying it, so the caller must not change it meanwhile.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a well-formed safetensors file.</exception>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        var headerLength = SafeTensorsHeaderParser.ReadHeaderLength(span, span.Length);
        var dataStart = SafeTensorsHeaderParser.PrefixLength + headerLength;
        var header = SafeTensorsHeaderParser.Parse(span.Slice(SafeTensorsHeaderParser.PrefixLength, headerLength), span.Length - dataStart);
        return new SafeTensorsFile(header, dataStart, null, bytes);
    }

    /// <summary>Reads the tensor's bytes into a new array of exactly its size.</summary>
    /// <exception cref="KeyNotFoundException">There is no tensor of that name.</exception>
    /// <exception cref="NotSupportedException">The tensor is larger than an array can hold (2 GiB); use <see cref="CopyTo"/> in parts.</exception>
    public byte[] ReadBytes(string name)
    {
        var tensor = Find(name);
        if (tensor.ByteLength > Array.MaxLength)
        {
            throw new NotSupportedException($"tensor '{name}' has {tensor.ByteLength} bytes, more than one array can hold");
        }
        var bytes = new byte[tensor.ByteLength];
        Read(tensor, bytes);
        return bytes;
    }

    /// <summary>Copies the tensor's bytes into <paramref name="destination"/>, whose length must equal <see cref="TensorInfo.ByteLength"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no tensor of that name.</exception>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    public void CopyTo(string name, Span<byte> destination)
    {
        var tensor = Find(name);
        if (destination.Length != tensor.ByteLength)
        {
            throw new ArgumentException(
                $"tensor '{name}' has {tensor.ByteLength} bytes but the destination holds {destination.Length}", nameof(destination));
        }
        Read(tensor, destination);
    }

    /// <summary>Closes the file (nothing to do for an in-memory one).</summary>
    public void Dispose() => _file?.Dispose();

    private TensorInfo Find(string name)
    {
        ObjectDisposedException.ThrowIf(_file?.IsClosed == true, this);
        return Tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"no tensor named '{name}' in this file");
    }

    private void Read(TensorInfo tensor, Span<byte> destination)
    {
        var offset = _dataStart + tensor.DataOffsets.Begin;
        if (_file is null)
        {
            _memory.Span.Slice((int)offset, destination.Length).CopyTo(destination);
        }
        else
        {
            ReadExactly(_file, destination, offset);
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
            {
                throw new SafeTensorsFormatException($"file ended at byte {offset}: it was truncated while open");
            }
            buffer = buffer[read..];
            offset += read;
        }
    }
}
