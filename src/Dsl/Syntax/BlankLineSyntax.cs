namespace LoraNotebooks.Dsl.Syntax;

/// <summary>One or more empty lines between items; kept so that formatting preserves paragraphs.</summary>
public sealed record BlankLineSyntax(TextSpan Span) : ItemSyntax(Span);
