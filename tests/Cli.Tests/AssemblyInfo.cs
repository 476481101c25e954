// Commands share TorchSharp's process-wide state (the default device that `lora model info` sets
// to meta while it builds, the default random generator), so tests must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
