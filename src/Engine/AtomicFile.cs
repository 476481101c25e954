using System.Diagnostics;
using System.Text;

namespace LoraNotebooks.Engine;

/// <summary>Writes files so that the target path holds either the old complete file or the new one, never a part.</summary>
/// <remarks>
/// A process killed while writing leaves its temporary file (<c>.NAME.PID.GUID.tmp</c>) behind; the next
/// write of the same target removes those of processes that are no longer running.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes through a temporary file in the same folder, flushed to disk, then renamed over the target.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            RemoveStaleTemporaries(directory, Path.GetFileName(full));
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Deletes the temporary files of <paramref name="fileName"/> left by writers that died; a live writer's are kept.</summary>
    private static void RemoveStaleTemporaries(string directory, string fileName)
    {
        var prefix = $".{fileName}.";
        foreach (var temp in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            var name = Path.GetFileName(temp);
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var parts = name[prefix.Length..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], out var pid) || pid == Environment.ProcessId || IsRunning(pid))
                continue;
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's file, or gone already: the next write tries again.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Writes UTF-8 text atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));
}
