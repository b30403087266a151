using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;

namespace Forecast.Dashboard.Api;

/// <summary>
/// The web assets built from <c>Client/</c> and embedded in this assembly (resources named <c>dashboard/…</c>), held
/// in memory and served with ETags: <c>index.html</c> revalidated on every load, the hashed files under
/// <c>assets/</c> cached for a year.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";
    private readonly Dictionary<string, Asset> _files = new(StringComparer.Ordinal);

    public DashboardAssets()
        : this(typeof(DashboardAssets).Assembly)
    {
    }

    internal DashboardAssets(Assembly assembly)
    {
        var types = new FileExtensionContentTypeProvider();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            var contentType = types.TryGetContentType(path, out var type) ? type : "application/octet-stream";
            if (contentType.StartsWith("text/", StringComparison.Ordinal) || path.EndsWith(".js", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"";
            _files[path] = new Asset(content, contentType, etag);
        }
    }

    /// <summary>The embedded files' paths, such as <c>index.html</c> and <c>assets/index-1a2b3c.js</c>.</summary>
    public IReadOnlyCollection<string> Paths => _files.Keys;

    /// <summary>Answers with the file at <paramref name="path"/>, a 304 when the client holds it, or a 404.</summary>
    public IResult Serve(HttpContext context, string path, bool immutable)
    {
        if (!_files.TryGetValue(path, out var asset))
        {
            return path == "index.html"
                ? Results.Problem("This build of forecast has no dashboard assets (src/Forecast.Dashboard/Client was not built).", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(asset.ETag, StringComparison.Ordinal)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
