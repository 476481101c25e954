using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace LoraNotebooks.Engine.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ is older than the one
/// it was built against (Debian 12, Ubuntu 22.04). See docs/native.md.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> records a need for <c>GLIBCXX_3.4.32</c>, but the
/// only symbol tagged with it (<c>std::ios_base_library_init</c>, a GCC 13 link anchor) is never
/// bound. ld.so refuses the whole library because it checks every version need. When the process's
/// libstdc++ lacks a needed version and no symbol binds it, this class writes a copy of the library
/// with that need flagged weak into a private cache folder (keyed by the original's hash, written
/// atomically), loads libtorch from where the runtime finds it, and then loads the copy. Later loads
/// of <c>LibTorchSharp</c> by name, TorchSharp's own and every <c>DllImport</c>, resolve to the copy
/// because ld.so matches a bare library name against the sonames already loaded.
/// </para>
/// <para>
/// Nothing is written or loaded where the system library is new enough, off Linux, or where the
/// original is not found. Nothing under the NuGet cache or a build output is ever modified.
/// Set <c>LORA_NATIVE_TRACE=1</c> to see each decision on standard error.
/// </para>
/// </remarks>
public static class TorchNativeLoader
{
    private const string LibraryFileName = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>What the loader did in this process, for diagnostics and tests.</summary>
    public static string Outcome { get; private set; } = "not run";

    /// <summary>The path of the patched copy in use, or null when the original loads as it is.</summary>
    public static string? PatchedCopyPath { get; private set; }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The fix must run before any TorchSharp type is touched, in every host.")]
    internal static void OnEngineLoaded() => EnsureLoadable();

    /// <summary>Runs once per process; safe to call many times. Never throws: failures are left to TorchSharp to report.</summary>
    public static void EnsureLoadable()
    {
        lock (Gate)
        {
            if (_done)
                return;
            _done = true;
            try
            {
                Outcome = Run();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or DllNotFoundException or BadImageFormatException)
            {
                Outcome = $"skipped: {e.Message}";
            }
            Trace(Outcome);
        }
    }

