using System.Diagnostics;

namespace Forecast.Testing;

/// <summary>
/// A small tmpfs to fill up, mounted in a private mount namespace by a child process (<c>unshare -Urm</c>, which
/// needs no root where user namespaces are allowed; <c>unshare -m</c> as root where they are not) and reached
/// through <c>/proc/PID/root</c>: this process and the silos it starts write to it, and the machine's own mounts
/// stay as they are. The namespace, tmpfs and all, goes when the child does: at <see cref="Dispose"/>, or when this
/// process dies (the child waits on its stdin). Throws where it cannot mount, since a disk-full test that skips
/// proves nothing.
/// </summary>
public sealed class TinyDisk : IDisposable
{
    private readonly Process _holder;
    private readonly string _mountPoint;

    private TinyDisk(Process holder, string mountPoint)
    {
        (_holder, _mountPoint) = (holder, mountPoint);
        Path = $"/proc/{holder.Id}/root{mountPoint}";
    }

    /// <summary>The tmpfs's root, as any process of this user reaches it.</summary>
    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, ".filler");

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> (rounded up to pages).</summary>
    public static async Task<TinyDisk> MountAsync(long bytes)
    {
        var mountPoint = Directory.CreateTempSubdirectory("forecast-tinydisk-").FullName;
        var failures = new List<string>();
        foreach (var flags in new[] { "-Urm", "-m" })
        {
            var holder = Start(flags, bytes, mountPoint);
            var ready = await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            if (ready == "mounted")
            {
                return new TinyDisk(holder, mountPoint);
            }

            await holder.WaitForExitAsync();
            failures.Add($"unshare {flags}: {(await holder.StandardError.ReadToEndAsync()).Trim()}");
            holder.Dispose();
        }

        Directory.Delete(mountPoint);
        throw new InvalidOperationException(
            "Could not mount a tmpfs in a private mount namespace (user namespaces off and not root?): " + string.Join("; ", failures));
    }

    /// <summary>Writes a filler file until the disk refuses more, and checks that it did so for want of space.</summary>
    public void Fill()
    {
        using var filler = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                filler.Write(chunk);
            }
        }
        catch (IOException exception) when (Forecast.Abstractions.DiskFull.Is(exception))
        {
        }
    }

    /// <summary>Removes the filler: the space is back.</summary>
    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        if (!_holder.HasExited)
        {
            _holder.Kill();
            _holder.WaitForExit();
        }

        _holder.Dispose();
        Directory.Delete(_mountPoint);
    }

    private static Process Start(string flags, long bytes, string mountPoint)
    {
        // The shell mounts, says so, then waits on stdin: the namespace lives exactly as long as this handle.
        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { flags, "sh", "-c", "mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && echo mounted && exec cat >/dev/null", "sh", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), mountPoint })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start unshare");
    }
}
