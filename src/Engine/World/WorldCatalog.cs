using LoraNotebooks.Dsl.Binding;

namespace LoraNotebooks.Engine.World;

/// <summary>The world's families and members as the training language checks them (<c>world concept "star"</c>).</summary>
public sealed class WorldCatalog : IWorldCatalog
{
    /// <summary>The one catalog of the built-in world.</summary>
    public static WorldCatalog Instance { get; } = new();

    private WorldCatalog()
    {
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Families => [.. World.Families.All.Select(f => f.Name)];

    /// <inheritdoc/>
    public IReadOnlyList<string> MembersOf(string family) => World.Families.Names.TryGetValue(family, out var members) ? members : [];
}
