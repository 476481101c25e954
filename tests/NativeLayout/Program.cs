using LoraNotebooks.Engine.Native;
using TorchSharp;

// Exit 0 when a tensor operation runs with TorchSharp loaded from the NuGet cache.
TorchNativeLoader.EnsureLoadable();
var location = typeof(torch).Assembly.Location;
Console.WriteLine($"TorchSharp from {location}");
Console.WriteLine($"native loader: {TorchNativeLoader.Outcome}");
using var sum = (torch.ones(3) * 2).sum();
Console.WriteLine($"sum = {sum.item<float>()}");
return location.Contains(".nuget", StringComparison.Ordinal) && sum.item<float>() == 6f ? 0 : 1;
