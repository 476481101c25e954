using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Engine.World;

/// <summary>The world's families and members as the language's binder sees them.</summary>
public sealed class WorldCatalog : IWorldCatalog
{
    /// <summary>The one catalog of the built-in world.</summary>
    public static readonly WorldCatalog Instance = new();

    private WorldCatalog()
    {
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Families { get; } = Engine.World.Families.All.Select(f => f.Name).ToList();

    /// <inheritdoc />
    public IReadOnlyList<string> MembersOf(string family) => family == WorldSource.HeldIn
        ? HeldInWorld.Shapes
        : Engine.World.Families.All.FirstOrDefault(f => f.Name == family)?.Members.Select(m => m.Name).ToList() ?? [];
}
