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
}
