using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Forecast.Models;

namespace Forecast.Faults;

/// <summary>
/// The poison-model fault: model packages that must never be served, uploaded to a running silo under load. Each
/// must be refused with a 4xx and its reason, and the registry must still hold only the version that was serving.
/// </summary>
internal static class PoisonModels
{
    /// <summary>The packages, each named by what is wrong with it.</summary>
    public static IEnumerable<(string Poison, byte[] Package)> Packages()
    {
        var shipped = RepositoryFiles.Find("onnx", "models", "gru-window");
        yield return ("a model.onnx cut in half", Altered(shipped, folder =>
        {
            var onnx = Path.Combine(folder, "model.onnx");
            var bytes = File.ReadAllBytes(onnx);
            File.WriteAllBytes(onnx, bytes[..(bytes.Length / 2)]);
        }));
        yield return ("a manifest whose horizon the graph does not have", Altered(shipped, folder =>
        {
            var manifest = Path.Combine(folder, "manifest.json");
            var json = JsonNode.Parse(File.ReadAllText(manifest))!;
            json["horizon"] = 6;
            json["version"] = "poisoned";
            File.WriteAllText(manifest, json.ToJsonString());
        }));
        yield return ("a symbolic link to /etc/passwd", Tar(("manifest.json", TarEntryType.SymbolicLink, "/etc/passwd")));
        yield return ("a path outside the model folder", Tar(("../../escaped.onnx", TarEntryType.RegularFile, "x")));
        yield return ("bytes that are not a gzip tar", Encoding.UTF8.GetBytes("this is not a model"));
    }

    /// <summary>
    /// Uploads every poison through <paramref name="url"/>; returns what went wrong (an upload taken, a version
    /// registered), or null when each was refused and the registry holds only what it held before.
    /// </summary>
    public static async Task<string?> UploadAsync(string url, string key, TextWriter log)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var before = await VersionsAsync(http);
        var problems = new List<string>();
        foreach (var (poison, package) in Packages())
        {
            using var body = new ByteArrayContent(package);
            using var response = await http.PostAsync(new Uri("/models", UriKind.Relative), body);
            var answer = await response.Content.ReadAsStringAsync();
            var reason = JsonNode.Parse(answer)?["detail"]?.GetValue<string>() ?? answer;
            log.WriteLine($"  poison '{poison}': {(int)response.StatusCode} {reason}");
            if ((int)response.StatusCode is < 400 or >= 500)
            {
                problems.Add($"'{poison}' was answered {(int)response.StatusCode}, not refused with a 4xx");
            }
        }

        var after = await VersionsAsync(http);
        if (!after.SequenceEqual(before))
        {
            problems.Add($"the registry changed: {string.Join(", ", before)} before, {string.Join(", ", after)} after");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static async Task<List<string>> VersionsAsync(HttpClient http)
    {
        var listing = JsonNode.Parse(await http.GetStringAsync(new Uri("/models", UriKind.Relative)))!;
        return [.. listing["versions"]!.AsArray().Select(v => $"{v!["id"]} {v["stage"]}")];
    }

    /// <summary>The shipped model, changed by <paramref name="change"/> in a scratch copy, packed as a user's tool would.</summary>
    private static byte[] Altered(string model, Action<string> change)
    {
        var folder = Directory.CreateTempSubdirectory("forecast-poison-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(model))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            change(folder);
            return ModelPackage.Pack(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A gzip tar written entry by entry, as a hostile tool would.</summary>
    private static byte[] Tar(params (string Name, TarEntryType Type, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, type, content) in entries)
            {
                var entry = new PaxTarEntry(type, name);
                if (type == TarEntryType.SymbolicLink)
                {
                    entry.LinkName = content;
                }
                else
                {
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                }

                tar.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }
}
