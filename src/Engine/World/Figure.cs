namespace LoraNotebooks.Engine.World;

/// <summary>
/// The proportions of a standing figure of half-height <paramref name="E"/> centred at
/// (<paramref name="Cx"/>, <paramref name="Cy"/>): a round head over a trapezoid body. The held-in
/// "figure" shape, the characters and the accessories all hang off these points.
/// </summary>
internal readonly record struct Figure(float Cx, float Cy, float E)
{
    public float HeadY => Cy - 0.62f * E;

    public float HeadR => 0.3f * E;

    public float NeckY => Cy - 0.26f * E;

    public float FeetY => Cy + E;

    public Silhouette Head => Silhouette.Circle(Cx, HeadY, HeadR);

    public Silhouette Body => Silhouette.Polygon(
        Cx - 0.22f * E, NeckY, Cx + 0.22f * E, NeckY, Cx + 0.5f * E, FeetY, Cx - 0.5f * E, FeetY);

    /// <summary>Head and body as one shape: the held-in "figure".</summary>
    public Silhouette Outline => Head.Union(Body);

    /// <summary>Where a hand would be on one side (side = -1 left, +1 right).</summary>
    public (float X, float Y) Hand(int side) => (Cx + side * 0.4f * E, Cy + 0.2f * E);
}
