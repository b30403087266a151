using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Forecast.Testing;

/// <summary>Loopback TCP ports nothing listens on, for the servers and silos tests start.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    /// <summary>A port the system just had free, and never one this process was given before.</summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Given)
            {
                // The system may hand a port out again as soon as the listener closes: a silo once got the same
                // port as its silo and gateway port, and refused to start.
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>A free port as configuration and command lines take it.</summary>
    public static string NextText() => Next().ToString(CultureInfo.InvariantCulture);
}
