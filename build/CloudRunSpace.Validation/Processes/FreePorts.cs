using System.Net;
using System.Net.Sockets;

namespace CloudRunSpace.Validation.Processes;

/// <summary>Free TCP ports, each handed out once per process.</summary>
public static class FreePorts
{
    // The kernel may offer a port again once its probe is closed, and two parts of one space (or two spaces) must
    // never be told the same one.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port free on every address, not just loopback: services listen on http://+:PORT (all interfaces), which a
    /// socket on the same port on any other address blocks. TcpListener.Create binds the way Kestrel does: IPv6 any
    /// in dual mode, or IPv4 any where the machine has no IPv6.
    /// </summary>
    public static int Next()
    {
        while (true)
        {
            var listener = TcpListener.Create(0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
