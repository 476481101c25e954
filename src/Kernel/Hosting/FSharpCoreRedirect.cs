using System.Reflection;
using System.Runtime.Loader;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>
/// The notebook host preloads FSharp.Core 10.0.0.0; Plotly.NET 6.0.0 asks for 10.1.0.0 and would fail
/// with FileNotFoundException. When the runtime cannot resolve FSharp.Core, hand it the loaded copy.
/// </summary>
internal static class FSharpCoreRedirect
{
    private static int installed;

    /// <summary>Installs the handler once per process.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (_, name) => name.Name == "FSharp.Core"
            ? AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "FSharp.Core")
            : null;
    }
}
