using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraNotebooks.Engine.Judging;

/// <summary>
/// The shape of a <see cref="WorldJudge"/>: three stages of two 3×3 convolutions (the second
/// halves the resolution), a hidden layer over the flattened features, and one head per
/// attribute. Saved as JSON in the weights file's metadata.
/// </summary>
/// <param name="Channels">Channels of the three stages.</param>
/// <param name="Hidden">Width of the hidden layer the heads read.</param>
/// <param name="ImageSize">Width and height of the pictures it reads.</param>
public sealed record JudgeConfig(
    [property: JsonPropertyName("channels")] IReadOnlyList<int> Channels,
    [property: JsonPropertyName("hidden")] int Hidden,
    [property: JsonPropertyName("image_size")] int ImageSize)
{
    /// <summary>The configuration of the shipped judge.</summary>
    public static JudgeConfig Default { get; } = new([16, 32, 64], 128, 32);

    /// <summary>The configuration as compact JSON (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JudgeJson.Default.JudgeConfig);

    /// <summary>Reads a configuration written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not such a configuration.</exception>
    public static JudgeConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize(json, JudgeJson.Default.JudgeConfig) ?? throw new JsonException("the judge config is null");
        if (config.Channels is not { Count: 3 } || config.Channels.Any(c => c < 1) || config.Hidden < 1 || config.ImageSize < 8 || config.ImageSize % 8 != 0)
            throw new JsonException($"not a valid judge config: {json}");
        return config;
    }
}
