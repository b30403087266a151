using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Forecast.Models;

/// <summary>
/// A model folder as it travels: a gzip tar of its regular files (<c>model.onnx</c>, <c>manifest.json</c>,
/// <c>golden.json</c> and whatever else the data scientist ships beside them). Unpacking refuses links, devices,
/// absolute or climbing paths, and anything past the size limits, before a byte lands outside the target folder.
/// </summary>
public static class ModelPackage
{
    /// <summary>Entries a package may hold at most.</summary>
    public const int MaxEntries = 64;

    /// <summary>Packs the regular files under <paramref name="directory"/>, with paths relative to it.</summary>
    public static byte[] Pack(string directory)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{root} is not a folder; pass the folder holding model.onnx, manifest.json and golden.json.");
        }

        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (file, name) in Files(root))
            {
                // Only the name and the bytes: the same folder packs to the same package on any machine.
                using var content = File.OpenRead(file);
                try
                {
                    tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
                    {
                        DataStream = content,
                        ModificationTime = DateTimeOffset.UnixEpoch,
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    });
                }
                catch (ArgumentException exception)
                {
                    throw new ModelPackageException($"'{name}' cannot be packed ({exception.Message}); keep a model folder's paths short.", exception);
                }
            }
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The SHA-256 of a model folder's files (their relative paths and bytes), in lower-case hex: a version's
    /// identity in the store, whatever tar packed it. The same folder has the same hash on every machine.
    /// </summary>
    public static string ContentHash(string directory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var (file, name) in Files(Path.GetFullPath(directory)))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\0"));
            var bytes = File.ReadAllBytes(file);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.LongLength);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The regular files under <paramref name="root"/> (links left out), with '/'-separated relative names, in ordinal order.</summary>
    private static IEnumerable<(string File, string Name)> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(file => new FileInfo(file).LinkTarget is null)
            .Select(file => (file, Path.GetRelativePath(root, file).Replace('\\', '/')))
            .OrderBy(f => f.Item2, StringComparer.Ordinal);

    /// <summary>
    /// Unpacks <paramref name="package"/> into <paramref name="target"/> (created; it must be empty or absent).
    /// Throws <see cref="ModelPackageException"/> with the reason when the package is not a gzip tar, holds
    /// anything but regular files and folders, names a path outside the target, or unpacks past
    /// <paramref name="maxBytes"/> or <see cref="MaxEntries"/>.
    /// </summary>
    public static void Unpack(byte[] package, string target, long maxBytes)
    {
        var root = Path.GetFullPath(target);
        Directory.CreateDirectory(root);
        long total = 0;
        var entries = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(package, writable: false), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (++entries > MaxEntries)
                {
                    throw new ModelPackageException($"the package holds more than {MaxEntries} entries; a model folder needs a handful.");
                }

                var path = SafePath(root, entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile when path != root:
                        total += entry.Length;
                        if (total > maxBytes)
                        {
                            throw new ModelPackageException($"the package unpacks to more than {maxBytes:N0} bytes (Models:MaxUnpackedBytes).");
                        }

                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        using (var file = File.Create(path))
                        {
                            entry.DataStream?.CopyTo(file);
                        }

                        break;
                    case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                        break;
                    default:
                        throw new ModelPackageException($"'{entry.Name}' is a {entry.EntryType} entry; a model package holds regular files only (no links or devices).");
                }
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ModelPackageException($"the upload is not a gzip tar of a model folder ({exception.Message}).", exception);
        }

        if (entries == 0)
        {
            throw new ModelPackageException("the package is empty; pack the folder holding model.onnx, manifest.json and golden.json.");
        }
    }

    private static string SafePath(string root, string name)
    {
        var path = Path.IsPathRooted(name) ? null : Path.GetFullPath(Path.Combine(root, name));
        return path is not null && (path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            ? path
            : throw new ModelPackageException($"'{name}' points outside the model folder; entries must be relative paths inside it.");
    }
}

/// <summary>An upload that is not a safe model package, with the reason.</summary>
public sealed class ModelPackageException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public ModelPackageException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public ModelPackageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
