namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A new line or <c>;</c> as the grammar reads it; <see cref="SyntaxLayout"/> turns these into blank lines and trailing comments.</summary>
internal sealed record SeparatorSyntax(bool IsNewline, TextSpan Span) : ItemSyntax(Span);
