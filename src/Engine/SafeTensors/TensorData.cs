namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// A tensor to write: its name, element type, shape and raw little-endian bytes
/// (<c>Data.Length</c> must equal the element count × element size).
/// </summary>
public readonly record struct TensorData(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data);
