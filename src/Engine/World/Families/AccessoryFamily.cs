namespace LoraNotebooks.Engine.World;

/// <summary>
/// Things a held-in figure wears or holds, each in a fixed colour. The figure's colour, size,
/// position and background vary; a held item is always on the side facing the picture's middle.
/// </summary>
internal sealed class AccessoryFamily : WorldFamily
{
    private sealed record Item(FamilyMember Member, string Colour, string Verb, Func<Figure, int, Silhouette> Draw);

    private static readonly Item[] Items =
    [
        new(new("hat", "a black top hat on the head"), "black", "wearing", (f, _) =>
        {
            float brimY = f.HeadY - 0.75f * f.HeadR;
            return Silhouette.Box(f.Cx, brimY, 0.45f * f.E, 0.08f * f.E)
                .Union(Silhouette.Box(f.Cx, brimY - 0.25f * f.E, 0.26f * f.E, 0.25f * f.E));
        }),
        new(new("scarf", "a white scarf round the neck with one end hanging down"), "white", "wearing", (f, side) =>
            Silhouette.Box(f.Cx, f.NeckY + 0.04f * f.E, 0.32f * f.E, 0.12f * f.E)
                .Union(Silhouette.Box(f.Cx + side * 0.18f * f.E, f.NeckY + 0.3f * f.E, 0.1f * f.E, 0.26f * f.E))),
        new(new("umbrella", "a purple umbrella held over the head"), "purple", "holding", (f, side) =>
        {
            var (hx, hy) = f.Hand(side);
            float baseX = f.Cx + side * 0.25f * f.E, baseY = f.HeadY - 0.32f * f.E;
            return Silhouette.Circle(baseX, baseY, 0.62f * f.E).Above(baseY)
                .Union(Silhouette.Segment(baseX, baseY, hx, hy, Line(f)));
        }),
        new(new("balloon", "an orange balloon on a string held in one hand"), "orange", "holding", (f, side) =>
        {
            var (hx, hy) = f.Hand(side);
            float bx = f.Cx + side * 0.8f * f.E, by = f.Cy - 0.75f * f.E, r = 0.32f * f.E;
            return Silhouette.Circle(bx, by, r).Union(Silhouette.Segment(bx, by + r, hx, hy, Line(f)));
        }),
    ];

    public override string Name => "accessory";

    public override string Description => "things a plain figure wears or holds, each in a fixed colour";

    public override IReadOnlyList<FamilyMember> Members { get; } = Items.Select(i => i.Member).ToArray();

    internal override IReadOnlyList<string> LeakageShapes => ["figure"];

    internal override WorldLabels Sample(string member, Random rng)
    {
        var item = Find(member);
        return HeldInWorld.Sample(rng, shape: "figure", reserved: [item.Colour]) with { Accessory = item.Member.Name };
    }

    /// <summary>"wearing" or "holding": how a caption attaches the accessory to the figure.</summary>
    internal static string Verb(string member) => Find(member).Verb;

    /// <summary>The accessory on figure <paramref name="f"/>; side -1 or +1 says which hand holds it.</summary>
    internal static (Silhouette Shape, Rgb Colour) Draw(string member, Figure f, int side)
    {
        var item = Find(member);
        return (item.Draw(f, side), Palette.Get(item.Colour));
    }

    private static Item Find(string member) =>
        Items.FirstOrDefault(i => i.Member.Name == member)
        ?? throw new UserErrorException($"unknown accessory '{member}'");

    // Strings and handles: thin, but never so thin that anti-aliasing fades them away.
    private static float Line(Figure f) => MathF.Max(0.06f * f.E, 0.45f);
}
