using LoraNotebooks.Engine.Native;
using TorchSharp;

namespace LoraNotebooks.Engine.Tests.Native;

public class TorchNativeLoaderTests
{
    [Fact]
    public void a_tensor_operation_runs_after_the_engine_loads()
    {
        TorchNativeLoader.EnsureLoadable();
        using var sum = (torch.ones(3) + 1).sum();
        Assert.Equal(6f, sum.item<float>());
    }

    [Fact]
    public void the_patched_copy_differs_from_the_original_only_in_weak_flags()
    {
        TorchNativeLoader.EnsureLoadable();
        if (TorchNativeLoader.PatchedCopyPath is not { } copy)
            return; // the system libstdc++ is new enough: nothing was patched, which is the point

        var original = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).First();
        var before = File.ReadAllBytes(original);
        var after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.NotEmpty(changed);

        var needs = ElfVersionNeeds.Parse(after).Needs();
        var weak = needs.Where(n => (n.Flags & ElfVersionNeeds.VerFlagWeak) != 0).ToList();
        Assert.Equal(changed.Count, weak.Count);
        Assert.All(weak, n => Assert.StartsWith("GLIBCXX_", n.Version));
    }

    [Fact]
    public void the_libtorch_shipped_with_torchsharp_is_chosen_over_a_name_lookup_and_the_one_beside_it_comes_first()
    {
        var root = Directory.CreateTempSubdirectory("lora-native-").FullName;
        try
        {
            var nuget = Directory.CreateDirectory(Path.Combine(root, "torchsharp", "runtimes")).FullName;
            var package = Directory.CreateDirectory(Path.Combine(root, "libtorch-cpu-linux-x64", "native")).FullName;
            var original = Path.Combine(nuget, "libLibTorchSharp.so");

            // The notebook host's layout: nothing beside TorchSharp's library, libtorch in its own package.
            Assert.Null(TorchNativeLoader.ShippedLibTorch(original, [package]));
            File.WriteAllBytes(Path.Combine(package, "libtorch.so"), [0]);
            Assert.Equal(Path.Combine(package, "libtorch.so"), TorchNativeLoader.ShippedLibTorch(original, [package]));

            // A build output's layout: libtorch copied beside it.
            File.WriteAllBytes(Path.Combine(nuget, "libtorch.so"), [0]);
            Assert.Equal(Path.Combine(nuget, "libtorch.so"), TorchNativeLoader.ShippedLibTorch(original, [package]));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
