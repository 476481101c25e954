namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A double-quoted string; <c>\"</c> and <c>\\</c> are the only escapes. <see cref="IsTerminated"/> is false when the line ended first.</summary>
public sealed record StringSyntax(string Value, bool IsTerminated, TextSpan Span) : ValueSyntax(Span);
