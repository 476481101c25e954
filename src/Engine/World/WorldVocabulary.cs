namespace LoraNotebooks.Engine.World;

/// <summary>
/// The classes of every label attribute, held-out families included: what a judge classifier
/// needs for its heads. Attributes that can be null have <see cref="None"/> as class 0.
/// </summary>
public static class WorldVocabulary
{
    /// <summary>The class of an attribute that does not apply (a plain scene's style, a character's colour).</summary>
    public const string None = "none";

    /// <summary>Attribute names, in the order <see cref="Encode"/> uses.</summary>
    public static IReadOnlyList<string> Attributes { get; } =
        ["shape", "colour", "size", "position", "background", "style", "character", "accessory"];

    /// <summary>Attribute name → its classes.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Classes { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["shape"] = [.. HeldInWorld.Shapes, .. Families.Names["concept"]],
        ["colour"] = [None, .. HeldInWorld.Colours],
        ["size"] = HeldInWorld.Sizes,
        ["position"] = HeldInWorld.Positions,
        ["background"] = HeldInWorld.Backgrounds,
        ["style"] = [None, .. Families.Names["style"]],
        ["character"] = [None, .. Families.Names["character"]],
        ["accessory"] = [None, .. Families.Names["accessory"]],
    };

    /// <summary>The class index of each attribute of <paramref name="labels"/>, in <see cref="Attributes"/> order.</summary>
    /// <exception cref="ArgumentException">A label is not in its vocabulary.</exception>
    public static int[] Encode(WorldLabels labels) => Attributes.Select(attribute =>
    {
        var value = labels.Get(attribute) ?? None;
        var classes = Classes[attribute];
        for (int i = 0; i < classes.Count; i++)
            if (classes[i] == value) return i;
        throw new ArgumentException($"'{value}' is not a {attribute} class", nameof(labels));
    }).ToArray();
}
