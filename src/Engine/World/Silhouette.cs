namespace LoraNotebooks.Engine.World;

/// <summary>
/// A signed distance, in pixels, from the point (x, y) to an outline: negative inside, positive
/// outside. Coverage for anti-aliasing falls out of it: a pixel centre at distance d is covered
/// by about <c>clamp(0.5 - d, 0, 1)</c>.
/// </summary>
internal delegate float Sdf(float x, float y);

/// <summary>
/// A shape placed on the canvas in pixel coordinates (y grows downwards): its distance function
/// and a bounding box outside which it is surely empty, so filling it only visits nearby pixels.
/// The primitives follow Inigo Quilez's 2-D distance functions.
/// </summary>
internal readonly record struct Silhouette(Sdf Distance, float MinX, float MinY, float MaxX, float MaxY)
{
    /// <summary>A disc of radius <paramref name="r"/> around (cx, cy).</summary>
    public static Silhouette Circle(float cx, float cy, float r) =>
        new((x, y) => MathF.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) - r,
            cx - r, cy - r, cx + r, cy + r);

    /// <summary>An axis-aligned box around (cx, cy) with half-sizes hw and hh.</summary>
    public static Silhouette Box(float cx, float cy, float hw, float hh) =>
        new((x, y) =>
        {
            float qx = MathF.Abs(x - cx) - hw, qy = MathF.Abs(y - cy) - hh;
            float ox = MathF.Max(qx, 0), oy = MathF.Max(qy, 0);
            return MathF.Sqrt(ox * ox + oy * oy) + MathF.Min(MathF.Max(qx, qy), 0);
        }, cx - hw, cy - hh, cx + hw, cy + hh);

    /// <summary>A line from (ax, ay) to (bx, by) with round ends, <paramref name="halfWidth"/> thick on each side.</summary>
    public static Silhouette Segment(float ax, float ay, float bx, float by, float halfWidth)
    {
        float ex = bx - ax, ey = by - ay, ee = ex * ex + ey * ey;
        return new((x, y) =>
        {
            float wx = x - ax, wy = y - ay;
            float t = Math.Clamp((wx * ex + wy * ey) / ee, 0, 1);
            float dx = wx - ex * t, dy = wy - ey * t;
            return MathF.Sqrt(dx * dx + dy * dy) - halfWidth;
        }, MathF.Min(ax, bx) - halfWidth, MathF.Min(ay, by) - halfWidth,
           MathF.Max(ax, bx) + halfWidth, MathF.Max(ay, by) + halfWidth);
    }

    /// <summary>Any simple polygon given as x0, y0, x1, y1, ... in order around its edge.</summary>
    public static Silhouette Polygon(params float[] xy)
    {
        int n = xy.Length / 2;
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        for (int i = 0; i < n; i++)
        {
            minX = MathF.Min(minX, xy[2 * i]); maxX = MathF.Max(maxX, xy[2 * i]);
            minY = MathF.Min(minY, xy[2 * i + 1]); maxY = MathF.Max(maxY, xy[2 * i + 1]);
        }
        return new((x, y) =>
        {
            float best = float.MaxValue, sign = 1;
            for (int i = 0, j = n - 1; i < n; j = i, i++)
            {
                float vix = xy[2 * i], viy = xy[2 * i + 1];
                float ex = xy[2 * j] - vix, ey = xy[2 * j + 1] - viy;
                float wx = x - vix, wy = y - viy;
                float t = Math.Clamp((wx * ex + wy * ey) / (ex * ex + ey * ey), 0, 1);
                float bx = wx - ex * t, by = wy - ey * t;
                best = MathF.Min(best, bx * bx + by * by);
                // Winding test: each edge the point's horizontal ray crosses flips inside/outside.
                bool c1 = y >= viy, c2 = y < xy[2 * j + 1], c3 = ex * wy > ey * wx;
                if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) sign = -sign;
            }
            return sign * MathF.Sqrt(best);
        }, minX, minY, maxX, maxY);
    }

    /// <summary>A regular polygon or star: <paramref name="points"/> corners alternating between the two radii, the first straight up.</summary>
    public static Silhouette Star(float cx, float cy, int points, float outer, float inner)
    {
        var xy = new float[4 * points];
        for (int i = 0; i < 2 * points; i++)
        {
            float angle = MathF.PI * i / points, r = i % 2 == 0 ? outer : inner;
            xy[2 * i] = cx + r * MathF.Sin(angle);
            xy[2 * i + 1] = cy - r * MathF.Cos(angle);
        }
        return Polygon(xy);
    }

    /// <summary>Both shapes together.</summary>
    public Silhouette Union(Silhouette other)
    {
        Sdf a = Distance, b = other.Distance;
        return new((x, y) => MathF.Min(a(x, y), b(x, y)),
            MathF.Min(MinX, other.MinX), MathF.Min(MinY, other.MinY),
            MathF.Max(MaxX, other.MaxX), MathF.Max(MaxY, other.MaxY));
    }

    /// <summary>This shape with <paramref name="other"/> cut out of it.</summary>
    public Silhouette Subtract(Silhouette other)
    {
        Sdf a = Distance, b = other.Distance;
        return this with { Distance = (x, y) => MathF.Max(a(x, y), -b(x, y)) };
    }

    /// <summary>The part of this shape above the horizontal line y = <paramref name="lineY"/>.</summary>
    public Silhouette Above(float lineY)
    {
        Sdf a = Distance;
        return this with { Distance = (x, y) => MathF.Max(a(x, y), y - lineY), MaxY = MathF.Min(MaxY, lineY) };
    }
}
