namespace LoraNotebooks.Dsl.Syntax;

/// <summary>Text where a statement should start but none does (e.g. a line that starts with a number); skipped to the end of the line.</summary>
public sealed record BadLineSyntax(string Text, TextSpan Span) : ItemSyntax(Span);
