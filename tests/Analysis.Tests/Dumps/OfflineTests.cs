using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Opening and questioning a dump uses no network unless a symbol server is named. A loopback listener stands in for
/// every server and proxy: it counts connections, so these tests fail if the default ever reaches out.
/// </summary>
public sealed class OfflineTests(MissingModulesDump dump) : IClassFixture<MissingModulesDump>
{
    [Fact]
    public void Open_DumpWhoseModuleFilesAreGone_AsksNoServer_AndWarnsNamingTheFiles()
    {
        using var requests = new HttpRequestRecorder();
        using var listener = new CountingHttpListener();
        var previousProxy = HttpClient.DefaultProxy;
        // Any HTTP request this process makes goes to the listener: ClrMD's default (Microsoft's public server) would
        // show here as a proxy connection.
        HttpClient.DefaultProxy = new WebProxy(listener.Url);
        try
        {
            // in this process, where the proxy and the recorder see every request (a worker runs the same locator)
            using var session = DumpSession.Open(dump.Dump, new DumpOpenOptions { Isolation = EngineIsolation.InProcess });
            Assert.NotEmpty(session.GetThreads());
            Assert.NotEmpty(session.GetHeapTop(5));
            _ = DumpTriage.Run(session);

            Assert.Empty(requests.SymbolRequests);
            Assert.Equal(0, listener.Connections);
            string warning = Assert.Single(session.Warnings, w => w.Contains("not on this machine", StringComparison.Ordinal));
            Assert.Contains(Path.Combine(dump.AppFolder, "DumpTarget.dll"), warning);
            Assert.Contains("-SymbolPath", warning);
            Assert.Contains("-SymbolServer", warning);

            // What ClrMD asks from inside the DAC when the dump lacks a module's page. Its default locator would request
            // it from Microsoft's public server here (and, offline, throw a SocketException into the DAC callback).
            var asked = session.GetClrRuntime().DataTarget.FileLocator!.FindPEImage(Path.Combine(dump.AppFolder, "DumpTarget.dll"), 0x12345678, 0x8000, checkProperties: false);
            Assert.Null(asked);
            Assert.Empty(requests.SymbolRequests);
            Assert.Equal(0, listener.Connections);
        }
        finally
        {
            HttpClient.DefaultProxy = previousProxy;
        }
    }

    [Theory]
    [InlineData(EngineIsolation.InProcess)]
    [InlineData(EngineIsolation.Worker)]
    public void Open_WithSymbolServer_AsksItForTheMissingFiles_AndWarnsWhenItHasNone(EngineIsolation isolation)
    {
        using var requests = new HttpRequestRecorder();
        using var listener = new CountingHttpListener();
        string cache = Path.Combine(dump.Folder, "symbol-cache-" + isolation);
        using var session = DumpSession.Open(dump.Dump, new DumpOpenOptions { SymbolServers = [listener.Url], SymbolCacheDirectory = cache, Isolation = isolation });

        Assert.Equal(isolation, session.ReadBy);
        if (isolation == EngineIsolation.InProcess)
            Assert.NotEmpty(requests.SymbolRequests); // the recorder sees this process only; the listener sees the worker too
        Assert.True(listener.Connections > 0);
        Assert.Contains(listener.Requests, r => r.Contains("/dumptarget.dll/", StringComparison.Ordinal));
        Assert.Contains(session.Warnings, w => w.Contains("did not have them", StringComparison.Ordinal));
        Assert.NotEmpty(session.GetThreads());
    }

    [Fact]
    public void Open_WithSymbolPathHoldingTheFiles_HasNoMissingFileWarning()
    {
        string folder = Path.Combine(dump.Folder, "symbols");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(RepoPaths.TargetDll("DumpTarget"))!, "*.dll"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);

        using var session = DumpSession.Open(dump.Dump, new DumpOpenOptions { SymbolPaths = [folder] });
        Assert.DoesNotContain(session.Warnings, w => w.Contains("not on this machine", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_WithUnreachableSymbolServer_OpensWithAWarning()
    {
        // A port nobody listens on: the download fails inside the locator, which turns it into a warning.
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var session = DumpSession.Open(dump.Dump, new DumpOpenOptions { SymbolServers = [$"http://127.0.0.1:{port}/"], SymbolCacheDirectory = Path.Combine(dump.Folder, "cache2") });
        Assert.Contains(session.Warnings, w => w.Contains($"127.0.0.1:{port}", StringComparison.Ordinal) && w.Contains("could not be reached", StringComparison.Ordinal));
        Assert.NotEmpty(session.GetThreads());
    }
}

/// <summary>
/// Every HTTP request this process starts, from the runtime's own "System.Net.Http" events: it sees a request even when
/// it fails before any connection (no DNS on an offline machine, a blocked address), which a listener would not.
/// </summary>
internal sealed class HttpRequestRecorder : EventListener
{
    private readonly List<string> _requests = new();

    /// <summary>Requests started, as scheme://host:port/path, that look like symbol-store downloads (name/key/name).</summary>
    public IReadOnlyList<string> SymbolRequests
    {
        get
        {
            lock (_requests)
                return _requests.Where(r => r.Contains("msdl.microsoft.com", StringComparison.OrdinalIgnoreCase) || r.Contains("/elf-buildid-", StringComparison.Ordinal) || r.Contains(".dll/", StringComparison.OrdinalIgnoreCase)).ToArray();
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "System.Net.Http")
            EnableEvents(eventSource, EventLevel.Informational);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "RequestStart" || e.Payload is not { Count: >= 4 } p)
            return;
        lock (_requests)
            _requests.Add($"{p[0]}://{p[1]}:{p[2]}{p[3]}");
    }
}

/// <summary>A loopback HTTP endpoint that answers 404 to everything and counts who came.</summary>
internal sealed class CountingHttpListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = new();
    private int _connections;

    public CountingHttpListener()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _ = Task.Run(AcceptLoop);
    }

    public string Url { get; }

    public int Connections => Volatile.Read(ref _connections);

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
                return _requests.ToArray();
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => Answer(client));
        }
    }

    private void Answer(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                stream.ReadTimeout = 5000;
                var line = new StringBuilder();
                int b;
                while ((b = stream.ReadByte()) >= 0 && b != '\n')
                    line.Append((char)b);
                lock (_requests)
                    _requests.Add(line.ToString().Trim());
                stream.Write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
