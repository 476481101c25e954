using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Kernel.Runs;

/// <summary>The engine's world families, as the language's checker sees them.</summary>
public sealed class WorldCatalog : IWorldCatalog
{
    /// <summary>The one instance.</summary>
    public static WorldCatalog Instance { get; } = new();

    private WorldCatalog() { }

    /// <inheritdoc/>
    public IReadOnlyList<string> Families => [.. Engine.World.Families.Names.Keys];

    /// <inheritdoc/>
    public IReadOnlyList<string> MembersOf(string family) =>
        Engine.World.Families.Names.TryGetValue(family, out var members) ? members : [];
}
