using System.CommandLine;
using System.Text.Json;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Cli;

/// <summary>
/// Runs a command body and turns what users cause into one clear line and exit code 1, a
/// cancellation into 130, and anything else into a short internal-error line and exit code 2.
/// Nobody sees a stack trace unless LORA_DEBUG=1.
/// </summary>
public static class CommandRunner
{
    /// <summary>Runs <paramref name="body"/> with the invocation's output writer; errors go to its error writer.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<TextWriter, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            // Return to System.CommandLine at once, so its Ctrl+C handling is in place while the body runs.
            await Task.Yield();
            return await body(parse.InvocationConfiguration.Output, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("lora: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (IsUserError(e))
        {
            await error.WriteLineAsync($"lora: error: {MessageOf(e)}");
            return ExitCodes.UserError;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"lora: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("LORA_DEBUG") == "1")
                await error.WriteLineAsync(e.ToString());
            return ExitCodes.RuntimeFailure;
        }
    }

    /// <summary>The message alone: ArgumentException's "(Parameter 'x')" tail means nothing to a user.</summary>
    public static string MessageOf(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;

    /// <summary>
    /// Errors a user causes and can fix: values refused at a validation point (<see cref="UserErrorException"/>),
    /// malformed files, and paths that cannot be read or written. <see cref="ArgumentException"/> is not among
    /// them: thrown anywhere else, it is the program's bug, and saying it is the user's would mislead.
    /// </summary>
    public static bool IsUserError(Exception e) => e is
        UserErrorException or SafeTensorsFormatException or AdapterFormatException or InvalidDataException or JsonException
        or IOException or UnauthorizedAccessException;

    /// <summary>JSON written the same way by every command.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
