using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Forecast.Testing;

/// <summary>Loopback TCP ports nothing listens on, for the servers and silos tests start.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A free port as configuration and command lines take it.</summary>
    public static string NextText() => Next().ToString(CultureInfo.InvariantCulture);
}
