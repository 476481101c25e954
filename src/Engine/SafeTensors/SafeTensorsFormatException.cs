namespace LoraNotebooks.Engine.SafeTensors;

/// <summary>
/// A safetensors file (or buffer) is malformed. This is the only exception the reader throws
/// for bad input; its message names the problem and, where there is one, the tensor.
/// </summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception for a problem with the file as a whole.</summary>
    public SafeTensorsFormatException(string problem)
        : base(problem)
    {
    }

    /// <summary>Creates the exception for a problem with one tensor's header entry.</summary>
    public SafeTensorsFormatException(string tensorName, string problem)
        : base($"tensor '{tensorName}': {problem}")
    {
        TensorName = tensorName;
    }

    /// <summary>The tensor the problem is about, or null when it is about the whole file.</summary>
    public string? TensorName { get; }
}
