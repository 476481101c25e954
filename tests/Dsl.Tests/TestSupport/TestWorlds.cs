using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Dsl.Plans;

namespace LoraNotebooks.Dsl.Tests.TestSupport;

/// <summary>A stand-in for the engine's world generator, with the families the examples use.</summary>
public sealed class TestWorlds : IWorldCatalog
{
    private static readonly Dictionary<string, string[]> Members = new()
    {
        ["concept"] = ["star", "heart", "cross", "crescent"],
        ["character"] = ["ada", "bo", "kit"],
        ["style"] = ["outline", "striped", "dotted", "pixel"],
        ["accessory"] = ["hat", "scarf", "umbrella", "balloon"],
    };

    public static TestWorlds Instance { get; } = new();

    public IReadOnlyList<string> Families => [.. Members.Keys];

    public IReadOnlyList<string> MembersOf(string family) =>
        family == WorldSource.HeldIn ? ["circle", "square", "triangle", "figure"] : Members.GetValueOrDefault(family, []);
}
