using System.Globalization;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>The numbers a setting accepts, and how to say so in a message.</summary>
internal sealed record NumberRange(double Min, bool MinExclusive, double Max, bool MaxExclusive)
{
    public static NumberRange AtLeast(double min, double max = 1e12) => new(min, false, max, false);
    public static NumberRange Above(double min, double max = 1e12) => new(min, true, max, false);
    public static NumberRange Fraction { get; } = new(0, false, 1, true);

    public bool Contains(double value) =>
        double.IsFinite(value)
        && (MinExclusive ? value > Min : value >= Min)
        && (MaxExclusive ? value < Max : value <= Max);

    public string Describe()
    {
        var low = MinExclusive ? $"greater than {Show(Min)}" : $"at least {Show(Min)}";
        if (Max >= 1e12) return low;
        if (!MinExclusive && !MaxExclusive) return $"from {Show(Min)} to {Show(Max)}";
        return $"{low} and {(MaxExclusive ? "below" : "at most")} {Show(Max)}";
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
