namespace Forecast.Testing;

/// <summary>
/// A test class with a real <see cref="HttpReceiver"/> for alert deliveries and a temporary folder (the outbox's),
/// both new for every test and removed after it.
/// </summary>
public abstract class ReceiverTest : IAsyncLifetime
{
    /// <summary>A signing key and its <c>whsec_</c> secret, as a webhook receiver and the silo share them.</summary>
    protected static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    protected static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);

    protected string Folder { get; } = Directory.CreateTempSubdirectory("forecast-alerts-").FullName;

    protected HttpReceiver Receiver { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Receiver = await HttpReceiver.StartAsync();

    public virtual async Task DisposeAsync()
    {
        await Receiver.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
