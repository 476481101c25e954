namespace LoraNotebooks.Dsl.Syntax;

/// <summary>Any node of the syntax tree. Every node knows where it came from.</summary>
public abstract record SyntaxNode(TextSpan Span);

/// <summary>Something that stands on its own line in a script or block: a statement, a comment or a blank line.</summary>
public abstract record ItemSyntax(TextSpan Span) : SyntaxNode(Span);

/// <summary>A value written after a keyword: a number, string, name, list, or text that is none of these.</summary>
public abstract record ValueSyntax(TextSpan Span) : SyntaxNode(Span);
