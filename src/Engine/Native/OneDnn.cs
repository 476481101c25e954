using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Keeps libtorch's oneDNN (MKLDNN) CPU kernels away from gradients: every backward pass runs inside
/// <see cref="ForGradients"/>, which turns oneDNN off until the pass is done; forward passes keep it.
/// </summary>
/// <remarks>
/// <para>
/// On the AMD EPYC (Zen 5) machines this project is built on, oneDNN's convolution backward pass now and then
/// returns NaN for the input's gradient from finite inputs (autograd's anomaly mode names
/// <c>ConvolutionBackward0</c>): 5 of 160 runs of the tiny test model went NaN at an early step, the built-in
/// base's quickstart lost its way by step 150 (loss 0.02 to 0.9, fidelity 0) and a style run went NaN at step 3.
/// With oneDNN off during the backward passes, none did, and the quickstart scored what it scores elsewhere
/// (docs/native.md). Forward passes keep oneDNN, which has shown no fault: libtorch's own convolutions (and the
/// NNPACK attempt before each) are 4.4 times slower at sampling here, and training with them for whole steps
/// was 2.4 times slower; for the backward pass alone they cost 2%.
/// </para>
/// <para>
/// TorchSharp has no switch for it, so this calls libtorch's <c>at::globalContext().setUserEnabledMkldnn</c>.
/// The setting is the process's, so the scopes are counted: oneDNN is off while any step anywhere in the
/// process runs a backward pass (a sampler on another thread is then only slower). <c>LORA_ONEDNN=1</c> keeps
/// oneDNN on for backward passes too; <c>LORA_ONEDNN=0</c> turns it off for everything.
/// </para>
/// </remarks>
public static class OneDnn
{
    /// <summary>The environment variable: <c>1</c> keeps oneDNN on for backward passes, <c>0</c> turns it off for everything.</summary>
    public const string Variable = "LORA_ONEDNN";

    private static readonly object Gate = new();
    private static bool _applied;
    private static IntPtr _context;
    private static int _suspended;
    private static string? _asked; // LORA_ONEDNN, read once

    /// <summary>Whether libtorch's CPU kernels use oneDNN now, as libtorch reports it (null: libtorch's switch was not found).</summary>
    public static bool? Enabled
    {
        get
        {
            lock (Gate)
                return _context == IntPtr.Zero ? null : UserEnabledMkldnn(_context);
        }
    }

    /// <summary>
    /// Finds libtorch's switch, applies <see cref="Variable"/> (read here, once per process) and quiets libtorch's C++ log.
    /// A libtorch without these Linux names is left as it is; one that does not load at all fails here as it would anywhere.
    /// </summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (_applied)
                return;
            _applied = true;
            _asked = Environment.GetEnvironmentVariable(Variable);
            try
            {
                _ = get_num_threads(); // TorchSharp loads libtorch on its first call; the switch lives in it.
                _context = GlobalContext();
                if (_asked == "0")
                    SetUserEnabledMkldnn(_context, false);
                QuietLibTorchWarnings();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                _context = IntPtr.Zero; // another platform's libtorch: its names differ, and oneDNN stays as it is
            }
        }
    }

    /// <summary>
    /// Without oneDNN, libtorch tries NNPACK for each convolution, and on a CPU NNPACK does not know (Zen 5) it logs
    /// "Could not initialize NNPACK! Reason: Unsupported hardware." every time: 200,000 lines in one run. Those lines
    /// come from libtorch's C++ log (not its user warnings, which still show), so its level is raised to errors,
    /// unless <c>TORCH_CPP_LOG_LEVEL</c> chose one.
    /// </summary>
    private static void QuietLibTorchWarnings()
    {
        const int Error = 2; // c10's levels: 0 info, 1 warning, 2 error
        if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is { Length: > 0 }
            || !NativeLibrary.TryLoad("libc10.so", out var c10) || !NativeLibrary.TryGetExport(c10, "FLAGS_caffe2_log_level", out var level))
            return;
        if (Marshal.ReadInt32(level) < Error)
            Marshal.WriteInt32(level, Error);
    }

    /// <summary>
    /// oneDNN off until the returned scope is disposed (unless <c>LORA_ONEDNN=1</c>): wrap each
    /// <c>backward()</c> in it. (libtorch picks a convolution's backward kernels when the backward pass runs.)
    /// </summary>
    public static IDisposable ForGradients()
    {
        Apply();
        lock (Gate)
        {
            if (_context == IntPtr.Zero || _asked is "1" or "0")
                return Scope.None;
            if (_suspended++ == 0)
                SetUserEnabledMkldnn(_context, false);
            return new Scope();
        }
    }

    /// <summary><c>loss.backward()</c> inside <see cref="ForGradients"/>: what every training loop calls.</summary>
    public static void Backward(Tensor loss)
    {
        using var kernels = ForGradients();
        loss.backward();
    }

    private sealed class Scope : IDisposable
    {
        public static readonly IDisposable None = new NoScope();
        private bool _disposed;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_disposed)
                    return;
                _disposed = true;
                if (--_suspended == 0)
                    SetUserEnabledMkldnn(_context, true);
            }
        }

        private sealed class NoScope : IDisposable
        {
            public void Dispose() { }
        }
    }

    // libtorch's C++ names (Itanium ABI: Linux); a member function takes `this` as its first argument.
    [DllImport("torch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("torch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("torch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);
}
