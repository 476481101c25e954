namespace LoraNotebooks.Engine.World;

/// <summary>
/// The catalogue of families held out of pretraining. Commands and the training language check
/// family and member names against it.
/// </summary>
public static class Families
{
    /// <summary>Every family, in catalogue order: concept, character, style, accessory.</summary>
    public static IReadOnlyList<WorldFamily> All { get; } =
        [new ConceptFamily(), new CharacterFamily(), new StyleFamily(), new AccessoryFamily()];

    /// <summary>Family name → member names.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Names { get; } =
        All.ToDictionary(f => f.Name, f => (IReadOnlyList<string>)f.Members.Select(m => m.Name).ToArray());

    /// <summary>The family called <paramref name="name"/>.</summary>
    /// <exception cref="UserErrorException">No such family; the message lists the families.</exception>
    public static WorldFamily Get(string name) =>
        All.FirstOrDefault(f => f.Name == name)
        ?? throw new UserErrorException(
            $"unknown family '{name}'; families: {string.Join(", ", All.Select(f => f.Name))}");
}
