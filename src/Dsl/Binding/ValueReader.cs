using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// Reads values of a given kind and reports what is wrong with them. Every method returns null
/// (or false) after reporting, so callers fall back to a default and checking goes on.
/// Values the grammar already reported (<see cref="BadValueSyntax"/>) are skipped silently.
/// </summary>
internal sealed class ValueReader(DiagnosticBag diagnostics)
{
    public DiagnosticBag Diagnostics { get; } = diagnostics;

    /// <summary>The only value of a <c>keyword value</c> setting; reports a missing value or extra ones.</summary>
    public ValueSyntax? Single(StatementSyntax statement, string expected)
    {
        if (statement.Arguments.IsEmpty)
        {
            Diagnostics.Add(DiagnosticDescriptors.MissingValue, statement.Keyword.Span, statement.Keyword.Name, expected);
            return null;
        }
        ExpectNoMore(statement, 1);
        return statement.Arguments[0];
    }

    /// <summary>Reports the first argument from <paramref name="index"/> on, if any: the statement takes no more.</summary>
    public void ExpectNoMore(StatementSyntax statement, int index)
    {
        if (index < statement.Arguments.Length && statement.Arguments[index] is var extra and not BadValueSyntax)
        {
            Diagnostics.Add(DiagnosticDescriptors.UnexpectedValue, extra.Span, Describe(extra), statement.Keyword.Name);
        }
    }

    public double? Number(string owner, ValueSyntax? value, NumberRange range)
    {
        if (value is NumberSyntax { IsPercent: false } number) return InRange(owner, number, number.Value, range);
        WrongKind(owner, value, "a number");
        return null;
    }

    /// <summary>A number that may be written as a percentage: <c>10%</c> and <c>0.1</c> both read as 0.1.</summary>
    public double? Fraction(string owner, ValueSyntax? value, NumberRange range)
    {
        if (value is NumberSyntax number) return InRange(owner, number, number.IsPercent ? number.Value / 100 : number.Value, range);
        WrongKind(owner, value, "a number or percentage");
        return null;
    }

    public int? Whole(string owner, ValueSyntax? value, NumberRange range)
    {
        if (value is NumberSyntax { IsPercent: false } number && double.IsFinite(number.Value) && Math.Floor(number.Value) == number.Value)
        {
            return InRange(owner, number, number.Value, range) is { } ok ? (int)ok : null;
        }
        WrongKind(owner, value, "a whole number");
        return null;
    }

    public string? Text(string owner, ValueSyntax? value)
    {
        if (value is StringSyntax text) return text.Value;
        WrongKind(owner, value, "a string in double quotes");
        return null;
    }

    public bool? Bool(string owner, ValueSyntax? value) => Choice(owner, "value", value, Vocabulary.Booleans, out var flag) ? flag : null;

    /// <summary>A named value out of <paramref name="choices"/>; an unknown name gets did-you-mean.</summary>
    public bool Choice<T>(string owner, string what, ValueSyntax? value, IReadOnlyDictionary<string, T> choices, out T result)
    {
        result = default!;
        if (value is NameSyntax name)
        {
            if (choices.TryGetValue(name.Name, out var found))
            {
                result = found;
                return true;
            }
            Diagnostics.Add(DiagnosticDescriptors.UnknownValue, name.Span, what, name.Name, DidYouMean.Hint(name.Name, choices.Keys.ToList()));
            return false;
        }
        WrongKind(owner, value, choices.Count <= 4 ? string.Join(" or ", choices.Keys) : "a " + what);
        return false;
    }

    /// <summary>The items of a list; a single value counts as a list of one.</summary>
    public IReadOnlyList<ValueSyntax>? Items(string owner, ValueSyntax? value)
    {
        switch (value)
        {
            case null:
                return null;
            case ListSyntax list when list.Items.IsEmpty:
                Diagnostics.Add(DiagnosticDescriptors.EmptyList, list.Span, owner);
                return null;
            case ListSyntax list:
                return list.Items;
            case BadValueSyntax:
                return null;
            default:
                return [value];
        }
    }

    /// <summary>Reads every item of a list with <paramref name="read"/>; null if any item is wrong.</summary>
    public List<T>? ListOf<T>(string owner, ValueSyntax? value, Func<ValueSyntax, T?> read) where T : struct
    {
        if (Items(owner, value) is not { } items) return null;
        var result = new List<T>();
        var ok = true;
        foreach (var item in items)
        {
            if (read(item) is { } good) result.Add(good);
            else ok = false;
        }
        return ok ? result : null;
    }

    public List<string>? TextList(string owner, ValueSyntax? value)
    {
        if (Items(owner, value) is not { } items) return null;
        var texts = items.Select(item => Text(owner, item)).ToList();
        return texts.All(t => t is not null) ? texts.Select(t => t!).ToList() : null;
    }

    private double? InRange(string owner, NumberSyntax number, double value, NumberRange range)
    {
        if (range.Contains(value)) return value;
        Diagnostics.Add(DiagnosticDescriptors.OutOfRange, number.Span, owner, range.Describe(), number.Text);
        return null;
    }

    private void WrongKind(string owner, ValueSyntax? value, string expected)
    {
        if (value is null or BadValueSyntax) return;
        Diagnostics.Add(DiagnosticDescriptors.WrongValueKind, value.Span, owner, expected, Describe(value));
    }

    public static string Describe(ValueSyntax value) => value switch
    {
        NumberSyntax number => number.Text,
        StringSyntax => "a string",
        NameSyntax name => $"'{name.Name}'",
        ListSyntax => "a list",
        BadValueSyntax bad => $"'{bad.Text}'",
        _ => "a value",
    };
}
