namespace LoraNotebooks.Dsl.Diagnostics;

/// <summary>How serious a diagnostic is. Only errors stop a script from producing a plan.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The script cannot run.</summary>
    Error,
    /// <summary>The script runs, but probably not the way its author wants.</summary>
    Warning,
    /// <summary>Something worth knowing.</summary>
    Info,
}
