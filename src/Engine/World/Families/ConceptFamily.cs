namespace LoraNotebooks.Engine.World;

/// <summary>New shapes, drawn like held-in shapes in any colour, size, position and background.</summary>
internal sealed class ConceptFamily : WorldFamily
{
    public override string Name => "concept";

    public override string Description => "new shapes, drawn like the held-in ones in any colour, size, position and background";

    public override IReadOnlyList<FamilyMember> Members { get; } =
    [
        new("star", "a five-pointed star"),
        new("heart", "a heart: two round lobes over a point"),
        new("cross", "a plus-shaped cross of two equal bars"),
        new("crescent", "a crescent moon opening to the right"),
    ];

    internal override IReadOnlyList<string> LeakageShapes => HeldInWorld.Shapes;

    internal override WorldLabels Sample(string member, Random rng) =>
        HeldInWorld.Sample(rng, shape: Member(member).Name);
}
