using System.Text;
using Forecast.Abstractions;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// One append-only journal per collection (<c>{collection}.log</c>: <c>+ key value</c> and <c>- key</c> lines,
/// tab-separated, flushed to disk on every write). Reading folds the journal; a torn last line (a crash mid
/// write) is cut off. A journal with many more dead lines than live keys is rewritten to a new file and
/// renamed over the old one, so it never grows without bound. A write that fails (a full disk) is cut off the
/// journal again and forgotten, so what the store holds is what is on disk, and the next write starts a clean line.
/// </summary>
internal sealed class FileAlertStore : IAlertStore, IDisposable
{
    private const int CompactAfter = 1_000;
    private readonly string _directory;
    private readonly Dictionary<string, Journal> _journals = [];
    private readonly SemaphoreSlim _lock = new(1, 1);

    public FileAlertStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public string DirectoryPath => _directory;

    public async Task<IReadOnlyDictionary<string, string>> ReadAsync(string collection, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return new Dictionary<string, string>(Open(collection).Live);
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task PutAsync(string collection, string key, string value, CancellationToken cancellationToken = default) =>
        WriteAsync(collection, key, value, cancellationToken);

    public Task DeleteAsync(string collection, string key, CancellationToken cancellationToken = default) =>
        WriteAsync(collection, key, null, cancellationToken);

    public void Dispose()
    {
        foreach (var journal in _journals.Values)
        {
            journal.Stream.Dispose();
        }

        _lock.Dispose();
    }

    private async Task WriteAsync(string collection, string key, string? value, CancellationToken cancellationToken)
    {
        if (key.Contains('\t') || key.Contains('\n') || value?.Contains('\n') == true)
        {
            throw new ArgumentException("Keys hold no tab or newline, and values no newline.", nameof(key));
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var journal = Open(collection);
            if (value is null && !journal.Live.Remove(key))
            {
                return;
            }

            if (value is not null)
            {
                journal.Live[key] = value;
            }

            journal.Lines++;
            var line = value is null ? $"-\t{key}\n" : $"+\t{key}\t{value}\n";
            var length = journal.Stream.Length;
            try
            {
                await journal.Stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
                journal.Stream.Flush(flushToDisk: true);
            }
            catch (Exception exception)
            {
                Forget(collection, journal, length);
                if (DiskFull.Is(exception))
                {
                    throw DiskFull.Named("the alert outbox", _directory, exception);
                }

                throw;
            }

            if (journal.Lines > CompactAfter && journal.Lines > 4 * journal.Live.Count)
            {
                Compact(collection, journal);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private Journal Open(string collection)
    {
        if (_journals.TryGetValue(collection, out var journal))
        {
            return journal;
        }

        var path = PathOf(collection);
        var live = new Dictionary<string, string>();
        var lines = 0;
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            var whole = bytes.AsSpan().LastIndexOf((byte)'\n') + 1;
            foreach (var line in Encoding.UTF8.GetString(bytes, 0, whole).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                lines++;
                var parts = line.Split('\t', 3);
                if (parts is ["+", var key, var value])
                {
                    live[key] = value;
                }
                else if (parts is ["-", var removed])
                {
                    live.Remove(removed);
                }
            }

            if (whole < bytes.Length)
            {
                // A line torn by a crash or a full disk: cut off, so the next write starts a line of its own.
                using var torn = new FileStream(path, FileMode.Open, FileAccess.Write);
                torn.SetLength(whole);
            }
        }

        journal = new Journal(live, Append(path)) { Lines = lines };
        _journals[collection] = journal;
        return journal;
    }

    /// <summary>
    /// Drops a journal whose last write failed: what of it landed is cut off again (which needs no space), and the
    /// journal is read again from disk at its next use, so a key whose line never landed is not taken for stored.
    /// </summary>
    private void Forget(string collection, Journal journal, long length)
    {
        _journals.Remove(collection);
        journal.Stream.Dispose();
        using var torn = new FileStream(PathOf(collection), FileMode.Open, FileAccess.Write);
        torn.SetLength(length);
    }

    private void Compact(string collection, Journal journal)
    {
        var path = PathOf(collection);
        var next = path + ".next";
        try
        {
            File.WriteAllLines(next, journal.Live.Select(entry => $"+\t{entry.Key}\t{entry.Value}"));
        }
        catch (IOException)
        {
            // No room for the copy (a full disk): the journal stays as it is, and compacting is tried at a later write.
            File.Delete(next);
            return;
        }

        journal.Stream.Dispose();
        File.Move(next, path, overwrite: true);
        journal.Stream = Append(path);
        journal.Lines = journal.Live.Count;
    }

    // Unbuffered, so a failed write leaves no bytes behind in the stream to be flushed later.
    private static FileStream Append(string path) => new(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);

    private string PathOf(string collection) =>
        Path.Combine(_directory, string.Concat(collection.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')) + ".log");

    private sealed class Journal(Dictionary<string, string> live, FileStream stream)
    {
        public Dictionary<string, string> Live { get; } = live;

        public FileStream Stream { get; set; } = stream;

        public int Lines { get; set; }
    }
}
