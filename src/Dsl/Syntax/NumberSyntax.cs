namespace LoraNotebooks.Dsl.Syntax;

/// <summary>
/// A number as written (<see cref="Text"/>, e.g. <c>1e-4</c> or <c>10%</c>). <see cref="Value"/> is the number
/// without the percent sign: <c>10%</c> has value 10 and <see cref="IsPercent"/> true.
/// </summary>
public sealed record NumberSyntax(double Value, bool IsPercent, string Text, TextSpan Span) : ValueSyntax(Span);
