namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A word that is neither a number nor a name (e.g. <c>1.2.3</c> or <c>@</c>), kept so that checking can go on.</summary>
public sealed record BadValueSyntax(string Text, TextSpan Span) : ValueSyntax(Span);
