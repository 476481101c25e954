using System.Collections.Immutable;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary><c>{ items }</c>. <see cref="IsClosed"/> is false when the text ended before the closing brace.</summary>
public sealed record BlockSyntax(ImmutableArray<ItemSyntax> Items, bool IsClosed, TextSpan Span) : SyntaxNode(Span)
{
    /// <summary>The statements inside, without comments and blank lines.</summary>
    public IEnumerable<StatementSyntax> Statements => Items.OfType<StatementSyntax>();
}
