namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A bare word: a keyword (<c>rank</c>), a named value (<c>adamw</c>, <c>true</c>) or a unit (<c>steps</c>).</summary>
public sealed record NameSyntax(string Name, TextSpan Span) : ValueSyntax(Span);
