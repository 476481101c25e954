namespace LoraNotebooks.Engine;

/// <summary>Where this machine's caches live: <c>$XDG_CACHE_HOME/loranotebooks</c>, else <c>~/.cache/loranotebooks</c>, else the temp folder.</summary>
public static class CacheFolder
{
    /// <summary>The cache root (not created here).</summary>
    public static string Root
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var root = !string.IsNullOrEmpty(xdg) ? xdg
                : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
                : Path.GetTempPath();
            return Path.Combine(root, "loranotebooks");
        }
    }
}
