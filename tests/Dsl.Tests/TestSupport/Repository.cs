using System.Runtime.CompilerServices;

namespace LoraNotebooks.Dsl.Tests.TestSupport;

/// <summary>Folders of the source tree, found from this file's compile-time path.</summary>
public static class Repository
{
    public static string TestsFolder { get; } = Path.GetDirectoryName(Here())!.Replace(Path.DirectorySeparatorChar + "TestSupport", "");

    public static string Root { get; } = Path.GetFullPath(Path.Combine(TestsFolder, "..", ".."));

    public static string Examples { get; } = Path.Combine(Root, "examples");

    public static string Golden { get; } = Path.Combine(TestsFolder, "Golden");

    public static CheckContext Context { get; } = new(TestWorlds.Instance, FixedEstimator.Instance);

    private static string Here([CallerFilePath] string path = "") => path;
}
