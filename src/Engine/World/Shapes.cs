namespace LoraNotebooks.Engine.World;

/// <summary>
/// The one-colour shapes of the world, held-in and concept alike, drawn by name. Every shape
/// fits a box of about 2e × 2e around its centre, so sizes and positions mean the same for all.
/// Figures are drawn by <see cref="Figure"/>.
/// </summary>
internal static class Shapes
{
    /// <summary>The named shape centred at (cx, cy) with half-size <paramref name="e"/>.</summary>
    public static Silhouette Draw(string name, float cx, float cy, float e) => name switch
    {
        "circle" => Silhouette.Circle(cx, cy, e),
        "square" => Silhouette.Box(cx, cy, 0.85f * e, 0.85f * e),
        "triangle" => Silhouette.Polygon(cx, cy - 0.95f * e, cx + 1.1f * e, cy + 0.95f * e, cx - 1.1f * e, cy + 0.95f * e),
        "star" => Silhouette.Star(cx, cy + 0.1f * e, 5, 1.1f * e, 0.45f * e),
        "heart" => Silhouette.Circle(cx - 0.45f * e, cy - 0.35f * e, 0.5f * e)
            .Union(Silhouette.Circle(cx + 0.45f * e, cy - 0.35f * e, 0.5f * e))
            .Union(Silhouette.Polygon(cx - 0.93f * e, cy - 0.2f * e, cx + 0.93f * e, cy - 0.2f * e, cx, cy + 0.95f * e)),
        "cross" => Silhouette.Box(cx, cy, 0.95f * e, 0.3f * e).Union(Silhouette.Box(cx, cy, 0.3f * e, 0.95f * e)),
        "crescent" => Silhouette.Circle(cx, cy, e).Subtract(Silhouette.Circle(cx + 0.5f * e, cy - 0.2f * e, 0.8f * e)),
        _ => throw new ArgumentException($"unknown shape '{name}'", nameof(name)),
    };
}
