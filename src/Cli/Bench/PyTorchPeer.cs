using System.Diagnostics;
using System.Text.Json;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Training;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Bench;

/// <summary>
/// <c>bench/pytorch_bench.py</c> in a child process: the built-in model in PyTorch eager with the same
/// LoRA, weights, batch and threads. It first computes the loss on a batch the engine wrote (noise and
/// timesteps fixed) with an adapter whose up weights are non-zero, so the LoRA path counts; then it trains
/// on request, so its rounds interleave with the engine's.
/// </summary>
internal sealed class PyTorchPeer : IDisposable
{
    /// <summary>The largest loss difference accepted between the engine and the PyTorch port.</summary>
    public const double Tolerance = 1e-4;

    private readonly Process _process;
    private readonly System.Text.StringBuilder _errors = new();

    private PyTorchPeer(Process process) => _process = process;

    /// <summary>The engine's loss on the shared batch.</summary>
    public double EngineLoss { get; private set; }

    /// <summary>PyTorch's loss on the shared batch.</summary>
    public double Loss { get; private set; }

    /// <summary>PyTorch's version.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The BLAS library the PyTorch process loaded.</summary>
    public string Blas { get; private set; } = "";

    /// <summary>
    /// Writes the adapter and batch files into <paramref name="folder"/>, starts the script and checks the
    /// two losses agree within <see cref="Tolerance"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Python or torch is missing, or the losses differ.</exception>
    public static PyTorchPeer Start(string python, TinyDiffusionModel model, TrainingBench bench, string basePath, string folder, int threads)
    {
        var script = Locate() ?? throw new InvalidOperationException("bench/pytorch_bench.py was not found beside the application or in the repository");
        var adapterPath = Path.Combine(folder, "pytorch-adapter.safetensors");
        var batchPath = Path.Combine(folder, "pytorch-batch.safetensors");
        var engineLoss = WriteInputs(model, bench, adapterPath, batchPath);

        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { script, "--base", basePath, "--adapter", adapterPath, "--batch", batchPath, "--threads", threads.ToString() },
            // OpenBLAS (when libblas.so.3 is OpenBLAS) runs its own threads, which torch.set_num_threads does not limit.
            Environment = { ["OPENBLAS_NUM_THREADS"] = threads.ToString(), ["OMP_NUM_THREADS"] = threads.ToString() },
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserErrorException($"cannot start '{python}' for the PyTorch comparison ({e.Message}); install python3-torch or pass --python");
        }
        var peer = new PyTorchPeer(process);
        process.ErrorDataReceived += (_, e) => { lock (peer._errors) peer._errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        using var first = peer.ReadLine();
        peer.EngineLoss = engineLoss;
        peer.Loss = first.RootElement.GetProperty("loss").GetDouble();
        peer.Version = first.RootElement.GetProperty("torch").GetString() ?? "";
        peer.Blas = first.RootElement.GetProperty("blas").GetString() ?? "";
        if (Math.Abs(peer.Loss - engineLoss) > Tolerance)
        {
            peer.Dispose();
            throw new InvalidOperationException($"the PyTorch port computes loss {peer.Loss:R} on the shared batch, the engine {engineLoss:R}: more than {Tolerance} apart");
        }
        return peer;
    }

    /// <summary>Trains <paramref name="steps"/> steps in PyTorch; the seconds of each after the first.</summary>
    public List<double> Steps(int steps)
    {
        _process.StandardInput.WriteLine($"steps {steps}");
        _process.StandardInput.Flush();
        using var reply = ReadLine();
        return [.. reply.RootElement.GetProperty("seconds").EnumerateArray().Select(s => s.GetDouble())];
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(5000))
                    _process.Kill();
            }
        }
        catch (IOException)
        {
        }
        _process.Dispose();
    }

    private JsonDocument ReadLine()
    {
        var line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            string errors;
            lock (_errors) errors = _errors.ToString().Trim();
            var last = errors.Split('\n').LastOrDefault(l => l.Trim().Length > 0) ?? "no output";
            throw new InvalidOperationException($"the PyTorch comparison stopped (exit {_process.ExitCode}): {last.Trim()}" +
                (errors.Contains("No module named 'torch'") ? " (install python3-torch: apt-get install python3-torch)" : ""));
        }
        return JsonDocument.Parse(line);
    }

    /// <summary>The adapter (the plan's targets, up weights drawn non-zero) and the batch with fixed noise and timesteps; returns the engine's loss.</summary>
    private static double WriteInputs(TinyDiffusionModel model, TrainingBench bench, string adapterPath, string batchPath)
    {
        using var lora = new LoraModel(model.Parts);
        using var init = new Generator(5);
        using var network = lora.Add(new LoraNetwork("pytorch", PlanTargets.Find(model.Parts, bench.Plan.Lora), PlanTargets.Options(bench.Plan.Lora), init));
        using (no_grad())
        {
            foreach (var layer in network.Layers.Values)
            {
                var up = layer.Up.parameters().First();
                using var drawn = randn(up.shape, generator: init) * 0.05;
                up.copy_(drawn);
            }
        }
        AdapterFile.Save(network, adapterPath);

        using var scope = NewDisposeScope();
        using var noiseGenerator = new Generator(7);
        using var lossGenerator = new Generator(7); // the loss draws its noise first: the same noise
        var batch = bench.Images.shape[0];
        var noise = randn(bench.Images.shape, generator: noiseGenerator);
        var timesteps = tensor(Enumerable.Range(0, (int)batch).Select(i => (long)((i + 0.5) / batch * (model.TrainTimesteps - 1))).ToArray());
        double loss;
        using (no_grad())
            loss = model.Loss(bench.Images, bench.Captions, lossGenerator, timesteps: timesteps).item<float>();
        SafeTensorsWriter.Write(batchPath,
        [
            SafeTensorsTorch.ToTensorData("images", bench.Images),
            SafeTensorsTorch.ToTensorData("input_ids", model.Tokenizer.Encode(bench.Captions)),
            SafeTensorsTorch.ToTensorData("noise", noise),
            SafeTensorsTorch.ToTensorData("timesteps", timesteps),
        ], new Dictionary<string, string> { ["captions"] = JsonSerializer.Serialize(bench.Captions) });
        return loss;
    }

    /// <summary>bench/pytorch_bench.py beside the application or in a folder above it (the repository).</summary>
    private static string? Locate()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "bench", "pytorch_bench.py");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
