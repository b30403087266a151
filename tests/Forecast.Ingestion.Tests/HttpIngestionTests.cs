using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Forecast.Ingestion.Tests;

/// <summary>HTTP ingest of a real silo process: keys, the answers InfluxDB clients expect, and every reading applied.</summary>
[Collection(EdgeCollection.Name)]
public sealed class HttpIngestionTests(EdgeSilo edge)
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);

    [Fact]
    public async Task Write_WithoutAValidKey_Is401_AndOutsideTheKeysPrefix_Is403()
    {
        var line = $"http-auth value=1 {Start.ToUnixTimeMilliseconds()}";
        using (var noKey = await PostAsync("/api/v2/write?precision=ms", line, key: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
            Assert.Contains("Edge:ApiKeyFile", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var wrongKey = await PostAsync("/api/v2/write?precision=ms", line, key: "not-a-key-of-the-file"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        }

        using (var outside = await PostAsync("/api/v2/write?precision=ms", line, key: EdgeSilo.PlantKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            Assert.Contains(EdgeSilo.PlantPrefix, await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var inside = await PostAsync("/api/v2/write?precision=ms", $"m,sensor={EdgeSilo.PlantPrefix}pump-1 value=1 {Start.ToUnixTimeMilliseconds()}", key: EdgeSilo.PlantKey, bearer: true);
        Assert.Equal(HttpStatusCode.NoContent, inside.StatusCode);
        Assert.Equal(1, await edge.AppliedAsync($"{EdgeSilo.PlantPrefix}pump-1"));
        Assert.Equal(0, await edge.AppliedAsync("http-auth"));
    }

    [Fact]
    public async Task Write_ABadLine_RefusesTheWholeRequest_With400NamingTheLine()
    {
        var ms = Start.ToUnixTimeMilliseconds();
        var body = $"m,sensor=http-bad-1 value=1 {ms}\nm,sensor=http-bad-1 value=oops {ms + 1000}\n";

        using var response = await PostAsync("/api/v2/write?precision=ms", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid", error.RootElement.GetProperty("code").GetString());
        Assert.StartsWith("Line 2", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await edge.AppliedAsync("http-bad-1"));
    }

    [Fact]
    public async Task Write_GzipLineProtocol_AppliesEveryReading_OfAHundredSensors()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            for (var s = 0; s < 100; s++)
            {
                var value = 20 + Math.Sin(i / 5.0) + s;
                body.Append(CultureInfo.InvariantCulture, $"temperature,sensor=http-lp-{s},site=a value={value:R} {Start.AddSeconds(i).ToUnixTimeMilliseconds() * 1_000_000}\n");
            }
        }

        using var response = await PostAsync("/api/v2/write?org=o&bucket=b", body.ToString(), gzip: true);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await edge.WaitAppliedAsync(Enumerable.Range(0, 100).Select(s => $"http-lp-{s}"), 100, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Readings_AJsonArray_AppliesEveryReading()
    {
        var readings = Enumerable.Range(0, 1_000).Select(i => new { sensor = $"http-json-{i % 10}", ts = Start.AddSeconds(i / 10).ToUnixTimeMilliseconds(), value = 5 + (i % 7) });

        using var response = await PostAsync("/readings", JsonSerializer.Serialize(readings), contentType: "application/json");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await edge.WaitAppliedAsync(Enumerable.Range(0, 10).Select(s => $"http-json-{s}"), 100, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Write_RefusesWhatItCannotRead_WithAClearAnswer()
    {
        var line = $"m,sensor=http-refused value=1 {Start.ToUnixTimeSeconds()}";
        using (var precision = await PostAsync("/api/v2/write?precision=h", line))
        {
            Assert.Equal(HttpStatusCode.BadRequest, precision.StatusCode);
            Assert.Contains("precision", await precision.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var lineProtocolAsJson = await PostAsync("/readings", line))
        {
            Assert.Equal(HttpStatusCode.BadRequest, lineProtocolAsJson.StatusCode);
        }

        using (var brotli = await SendAsync("/api/v2/write", new ByteArrayContent(Encoding.UTF8.GetBytes(line)) { Headers = { ContentEncoding = { "br" } } }))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, brotli.StatusCode);
        }

        using (var brokenGzip = await SendAsync("/api/v2/write", new ByteArrayContent([0x1f, 0x8b, 8, 0, 1, 2, 3]) { Headers = { ContentEncoding = { "gzip" } } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, brokenGzip.StatusCode);
        }

        // 5 MB of line protocol gzips to a few kilobytes: the limit counts what it expands to.
        var bomb = string.Concat(Enumerable.Repeat($"{line}\n", 5_000_000 / (line.Length + 1)));
        using (var tooLarge = await PostAsync("/api/v2/write?precision=s", bomb, gzip: true))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        }

        using var good = await PostAsync("/api/v2/write?precision=s", line);
        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);
        Assert.Equal(1, await edge.AppliedAsync("http-refused"));
    }

    [Fact]
    public async Task Ping_AnswersAsInfluxDbDoes()
    {
        using var response = await edge.Http.GetAsync("/ping");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True(response.Headers.Contains("X-Influxdb-Version"));
    }

    private Task<HttpResponseMessage> PostAsync(
        string path, string body, string? key = EdgeSilo.Key, bool gzip = false, bool bearer = false, string contentType = "text/plain")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (gzip)
        {
            using var compressed = new MemoryStream();
            using (var zip = new GZipStream(compressed, CompressionLevel.Fastest))
            {
                zip.Write(bytes);
            }

            bytes = compressed.ToArray();
        }

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return SendAsync(path, content, key, bearer);
    }

    private Task<HttpResponseMessage> SendAsync(string path, HttpContent content, string? key = EdgeSilo.Key, bool bearer = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(bearer ? "Bearer" : "Token", key);
        }

        return edge.Http.SendAsync(request);
    }
}
