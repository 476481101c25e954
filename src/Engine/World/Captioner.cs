namespace LoraNotebooks.Engine.World;

/// <summary>
/// Writes the natural caption for a set of labels: "a small red circle on the left, blue background".
/// </summary>
public static class Captioner
{
    /// <summary>
    /// The caption of a scene. <paramref name="word"/> names the held-out thing it shows (a
    /// concept's shape, a character, an accessory or a style): pass the member's name, or a
    /// trigger word chosen for a LoRA, or null to describe the scene without it
    /// ("a small red shape ..."), as the base model would. Held-in scenes ignore it.
    /// </summary>
    /// <example>
    /// concept star, word "sks": "a small red sks on the left, blue background";
    /// character ada: "ada, a large figure in the center, gray background";
    /// accessory hat: "a small green figure wearing a hat on the right, white background";
    /// style pixel: "pixel style, a large blue square on the left, black background".
    /// </example>
    public static string Caption(WorldLabels labels, string? word)
    {
        if (word is not null && string.IsNullOrWhiteSpace(word))
            throw new ArgumentException("a trigger word cannot be blank", nameof(word));
        var where = labels.Position switch
        {
            "left" => "on the left",
            "center" => "in the center",
            "right" => "on the right",
            _ => throw new ArgumentException($"unknown position '{labels.Position}'", nameof(labels)),
        };
        var background = $"{labels.Background} background";

        if (labels.Character is not null)
        {
            var figure = $"a {labels.Size} figure {where}, {background}";
            return word is null ? figure : $"{word}, {figure}";
        }

        // A character's name and a style lead, so they stay inside a small text encoder's window.
        var style = labels.Style is not null && word is not null ? $"{word} style, " : "";

        var noun = HeldInWorld.Shapes.Contains(labels.Shape) ? labels.Shape : word ?? "shape";
        var carrying = labels.Accessory is { } accessory && word is not null
            ? $" {AccessoryFamily.Verb(accessory)} {Article(word)} {word}"
            : "";
        return $"{style}a {labels.Size} {labels.Colour} {noun}{carrying} {where}, {background}";
    }

    private static string Article(string word) => "aeiou".Contains(char.ToLowerInvariant(word[0])) ? "an" : "a";
}
