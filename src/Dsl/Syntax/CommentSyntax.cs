namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A <c># comment</c>; <see cref="Text"/> includes the <c>#</c>.</summary>
public sealed record CommentSyntax(string Text, TextSpan Span) : ItemSyntax(Span);
