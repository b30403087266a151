using System.Text;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// One append-only journal per collection (<c>{collection}.log</c>: <c>+ key value</c> and <c>- key</c> lines,
/// tab-separated, flushed to disk on every write). Reading folds the journal; a torn last line (a crash mid
/// write) is skipped. A journal with many more dead lines than live keys is rewritten to a new file and
/// renamed over the old one, so it never grows without bound.
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
            await journal.Stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
            journal.Stream.Flush(flushToDisk: true);
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
            foreach (var line in File.ReadLines(path))
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
        }

        journal = new Journal(live, new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { Lines = lines };
        _journals[collection] = journal;
        return journal;
    }

    private void Compact(string collection, Journal journal)
    {
        var path = PathOf(collection);
        var next = path + ".next";
        File.WriteAllLines(next, journal.Live.Select(entry => $"+\t{entry.Key}\t{entry.Value}"));
        journal.Stream.Dispose();
        File.Move(next, path, overwrite: true);
        journal.Stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        journal.Lines = journal.Live.Count;
    }

    private string PathOf(string collection) =>
        Path.Combine(_directory, string.Concat(collection.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')) + ".log");

    private sealed class Journal(Dictionary<string, string> live, FileStream stream)
    {
        public Dictionary<string, string> Live { get; } = live;

        public FileStream Stream { get; set; } = stream;

        public int Lines { get; set; }
    }
}
