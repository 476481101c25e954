using System.Reflection;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Kernel.Hosting;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Formatting;
using TorchSharp;

namespace LoraNotebooks.Kernel;

/// <summary>
/// The .NET Interactive extension. <c>#r "nuget:LoraNotebooks.Kernel,VERSION"</c> loads it; it adds the
/// <c>lora</c> subkernel (cells starting with <c>#!lora</c>), the <c>#!lora-do</c> magic, the formatters
/// for runs, grids and adapter cards, the interrupt bridge, and <c>using LoraNotebooks.Kernel;</c> for C#
/// cells, then prints one line with the version and the device.
/// </summary>
public sealed class LoraKernelExtension : IKernelExtension
{
    /// <inheritdoc/>
    public Task OnLoadAsync(Microsoft.DotNet.Interactive.Kernel kernel) => LoadAsync(kernel, installInterrupts: true);

    /// <summary>
    /// Loads the extension into <paramref name="kernel"/> (a <see cref="CompositeKernel"/>).
    /// <paramref name="installInterrupts"/> is false in tests and the headless runner, which must not take
    /// over the process's SIGINT.
    /// </summary>
    public static Task LoadAsync(Microsoft.DotNet.Interactive.Kernel kernel, bool installInterrupts)
    {
        if (kernel is not CompositeKernel root)
            throw new InvalidOperationException("the LoRA extension needs a composite kernel (the notebook's root kernel)");
        TorchNativeLoader.EnsureLoadable();
        FSharpCoreRedirect.Install();
        Formatters.Register();
        if (root.ChildKernels.All(k => k.Name != LoraKernel.KernelName))
        {
            root.Add(new LoraKernel());
            LoraDoMagic.Register(root);
            root.AddMiddleware(StopShownRunOnCancel);
            root.FindKernelByName("csharp")?.DeferCommand(new SubmitCode("using LoraNotebooks.Kernel;\nusing LoraNotebooks.Kernel.Runs;"));
        }
        var interrupts = installInterrupts ? InterruptBridge.Install(root) : "interrupt: handled by the host";
        KernelInvocationContext.Current?.DisplayAs(LoadLine(interrupts), PlainTextFormatter.MimeType);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A <see cref="Cancel"/> sent to the notebook (a front end's stop button, or Jupyter's interrupt through
    /// <see cref="InterruptBridge"/>) stops the run a cell is showing. This is the one place an interrupt reaches
    /// a run: the cell's own token does not always fire (a Cancel that arrives before the cell has started
    /// reaches nothing, and CI once saw a cell fail with the interrupt while its run trained on). A background
    /// run nobody watches goes on.
    /// </summary>
    private static async Task StopShownRunOnCancel(KernelCommand command, KernelInvocationContext context, KernelPipelineContinuation next)
    {
        if (command is Cancel && Runs.RunSession.Current is { IsRunning: true, IsWatched: true } shown)
            shown.Stop();
        await next(command, context);
    }

    /// <summary>The line shown on load: version, device, interrupt status.</summary>
    public static string LoadLine(string interrupts)
    {
        TorchNativeLoader.EnsureLoadable();
        var version = typeof(LoraKernelExtension).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
        var device = Engine.Native.TorchDevices.Describe();
        return $"LoraNotebooks {version} loaded: device {device}; {interrupts}. Cells: #!lora; actions: #!lora-do help";
    }
}
