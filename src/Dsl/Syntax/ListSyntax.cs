using System.Collections.Immutable;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary><c>[a, b, c]</c>. Lines may break after <c>[</c> or a comma. <see cref="IsClosed"/> is false when <c>]</c> is missing.</summary>
public sealed record ListSyntax(ImmutableArray<ValueSyntax> Items, bool IsClosed, TextSpan Span) : ValueSyntax(Span);
