namespace LoraNotebooks.Dsl.Syntax;

/// <summary>
/// A stretch of script text: a zero-based character <see cref="Offset"/> and <see cref="Length"/>,
/// and the one-based <see cref="Line"/> and <see cref="Column"/> where it starts (a tab counts as one column).
/// </summary>
public readonly record struct TextSpan(int Offset, int Line, int Column, int Length)
{
    /// <summary>The offset just past the last character.</summary>
    public int End => Offset + Length;

    /// <summary>The span from the start of <paramref name="first"/> to the end of <paramref name="last"/>.</summary>
    public static TextSpan Cover(TextSpan first, TextSpan last) =>
        new(first.Offset, first.Line, first.Column, Math.Max(0, last.End - first.Offset));

    /// <summary>A zero-length span at the start of this one.</summary>
    public TextSpan Start => this with { Length = 0 };

    /// <summary>Compiler-style position, <c>(line,column)</c>.</summary>
    public override string ToString() => $"({Line},{Column})";
}
