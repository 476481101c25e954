using System.Text.Json;
using System.Text.Json.Serialization;
using LoraNotebooks.Engine.Diffusion;

namespace LoraNotebooks.Engine.Models;

/// <summary>
/// Everything needed to rebuild a <see cref="TinyDiffusionModel"/> before loading its weights; it
/// travels as JSON (snake_case keys, as diffusers' config.json) in the weights file's metadata.
/// </summary>
public sealed record TinyDiffusionConfig
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = false,
    };

    /// <summary>The text encoder's shape.</summary>
    public TextEncoderConfig TextEncoder { get; init; } = new();

    /// <summary>The UNet's shape.</summary>
    public UNetConfig Unet { get; init; } = new();

    /// <summary>The diffusion process the model is trained for.</summary>
    public DiffusionConfig Diffusion { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> if the parts do not fit together.</summary>
    public void Validate()
    {
        TextEncoder.Validate();
        Unet.Validate();
        if (TextEncoder.VocabSize != ByteTokenizer.VocabSize)
            throw new ArgumentException($"text_encoder vocab_size must be {ByteTokenizer.VocabSize} for byte-level tokens, not {TextEncoder.VocabSize}");
        if (Unet.CrossAttentionDim != TextEncoder.HiddenSize)
            throw new ArgumentException($"unet cross_attention_dim {Unet.CrossAttentionDim} must equal text_encoder hidden_size {TextEncoder.HiddenSize}");
    }

    /// <summary>This config as one line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The config in <paramref name="json"/>; absent fields keep their defaults.</summary>
    public static TinyDiffusionConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TinyDiffusionConfig>(json, Json) ?? throw new ArgumentException("the model config JSON is empty");
}
