using System.Diagnostics;
using Xunit;

namespace Analysis.Tests.Reporting;

/// <summary>Headless Chromium with the network off, for checking that our offline pages render.</summary>
public static class Chromium
{
    public static string? Find() => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    /// <summary>Loads <paramref name="page"/> with every host unresolvable; returns stdout (e.g. --dump-dom) and the browser log.</summary>
    public static string Run(string chromium, string page, string workDirectory, string extra, out string stderr)
    {
        var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        string profile = Path.Combine(workDirectory, "profile-" + Guid.NewGuid().ToString("N"));
        foreach (string a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
            $"--user-data-dir={profile}", "--virtual-time-budget=15000", "--window-size=1200,4000", extra,
            new Uri(page).AbsoluteUri,
        })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "chromium did not finish");
        stderr = error.Result;
        if (Directory.Exists(profile))
            Directory.Delete(profile, recursive: true);
        return output.Result;
    }
}
