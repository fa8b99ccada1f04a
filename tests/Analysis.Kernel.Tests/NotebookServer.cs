using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Analysis.Testing;

namespace Analysis.Kernel.Tests;

/// <summary>
/// One Debian jupyter-notebook server (classic Notebook 6) for the whole test run, on 127.0.0.1 with a free port and a
/// random token, no browser, the test kernelspecs found through JUPYTER_PATH, and its config, runtime and data folders
/// (and HOME) under artifacts/kernel-tests/server — never the user's. It serves <see cref="Root"/>, a mirror of the
/// repository's layout: notebooks/ holds the notebooks a test writes (the repository's own are never opened, so a
/// browser's save cannot touch them) beside a copy of notebooks/nuget.config, and tests/, artifacts/module and
/// artifacts/package link to the repository's, so a notebook's relative paths (../tests/testdata, ../artifacts/module,
/// the package source ../artifacts/package) mean what they mean in notebooks/. Stopped through its shutdown API (which stops its kernels) when the tests that use it are done
/// (<see cref="Fixture"/>); should the test host be killed first, the server ends itself after 5 idle minutes.
/// </summary>
public sealed class NotebookServer
{
    private static readonly Lazy<NotebookServer?> s_instance = new(Start);

    private static string? s_missing;

    private readonly Process _process;

    private NotebookServer(Process process, int port, string token)
    {
        _process = process;
        Url = new Uri($"http://127.0.0.1:{port}/");
        Token = token;
    }

    /// <summary>The server's address (http://127.0.0.1:port/).</summary>
    public Uri Url { get; }

    /// <summary>The token every request carries.</summary>
    public string Token { get; }

    /// <summary>How long the server took to answer its status API.</summary>
    public TimeSpan StartTime { get; private init; }

    public static string Folder => Path.Combine(JupyterKernels.Folder, "server");

    /// <summary>The folder the server serves.</summary>
    public static string Root => Path.Combine(Folder, "root");

    /// <summary>Where a test writes the notebooks it opens (Root/notebooks).</summary>
    public static string NotebookFolder => Path.Combine(Root, "notebooks");

    /// <summary>The running server, started on first use; null when it cannot run here (<see cref="Missing"/> says why); throws when it is installed but does not serve.</summary>
    public static NotebookServer? Instance => s_instance.Value;

    /// <summary>Why the server cannot run here (null when it can): what is not installed.</summary>
    public static string? Missing
    {
        get
        {
            _ = s_instance.Value;
            return s_missing;
        }
    }

    /// <summary>
    /// Stops the server (if it was started) when the test class using it is done: xunit disposes class fixtures before
    /// the test host ends, which may not wait for ProcessExit handlers.
    /// </summary>
    public sealed class Fixture : IDisposable
    {
        public void Dispose()
        {
            if (s_instance.IsValueCreated && s_instance.Value is { } server)
                server.Stop();
        }
    }

    /// <summary>The browser address of a notebook under <see cref="Root"/>, token included.</summary>
    public Uri NotebookUrl(string relativePath) => new(Url, $"notebooks/{string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString))}?token={Token}");

    private static NotebookServer? Start()
    {
        if (JupyterKernels.ClientsMissing is { } clients)
            return Fail(clients);
        var probe = JupyterKernels.Run("/usr/bin/python3", ["-c", "import notebook; print(notebook.__version__)"]);
        if (probe.ExitCode != 0)
            return Fail($"Debian's jupyter-notebook is not installed (/usr/bin/python3 cannot import notebook: {probe.Stderr.Trim().Split('\n').LastOrDefault()}); dotnet fsi build.fsx test installs it with apt");

        string config = Path.Combine(Folder, "config");
        string home = Path.Combine(Folder, "home");
        foreach (string dir in new[] { config, Path.Combine(Folder, "runtime"), Path.Combine(Folder, "data"), home, NotebookFolder })
            Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(RepoPaths.Root, "notebooks", "nuget.config"), Path.Combine(NotebookFolder, "nuget.config"), overwrite: true);
        // links to what the notebooks reach, never to artifacts/ itself (that would make a loop under artifacts)
        foreach (string linked in new[] { "tests", Path.Combine("artifacts", "module"), Path.Combine("artifacts", "package") })
        {
            string link = Path.Combine(Root, linked);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (!Directory.Exists(link))
                Directory.CreateSymbolicLink(link, Path.Combine(RepoPaths.Root, linked));
        }

        var clock = Stopwatch.StartNew();
        string? last = null;
        // a free port can be taken between our probe and the server's bind: the server then exits, and we try another
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int port = FreePort();
            string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            var psi = new ProcessStartInfo("/usr/bin/python3") { WorkingDirectory = Root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[]
            {
                "-m", "notebook", "--no-browser", "--ip=127.0.0.1", $"--port={port}", "--NotebookApp.port_retries=0",
                $"--NotebookApp.token={token}", $"--notebook-dir={Root}", "--NotebookApp.allow_remote_access=False",
                "--NotebookApp.disable_check_xsrf=False", "--MappingKernelManager.cull_idle_timeout=0",
                "--NotebookApp.shutdown_no_activity_timeout=300",
            })
                psi.ArgumentList.Add(a);
            if (Environment.UserName == "root")
                psi.ArgumentList.Add("--allow-root"); // CI containers run as root; the server refuses to otherwise
            psi.Environment["JUPYTER_PATH"] = JupyterKernels.JupyterPath;
            psi.Environment["JUPYTER_CONFIG_DIR"] = config;
            psi.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(Folder, "runtime");
            psi.Environment["JUPYTER_DATA_DIR"] = Path.Combine(Folder, "data");
            psi.Environment["IPYTHONDIR"] = Path.Combine(Folder, "ipython");
            psi.Environment["HOME"] = home;
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            var process = Process.Start(psi)!;
            var log = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new NotebookServer(process, port, token) { StartTime = TimeSpan.Zero };
            if (server.WaitUntilServing(TimeSpan.FromSeconds(60)))
            {
                return new NotebookServer(process, port, token) { StartTime = clock.Elapsed };
            }

            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (log)
                last = log.ToString();
        }

        // installed but not serving is a failure, not a reason to skip
        throw new InvalidOperationException($"the notebook server did not serve on 127.0.0.1 (three ports tried); its log:\n{last}");
    }

    private static NotebookServer? Fail(string why)
    {
        s_missing = why;
        return null;
    }

    private bool WaitUntilServing(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if (http.GetAsync(new Uri(Url, $"api/status?token={Token}")).Result.StatusCode == HttpStatusCode.OK)
                    return true;
            }
            catch (AggregateException)
            {
            }

            Thread.Sleep(200);
        }

        return false;
    }

    /// <summary>Asks the server to shut down (it stops its kernels first); kills it when it does not within 20 s.</summary>
    private void Stop()
    {
        if (_process.HasExited)
            return;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Url, "api/shutdown"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", Token);
            _ = http.Send(request);
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
            _process.Kill(entireProcessTree: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
