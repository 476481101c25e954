using System.Collections.Immutable;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Diagnostics;

/// <summary>Collects diagnostics while a script is parsed and bound; hands them out in source order.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> items = [];

    public int ErrorCount => items.Count(d => d.Severity == DiagnosticSeverity.Error);

    public bool HasErrors => ErrorCount > 0;

    public void Add(DiagnosticDescriptor descriptor, TextSpan span, params object[] args) =>
        items.Add(descriptor.At(span, args));

    /// <summary>Sorted by position, then id, so output is stable however the checks were ordered.</summary>
    public ImmutableArray<Diagnostic> ToImmutable() =>
        [.. items.OrderBy(d => d.Span.Offset).ThenBy(d => d.Id, StringComparer.Ordinal)];
}
