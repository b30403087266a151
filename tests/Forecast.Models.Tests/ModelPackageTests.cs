using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Forecast.Models.Tests;

/// <summary>The upload's unpacking: what a model folder packs to, and every unsafe package refused with its reason.</summary>
public sealed class ModelPackageTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("forecast-package-tests-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public void Pack_ThenUnpack_GivesTheSameFiles_AndTheSameBytesEveryTime()
    {
        var model = Folder("model", ("model.onnx", "onnx bytes"), ("manifest.json", "{}"), ("extra/notes.txt", "trained on ETTh1"));
        var package = ModelPackage.Pack(model);
        Thread.Sleep(1_100);
        File.ReadAllBytes(Path.Combine(model, "model.onnx")); // a read changes the access time, which must not matter

        Assert.Equal(package, ModelPackage.Pack(model));
        var unpacked = Path.Combine(_scratch, "unpacked");
        ModelPackage.Unpack(package, unpacked, 1 << 20);
        Assert.Equal("trained on ETTh1", File.ReadAllText(Path.Combine(unpacked, "extra", "notes.txt")));
        Assert.Equal(ModelPackage.ContentHash(model), ModelPackage.ContentHash(unpacked));
    }

    [Fact]
    public void ContentHash_IsTheSameWhateverPackedTheFolder_AndChangesWithOneByte()
    {
        var model = Folder("model", ("model.onnx", "onnx bytes"), ("manifest.json", "{}"));
        // As `tar czf` would pack it: another format, times and owners, so other bytes.
        var other = Tar(TarEntryFormat.Gnu, ("manifest.json", "{}", TarEntryType.RegularFile), ("model.onnx", "onnx bytes", TarEntryType.RegularFile));
        Assert.NotEqual(ModelPackage.Pack(model), other);
        var unpacked = Path.Combine(_scratch, "from-tar");
        ModelPackage.Unpack(other, unpacked, 1 << 20);
        Assert.Equal(ModelPackage.ContentHash(model), ModelPackage.ContentHash(unpacked));

        File.WriteAllText(Path.Combine(unpacked, "model.onnx"), "onnx byteS");
        Assert.NotEqual(ModelPackage.ContentHash(model), ModelPackage.ContentHash(unpacked));
    }

    [Theory]
    [InlineData("../escape.txt", "points outside the model folder")]
    [InlineData("/etc/forecast-escape", "points outside the model folder")]
    [InlineData("sub/../../escape.txt", "points outside the model folder")]
    public void Unpack_RefusesPathsOutsideTheFolder(string name, string reason)
    {
        var package = Tar(TarEntryFormat.Pax, ("manifest.json", "{}", TarEntryType.RegularFile), (name, "x", TarEntryType.RegularFile));
        var target = Path.Combine(_scratch, "target");

        var error = Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(package, target, 1 << 20));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_scratch, "escape.txt")));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.Fifo)]
    public void Unpack_RefusesLinksAndDevices(TarEntryType type)
    {
        var package = Tar(TarEntryFormat.Pax, ("model.onnx", "/etc/passwd", type));

        var error = Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(package, Path.Combine(_scratch, "target"), 1 << 20));

        Assert.Contains("regular files only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unpack_RefusesWhatIsNotAGzipTar_TooMuch_AndNothing()
    {
        var target = Path.Combine(_scratch, "target");
        Assert.Contains("not a gzip tar", Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(Encoding.UTF8.GetBytes("just text"), target, 1 << 20)).Message, StringComparison.Ordinal);

        var truncated = ModelPackage.Pack(Folder("model", ("model.onnx", new string('x', 100_000))));
        Assert.Contains("not a gzip tar", Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(truncated[..(truncated.Length / 2)], Path.Combine(_scratch, "t2"), 1 << 20)).Message, StringComparison.Ordinal);

        var big = Tar(TarEntryFormat.Pax, ("model.onnx", new string('x', 5_000), TarEntryType.RegularFile));
        Assert.Contains("MaxUnpackedBytes", Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(big, Path.Combine(_scratch, "t3"), 4_096)).Message, StringComparison.Ordinal);

        var many = Tar(TarEntryFormat.Pax, [.. Enumerable.Range(0, ModelPackage.MaxEntries + 1).Select(i => ($"f{i}", "x", TarEntryType.RegularFile))]);
        Assert.Contains("more than 64 entries", Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(many, Path.Combine(_scratch, "t4"), 1 << 20)).Message, StringComparison.Ordinal);

        Assert.Contains("model folder", Assert.Throws<ModelPackageException>(() => ModelPackage.Unpack(Tar(TarEntryFormat.Pax), Path.Combine(_scratch, "t5"), 1 << 20)).Message, StringComparison.Ordinal);
    }

    private string Folder(string name, params (string Path, string Text)[] files)
    {
        var root = Path.Combine(_scratch, name);
        foreach (var (path, text) in files)
        {
            var file = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
        }

        return root;
    }

    /// <summary>A gzip tar written entry by entry, as a hostile or a foreign tool would write it.</summary>
    private static byte[] Tar(TarEntryFormat format, params (string Name, string Content, TarEntryType Type)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, format, leaveOpen: true))
        {
            foreach (var (name, content, type) in entries)
            {
                TarEntry entry = format == TarEntryFormat.Gnu
                    ? new GnuTarEntry(type, name) { ModificationTime = DateTimeOffset.UtcNow, Uid = 1000, Gid = 1000 }
                    : new PaxTarEntry(type, name);
                if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    entry.LinkName = content;
                }
                else if (type == TarEntryType.RegularFile)
                {
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                }

                tar.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }
}
