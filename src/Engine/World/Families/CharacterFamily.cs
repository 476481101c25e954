namespace LoraNotebooks.Engine.World;

/// <summary>
/// Figures with a fixed, distinctive look of several colours, each with a name that serves as
/// its trigger word. Size, position and background vary; the look never does.
/// </summary>
internal sealed class CharacterFamily : WorldFamily
{
    private sealed record Look(FamilyMember Member, IReadOnlyList<string> Colours, Func<Figure, IReadOnlyList<(Silhouette Shape, string Colour)>> Parts);

    private static readonly Look[] Looks =
    [
        new(new("ada", "a yellow round head over a wide purple triangular dress"), ["yellow", "purple"], f =>
        [
            (Silhouette.Polygon(f.Cx - 0.1f * f.E, f.NeckY, f.Cx + 0.1f * f.E, f.NeckY, f.Cx + 0.65f * f.E, f.FeetY, f.Cx - 0.65f * f.E, f.FeetY), "purple"),
            (f.Head, "yellow"),
        ]),
        new(new("bo", "a robot: white square head with a red antenna ball, blue box body"), ["white", "blue", "red"], f =>
        [
            (Silhouette.Box(f.Cx, (f.NeckY + f.FeetY) / 2, 0.4f * f.E, (f.FeetY - f.NeckY) / 2), "blue"),
            (Silhouette.Box(f.Cx, f.HeadY, 0.3f * f.E, 0.28f * f.E), "white"),
            (Silhouette.Segment(f.Cx, f.HeadY - 0.28f * f.E, f.Cx, f.HeadY - 0.5f * f.E, MathF.Max(0.05f * f.E, 0.4f))
                .Union(Silhouette.Circle(f.Cx, f.HeadY - 0.55f * f.E, 0.14f * f.E)), "red"),
        ]),
        new(new("kit", "a cat: orange head with pointed ears over a green body"), ["orange", "green"], f =>
        [
            (f.Body, "green"),
            (f.Head.Union(Ear(f, -1)).Union(Ear(f, 1)), "orange"),
        ]),
    ];

    public override string Name => "character";

    public override string Description => "figures with a fixed look of several colours, each known by a name";

    public override IReadOnlyList<FamilyMember> Members { get; } = Looks.Select(l => l.Member).ToArray();

    internal override IReadOnlyList<string> LeakageShapes => ["figure"];

    internal override WorldLabels Sample(string member, Random rng)
    {
        var look = Find(member);
        return new WorldLabels(
            Shape: "figure",
            Colour: null,
            Size: HeldInWorld.Pick(rng, HeldInWorld.Sizes),
            Position: HeldInWorld.Pick(rng, HeldInWorld.Positions),
            Background: HeldInWorld.Pick(rng, HeldInWorld.Backgrounds.Where(b => !look.Colours.Contains(b)).ToList()),
            Character: look.Member.Name);
    }

    /// <summary>The coloured parts of a character standing as figure <paramref name="f"/>, back to front.</summary>
    internal static IEnumerable<(Silhouette Shape, Rgb Colour)> Parts(string member, Figure f) =>
        Find(member).Parts(f).Select(p => (p.Shape, Palette.Get(p.Colour)));

    private static Look Find(string member) =>
        Looks.FirstOrDefault(l => l.Member.Name == member)
        ?? throw new UserErrorException($"unknown character '{member}'");

    private static Silhouette Ear(Figure f, int side) => Silhouette.Polygon(
        f.Cx + side * 0.08f * f.E, f.HeadY - 0.2f * f.E,
        f.Cx + side * 0.32f * f.E, f.HeadY - 0.1f * f.E,
        f.Cx + side * 0.3f * f.E, f.HeadY - 0.55f * f.E);
}
