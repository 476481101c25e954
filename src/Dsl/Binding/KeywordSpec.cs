namespace LoraNotebooks.Dsl.Binding;

/// <summary>One keyword of the language: where it may stand, whether it may repeat, whether it opens a block, and what it does.</summary>
internal sealed record KeywordSpec(string Name, BlockKind Place, string Summary, bool Repeatable = false, bool OpensBlock = false);
