using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>
/// Makes Jupyter's interrupt button (SIGINT) cancel the running cell instead of killing the kernel.
/// <para>
/// The host's only SIGINT handler is the generic host's console lifetime, which stops the application;
/// and in .NET 10 every SIGINT runs every registered handler, so adding ours and setting
/// <c>Cancel = true</c> is not enough. We register a handler that sends <see cref="Cancel"/> to the root
/// kernel and take the host's SIGINT registrations out of <c>PosixSignalRegistration.s_registrations</c>
/// (a private static <c>Dictionary&lt;int, List&lt;Token&gt;&gt;</c>). This was chosen over parking the
/// handler's thread so that older handlers never run: it leaves no blocked thread per interrupt and does
/// not depend on the order handlers run in. It depends on a private field instead, so
/// <see cref="Probe"/> checks the shape first and the extension says so when it has changed.
/// </para>
/// The <see cref="Cancel"/> stops the run a cell is showing (the extension's middleware on the root kernel);
/// a background run nobody watches goes on.
/// Side effect: Ctrl+C no longer stops the host; SIGTERM, SIGQUIT and Jupyter's shutdown still do.
/// </summary>
internal static class InterruptBridge
{
    private const int SigInt = 2;
    private static PosixSignalRegistration? registration;

    /// <summary>Null when the private shape is as expected; otherwise what differs.</summary>
    public static string? Probe() => Registrations(out _) is null ? null : "PosixSignalRegistration.s_registrations changed shape";

    /// <summary>Installs the bridge once per process; returns a short status for the load line.</summary>
    public static string Install(Microsoft.DotNet.Interactive.Kernel root)
    {
        if (registration is not null) return "interrupt: on";
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return "interrupt: not supported on this OS";
        if (SigIntIgnored())
            return "interrupt: off (this process was started with SIGINT ignored, as background jobs are; run `lora jupyter install` again: its kernelspec resets it)";
        if (Registrations(out var table) is { } problem)
            return $"interrupt: off (.NET internals changed: {problem}; the interrupt button will stop the kernel)";

        Action<PosixSignalContext> ours = context =>
        {
            context.Cancel = true;
            // Off the signal thread: cancelling runs callbacks inline, and one that waited on the kernel would
            // leave every later interrupt queued behind it.
            ThreadPool.QueueUserWorkItem(_ => root.SendAsync(new Cancel()));
        };
        registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, ours);
        lock (table!)
        {
            if (table[SigInt] is IList tokens)
            {
                for (var i = tokens.Count - 1; i >= 0; i--)
                {
                    var handler = tokens[i]!.GetType().GetProperty("Handler")!.GetValue(tokens[i]);
                    if (!ReferenceEquals(handler, ours))
                        tokens.RemoveAt(i);
                }
            }
        }
        return "interrupt: on";
    }

    /// <summary>
    /// True when the process inherited SIGINT as ignored (a Jupyter started in the background passes that on):
    /// .NET then never delivers SIGINT, so no handler can see it. Read from <c>/proc/self/status</c> (Linux).
    /// </summary>
    private static bool SigIntIgnored()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Finds the registrations table, or says what about it is not as expected.</summary>
    private static string? Registrations(out IDictionary? table)
    {
        table = null;
        var field = typeof(PosixSignalRegistration).GetField("s_registrations", BindingFlags.NonPublic | BindingFlags.Static);
        if (field is null) return "no field s_registrations";
        if (field.GetValue(null) is not IDictionary dictionary) return $"s_registrations is {field.FieldType.Name}, not a dictionary";
        var types = field.FieldType.GetGenericArguments();
        if (types.Length != 2 || types[0] != typeof(int) || !typeof(IList).IsAssignableFrom(types[1]))
            return $"s_registrations is {field.FieldType}, not Dictionary<int, List<Token>>";
        var token = types[1].GetGenericArguments().FirstOrDefault();
        if (token?.GetProperty("Handler")?.PropertyType != typeof(Action<PosixSignalContext>))
            return "its tokens have no Handler of type Action<PosixSignalContext>";
        table = dictionary;
        return null;
    }
}
