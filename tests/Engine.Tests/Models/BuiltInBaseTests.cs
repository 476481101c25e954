using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.Models;

public class BuiltInBaseTests
{
    [Fact]
    public void the_shipped_base_is_found_beside_the_engine_assembly_so_any_host_finds_it()
    {
        var beside = Path.Combine(Path.GetDirectoryName(typeof(BuiltInBase).Assembly.Location)!, "assets", BuiltInBase.FileName);

        Assert.Equal(beside, BuiltInBase.Locate());
    }

    [Fact]
    public void the_shipped_base_carries_its_config_and_loads_as_pretrained()
    {
        using var model = BuiltInBase.Load(out var pretrained);

        Assert.True(pretrained);
        using var file = SafeTensorsFile.Open(BuiltInBase.Locate()!);
        var metadata = file.Metadata;
        Assert.Equal(model.Config.ToJson(), TinyDiffusionConfig.FromJson(metadata[BuiltInBase.ConfigKey]).ToJson());
    }
}
