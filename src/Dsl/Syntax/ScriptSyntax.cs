using System.Collections.Immutable;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>A whole script: its top-level items in source order.</summary>
public sealed record ScriptSyntax(ImmutableArray<ItemSyntax> Items, TextSpan Span) : SyntaxNode(Span)
{
    /// <summary>The top-level statements, without comments and blank lines.</summary>
    public IEnumerable<StatementSyntax> Statements => Items.OfType<StatementSyntax>();
}
