namespace LoraNotebooks.Engine.World;

/// <summary>
/// The ground truth of one world picture: what a judge classifier should read from it.
/// Null means "not applicable": a plain scene has no style, character or accessory, and a
/// character has no single colour (its colours are part of its fixed look).
/// </summary>
/// <param name="Shape">The main shape: a held-in shape, a concept's shape, or "figure" for characters and accessory scenes.</param>
/// <param name="Colour">The main shape's colour.</param>
/// <param name="Size">"small" or "large".</param>
/// <param name="Position">"left", "center" or "right".</param>
/// <param name="Background">The flat background colour.</param>
/// <param name="Style">The rendering style (family <c>style</c>).</param>
/// <param name="Character">The character shown (family <c>character</c>).</param>
/// <param name="Accessory">The accessory the figure wears or holds (family <c>accessory</c>).</param>
public sealed record WorldLabels(
    string Shape,
    string? Colour,
    string Size,
    string Position,
    string Background,
    string? Style = null,
    string? Character = null,
    string? Accessory = null)
{
    /// <summary>The value of one attribute by its vocabulary name (see <see cref="WorldVocabulary.Attributes"/>).</summary>
    public string? Get(string attribute) => attribute switch
    {
        "shape" => Shape,
        "colour" => Colour,
        "size" => Size,
        "position" => Position,
        "background" => Background,
        "style" => Style,
        "character" => Character,
        "accessory" => Accessory,
        _ => throw new ArgumentException($"unknown attribute '{attribute}'", nameof(attribute)),
    };
}
