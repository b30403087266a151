using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forecast.Models;

namespace Forecast.Host.Verbs;

/// <summary>
/// <c>forecast models deploy|list|promote|rollback|audit --url URL --api-key-file F</c>: the model endpoints of a
/// running silo, called as a person would with curl. Prints the silo's JSON answer; a refusal prints its reason on
/// stderr and exits 1, a silo that cannot be reached exits 2.
/// </summary>
internal sealed class ModelRegistryClient(HttpClient http, TextWriter stdout, TextWriter stderr)
{
    /// <summary>Exit status when the silo refused the request (4xx/5xx).</summary>
    public const int Refused = 1;

    /// <summary>Exit status when the silo could not be reached or the key file read.</summary>
    public const int Unreachable = 2;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string url, string keyFile, TextWriter stdout, TextWriter stderr, Func<ModelRegistryClient, Task<int>> action)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            await stderr.WriteLineAsync($"forecast models: --url '{url}' is not an http(s) URL, such as http://127.0.0.1:8080.");
            return Unreachable;
        }

        string key;
        try
        {
            key = FirstKey(keyFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"forecast models: --api-key-file: {exception.Message}");
            return Unreachable;
        }

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            return await action(new ModelRegistryClient(http, stdout, stderr));
        }
        catch (HttpRequestException exception)
        {
            await stderr.WriteLineAsync($"forecast models: {baseAddress} cannot be reached: {exception.Message}");
            return Unreachable;
        }
        catch (TaskCanceledException)
        {
            await stderr.WriteLineAsync($"forecast models: {baseAddress} did not answer within {http.Timeout.TotalSeconds:0} s.");
            return Unreachable;
        }
    }

    /// <summary>Uploads the folder (validated by the silo) and deploys it as <paramref name="mode"/>.</summary>
    public async Task<int> DeployAsync(string directory, string mode, int? percent, string? sensors)
    {
        if (!Directory.Exists(directory))
        {
            await stderr.WriteLineAsync($"forecast models deploy: {directory} is not a folder; pass the folder holding model.onnx, manifest.json and golden.json.");
            return Refused;
        }

        byte[] package;
        try
        {
            package = ModelPackage.Pack(directory);
        }
        catch (ModelPackageException exception)
        {
            await stderr.WriteLineAsync($"forecast models deploy: {exception.Message}");
            return Refused;
        }

        using var upload = new ByteArrayContent(package);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        var uploaded = await SendAsync(HttpMethod.Post, "models", upload, print: false);
        if (uploaded?["version"]?["id"]?.GetValue<string>() is not { } id)
        {
            return Refused;
        }

        await stderr.WriteLineAsync($"uploaded {id} ({package.Length:N0} bytes), validated by the silo");
        var body = new JsonObject { ["mode"] = mode, ["percent"] = percent, ["sensors"] = sensors };
        return await CallAsync(HttpMethod.Post, $"models/{Uri.EscapeDataString(id)}/deploy", Json(body));
    }

    public Task<int> PromoteAsync(string id) =>
        CallAsync(HttpMethod.Post, $"models/{Uri.EscapeDataString(id)}/deploy", Json(new JsonObject { ["mode"] = "primary" }));

    public Task<int> RollbackAsync() => CallAsync(HttpMethod.Post, "models/rollback", null);

    public Task<int> ListAsync() => CallAsync(HttpMethod.Get, "models", null);

    public Task<int> AuditAsync() => CallAsync(HttpMethod.Get, "models/audit", null);

    /// <summary>The first key of a key file (<c>KEY [NAME]</c> per line, <c>#</c> comments), as the silo reads them.</summary>
    private static string FirstKey(string file) =>
        File.ReadLines(file).Select(line => line.Trim()).FirstOrDefault(line => line.Length > 0 && line[0] != '#')?
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]
        ?? throw new InvalidDataException($"'{file}' holds no key.");

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<int> CallAsync(HttpMethod method, string path, HttpContent? content) =>
        await SendAsync(method, path, content, print: true) is null ? Refused : 0;

    /// <summary>Sends the request; prints the answer (on success, when asked) or the refusal's reason, and returns the answer when it succeeded.</summary>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, bool print)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? answer = null;
        try
        {
            answer = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
        }

        if (!response.IsSuccessStatusCode)
        {
            var reason = answer?["detail"]?.GetValue<string>() ?? answer?["title"]?.GetValue<string>() ?? text;
            await stderr.WriteLineAsync($"forecast models: {method} {path}: {(int)response.StatusCode} {response.ReasonPhrase}: {reason}");
            return null;
        }

        if (print)
        {
            await stdout.WriteLineAsync(answer?.ToJsonString(Indented) ?? text);
        }

        return answer ?? new JsonObject();
    }
}
