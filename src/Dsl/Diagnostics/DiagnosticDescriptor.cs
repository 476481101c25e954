using System.Globalization;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Diagnostics;

/// <summary>The fixed part of a diagnostic: its stable id, severity and message template.</summary>
public sealed record DiagnosticDescriptor(string Id, DiagnosticSeverity Severity, string MessageFormat)
{
    /// <summary>A diagnostic at <paramref name="span"/> with the template filled in.</summary>
    public Diagnostic At(TextSpan span, params object[] args) =>
        new(Id, Severity, span, string.Format(CultureInfo.InvariantCulture, MessageFormat, args));
}
