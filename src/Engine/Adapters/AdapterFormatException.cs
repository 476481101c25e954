namespace LoraNotebooks.Engine.Adapters;

/// <summary>An adapter file that is well-formed safetensors but not a LoRA this model can take; the message says why.</summary>
public sealed class AdapterFormatException(string message) : Exception(message);