    private static string Run()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("LORA_NATIVE_FIX") == "0")
            return "not needed on this platform";

        var original = CandidateNativeFolders().Select(d => Path.Combine(d, LibraryFileName)).FirstOrDefault(File.Exists);
        if (original is null)
            return "TorchSharp's native library was not found; left to TorchSharp";

        var image = File.ReadAllBytes(original);
        var elf = ElfVersionNeeds.Parse(image);
        var unmet = UnmetNeeds(elf);
        if (unmet.Count == 0)
            return $"{original} loads as it is";

        foreach (var need in unmet)
        {
            var bound = elf.SymbolsBoundTo(need.Index);
            if (bound.Count > 0)
                throw new InvalidDataException(
                    $"{need.File} on this system lacks {need.Version}, which {LibraryFileName} really uses ({string.Join(", ", bound)}); install a newer libstdc++");
            elf.FlagWeak(need);
        }

        var copy = WritePatchedCopy(original, image);
        PreloadDependencies(original);
        NativeLibrary.Load(copy);
        PatchedCopyPath = copy;
        return $"loaded {copy} (flagged weak: {string.Join(", ", unmet.Select(n => n.Version))})";
    }

    /// <summary>Version needs that the library this process would bind cannot satisfy.</summary>
    private static List<ElfVersionNeeds.Need> UnmetNeeds(ElfVersionNeeds elf)
    {
        var unmet = new List<ElfVersionNeeds.Need>();
        foreach (var group in elf.Needs().Where(n => (n.Flags & ElfVersionNeeds.VerFlagWeak) == 0).GroupBy(n => n.File))
        {
            var provider = LoadedPathOf(group.Key);
            if (provider is null)
                continue;
            var defined = ElfVersionNeeds.Parse(File.ReadAllBytes(provider)).Definitions();
            unmet.AddRange(group.Where(n => !defined.Contains(n.Version)));
        }
        return unmet;
    }

    /// <summary>Loads <paramref name="soname"/> the way ld.so would and returns the file it mapped.</summary>
    private static string? LoadedPathOf(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out _))
            return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // The mapped file is the soname's target, e.g. libstdc++.so.6 -> libstdc++.so.6.0.30.
            var slash = line.IndexOf('/');
            var file = slash >= 0 ? Path.GetFileName(line.AsSpan(slash)) : default;
            if (file.SequenceEqual(soname) || (file.StartsWith(soname) && file[soname.Length] == '.'))
                return line[slash..];
        }
        return null;
    }

    private static string WritePatchedCopy(string original, byte[] patched)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(original)))[..16];
        var folder = Path.Combine(CacheFolder.Root, "native", hash);
        var copy = Path.Combine(folder, LibraryFileName);
        if (File.Exists(copy) && new FileInfo(copy).Length == patched.Length)
            return copy;

        AtomicFile.Write(copy, stream => stream.Write(patched));
        return copy;
    }

    /// <summary>
    /// The copy lives away from libtorch, so its DT_NEEDED entries (libtorch.so, libc10.so,
    /// libtorch_cpu.so) must already be loaded when it is: load them from their own folder.
    /// </summary>
    /// <remarks>
    /// The libtorch that ships with TorchSharp (beside its library, or in its NuGet package) comes first. Asking the
    /// runtime for "torch" by name is the last resort: in a host that keeps no natives of its own (the notebook
    /// kernel) that search reaches the system's folders, where a distribution's libtorch (Debian's libtorch1.13)
    /// is another version and the copy then fails on a missing symbol.
    /// </remarks>
    private static void PreloadDependencies(string original)
    {
        if (ShippedLibTorch(original, LibTorchPackageFolders()) is { } libtorch)
            NativeLibrary.Load(libtorch);
        else if (!NativeLibrary.TryLoad("torch", typeof(torch).Assembly, null, out _))
            throw new DllNotFoundException("libtorch.so was not found next to TorchSharp or in the NuGet package folder");
    }

    /// <summary>The first <c>libtorch.so</c> beside <paramref name="original"/> or in <paramref name="packageFolders"/>, or null.</summary>
    internal static string? ShippedLibTorch(string original, IEnumerable<string> packageFolders) =>
        new[] { Path.GetDirectoryName(original)! }.Concat(packageFolders).Select(d => Path.Combine(d, "libtorch.so")).FirstOrDefault(File.Exists);

    /// <summary>Where the runtime, a build output or the NuGet cache keeps TorchSharp's natives.</summary>
    private static IEnumerable<string> CandidateNativeFolders()
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            foreach (var folder in searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return folder;
        yield return AppContext.BaseDirectory;
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        var assemblyFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyFolder))
        {
            yield return assemblyFolder;
            yield return Path.GetFullPath(Path.Combine(assemblyFolder, "..", "..", "runtimes", "linux-x64", "native"));
        }
    }

    /// <summary>The NuGet layout: packages/libtorch-cpu-linux-x64/VERSION/runtimes/linux-x64/native.</summary>
    private static IEnumerable<string> LibTorchPackageFolders()
    {
        var assemblyFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (string.IsNullOrEmpty(assemblyFolder))
            yield break;
        var packages = Path.GetFullPath(Path.Combine(assemblyFolder, "..", "..", "..", ".."));
        if (!Directory.Exists(packages))
            yield break;
        foreach (var package in Directory.EnumerateDirectories(packages, "libtorch-*-linux-x64"))
            foreach (var version in Directory.EnumerateDirectories(package).OrderDescending(StringComparer.Ordinal))
                yield return Path.Combine(version, "runtimes", "linux-x64", "native");
    }

    private static void Trace(string message)
    {
        if (Environment.GetEnvironmentVariable("LORA_NATIVE_TRACE") == "1")
            Console.Error.WriteLine($"[lora native] {message}");
    }
}
