namespace LoraNotebooks.Cli;

/// <summary>What <c>lora</c> returns to the shell.</summary>
public static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Ok = 0;

    /// <summary>The user's input was wrong (diagnostics, a bad path, a malformed file); a message says why.</summary>
    public const int UserError = 1;

    /// <summary>Something failed while running (NaN loss, out of memory, an internal error).</summary>
    public const int RuntimeFailure = 2;

    /// <summary>Stopped by Ctrl+C (after writing a checkpoint when training).</summary>
    public const int Cancelled = 130;
}
