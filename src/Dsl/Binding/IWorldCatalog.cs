namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// The built-in world's families and their members, so that <c>world character "ada"</c> can be checked
/// (with did-you-mean) before anything runs. The engine's world generator implements it.
/// </summary>
public interface IWorldCatalog
{
    /// <summary>Family names, e.g. <c>concept</c>, <c>character</c>, <c>style</c>, <c>accessory</c>.</summary>
    IReadOnlyList<string> Families { get; }

    /// <summary>
    /// The members of <paramref name="family"/>, e.g. <c>ada</c>; empty for an unknown family. For
    /// <c>held_in</c> (the base model's own world), its shapes.
    /// </summary>
    IReadOnlyList<string> MembersOf(string family);
}
