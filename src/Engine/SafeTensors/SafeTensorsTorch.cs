using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>Moves tensors between TorchSharp and safetensors files without an intermediate copy on load.</summary>
public static class SafeTensorsTorch
{
    /// <summary>The safetensors dtype of a TorchSharp scalar type.</summary>
    public static DType ToDType(ScalarType type) => type switch
    {
        ScalarType.Float64 => DType.F64,
        ScalarType.Float32 => DType.F32,
        ScalarType.Float16 => DType.F16,
        ScalarType.BFloat16 => DType.BF16,
        ScalarType.Int64 => DType.I64,
        ScalarType.Int32 => DType.I32,
        ScalarType.Int16 => DType.I16,
        ScalarType.Int8 => DType.I8,
        ScalarType.Byte => DType.U8,
        ScalarType.Bool => DType.BOOL,
        _ => throw new NotSupportedException($"tensors of type {type} cannot be stored in safetensors here"),
    };

    /// <summary>The TorchSharp scalar type of a safetensors dtype.</summary>
    public static ScalarType ToScalarType(DType type) => type switch
    {
        DType.F64 => ScalarType.Float64,
        DType.F32 => ScalarType.Float32,
        DType.F16 => ScalarType.Float16,
        DType.BF16 => ScalarType.BFloat16,
        DType.I64 => ScalarType.Int64,
        DType.I32 => ScalarType.Int32,
        DType.I16 => ScalarType.Int16,
        DType.I8 => ScalarType.Int8,
        DType.U8 => ScalarType.Byte,
        DType.BOOL => ScalarType.Bool,
        _ => throw new NotSupportedException($"safetensors dtype {type} has no TorchSharp counterpart"),
    };

    /// <summary>
    /// The bytes of <paramref name="tensor"/> (moved to the CPU, made contiguous, converted to
    /// <paramref name="storeAs"/> when given) as an entry for <see cref="SafeTensorsWriter"/>.
    /// </summary>
    public static TensorData ToTensorData(string name, Tensor tensor, ScalarType? storeAs = null)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().to(storeAs ?? tensor.dtype).cpu().contiguous();
        return new TensorData(name, ToDType(cpu.dtype), cpu.shape, cpu.bytes.ToArray());
    }

    /// <summary>Reads tensor <paramref name="name"/> straight into a new tensor's memory, then moves it to <paramref name="device"/>.</summary>
    public static Tensor ReadTensor(this SafeTensorsFile file, string name, Device? device = null)
    {
        var info = file.Tensors.TryGetValue(name, out var found)
            ? found
            : throw new KeyNotFoundException($"the file has no tensor named '{name}'");
        var tensor = empty(info.Shape, ToScalarType(info.DType));
        if (info.ByteLength > 0)
            file.CopyTo(name, tensor.bytes);
        return device is null || device.type == DeviceType.CPU ? tensor : tensor.to(device);
    }
}
