namespace LoraNotebooks.Engine.World;

/// <summary>Ways of rendering any held-in scene. The drawing itself lives in <see cref="Canvas"/>.</summary>
internal sealed class StyleFamily : WorldFamily
{
    public override string Name => "style";

    public override string Description => "rendering styles applied to any held-in scene";

    public override IReadOnlyList<FamilyMember> Members { get; } =
    [
        new("outline", "shapes drawn as a thin outline, not filled"),
        new("striped", "shapes filled with diagonal stripes of their colour and a darker or lighter shade"),
        new("dotted", "shapes filled with a grid of round dots, like halftone print"),
        new("pixel", "the whole picture in coarse square pixels, eight across"),
    ];

    internal override IReadOnlyList<string> LeakageShapes => HeldInWorld.Shapes;

    internal override WorldLabels Sample(string member, Random rng) =>
        HeldInWorld.Sample(rng) with { Style = Member(member).Name };
}
