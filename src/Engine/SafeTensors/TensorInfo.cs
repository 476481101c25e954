namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>One tensor's entry in a safetensors header, already validated.</summary>
public sealed class TensorInfo
{
    internal TensorInfo(string name, DType dtype, long[] shape, long begin, long end)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        DataOffsets = (begin, end);
    }

    /// <summary>The tensor's key in the header, e.g. <c>lora_unet_x.lora_up.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a 0-dimensional (scalar) tensor. Do not modify.</summary>
    public long[] Shape { get; }

    /// <summary>Where the data lies, relative to the start of the data area: [Begin, End).</summary>
    public (long Begin, long End) DataOffsets { get; }

    /// <summary>The size of the tensor's data in bytes (element count × element size).</summary>
    public long ByteLength => DataOffsets.End - DataOffsets.Begin;

    /// <summary>The number of elements (1 for a 0-dimensional tensor).</summary>
    public long ElementCount => ByteLength / DType.ElementSize();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DType} [{string.Join(",", Shape)}]";
}
