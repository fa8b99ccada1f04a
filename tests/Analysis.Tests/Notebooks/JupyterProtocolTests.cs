using System.Text;
using System.Text.Json.Nodes;
using Analysis.Notebooks.Jupyter;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Notebooks;

/// <summary>The pieces of our Jupyter kernel that need no client: signatures, the wire format, cell magics, positions, connection files.</summary>
public class JupyterProtocolTests
{
    [Fact]
    public void Signer_OverFourParts_IsHmacSha256OfTheirConcatenation_Rfc4231Case2()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        var signer = new MessageSigner("Jefe");
        byte[][] parts = [.. new[] { "what do ", "ya want ", "for ", "nothing?" }.Select(Encoding.ASCII.GetBytes)];
        string signature = signer.Sign(parts[0], parts[1], parts[2], parts[3]);
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", signature);
        Assert.True(signer.Verify(signature, parts[0], parts[1], parts[2], parts[3]));
        Assert.True(signer.Verify(signature.ToUpperInvariant(), parts[0], parts[1], parts[2], parts[3]));
        Assert.False(signer.Verify(signature[..^1] + "0", parts[0], parts[1], parts[2], parts[3]));
        Assert.False(signer.Verify("", parts[0], parts[1], parts[2], parts[3]));
        Assert.False(signer.Verify(new string('z', 64), parts[0], parts[1], parts[2], parts[3]));
    }

    [Fact]
    public void Signer_WithAnEmptyKey_SignsNothing_AndAcceptsEverything()
    {
        var signer = new MessageSigner("");
        Assert.False(signer.Enabled);
        Assert.Equal("", signer.Sign([1], [2], [3], [4]));
        Assert.True(signer.Verify("", [1], [2], [3], [4]));
    }

    [Fact]
    public void WireFormat_RoundTrips_AndATamperedContentIsRejected()
    {
        var signer = new MessageSigner("secret");
        var message = new JupyterMessage
        {
            Identities = [[1, 2, 3], Encoding.ASCII.GetBytes("client")],
            Header = JupyterMessage.NewHeader("execute_request", "session-1"),
            Content = new JsonObject { ["code"] = "Get-Date", ["silent"] = false },
            Buffers = [[9, 9]],
        };
        var frames = message.ToFrames(signer);
        Assert.Equal("<IDS|MSG>", Encoding.ASCII.GetString(frames[2]));
        Assert.Equal(2 + 6 + 1, frames.Count);

        var back = JupyterMessage.FromFrames(frames, signer, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(back);
        Assert.Equal("execute_request", back.MessageType);
        Assert.Equal(message.Id, back.Id);
        Assert.Equal("5.3", back.Header["version"]!.GetValue<string>());
        Assert.Equal("Get-Date", back.Content["code"]!.GetValue<string>());
        Assert.Equal([[1, 2, 3], Encoding.ASCII.GetBytes("client")], back.Identities);
        Assert.Equal([[9, 9]], back.Buffers);

        frames[6] = Encoding.UTF8.GetBytes("{\"code\":\"Remove-Item -Recurse /\",\"silent\":false}");
        Assert.Null(JupyterMessage.FromFrames(frames, signer, out problem));
        Assert.Equal("wrong signature", problem);
        Assert.Null(JupyterMessage.FromFrames(message.ToFrames(new MessageSigner("other")), signer, out problem));
        Assert.Equal("wrong signature", problem);
        Assert.Null(JupyterMessage.FromFrames(message.ToFrames(new MessageSigner("")), signer, out problem));
        Assert.Equal("missing signature", problem);
        Assert.Null(JupyterMessage.FromFrames([Encoding.ASCII.GetBytes("garbage")], signer, out problem));
        Assert.Contains("no <IDS|MSG> delimiter", problem);
    }

    [Theory]
    [InlineData("Get-Date", "pwsh", "Get-Date")]
    [InlineData("#!csharp\nvar x = 1;", "csharp", "        \nvar x = 1;")]
    [InlineData("#!c#\r\nx", "csharp", "    \r\nx")]
    [InlineData("#!powershell\n$x", "pwsh", "            \n$x")]
    [InlineData("\n#!pwsh\n$x\n#!csharp", "pwsh", "\n      \n$x\n#!csharp")]
    public void CellPlan_TheLanguageMagic_SelectsTheKernel_AndIsBlankedKeepingPositions(string cell, string language, string code)
    {
        var plan = CellPlan.Parse(cell, "pwsh");
        Assert.Null(plan.Error);
        Assert.Equal(language, plan.Language);
        Assert.Equal(code, plan.Code);
        Assert.Equal(cell.Length, plan.Code.Length);
    }

    [Fact]
    public void CellPlan_SetAndShare_InPolyglotsSyntax_BecomeCopies()
    {
        var plan = CellPlan.Parse("#!csharp\n#!set --name x --value @pwsh:y\n#!share --from pwsh $session --as s\n#!set --name label --value \"two words\"\nx", "pwsh");
        Assert.Null(plan.Error);
        Assert.Equal("csharp", plan.Language);
        Assert.Equal(
            [new VariableShare("pwsh", "y", "x", null), new VariableShare("pwsh", "session", "s", null), new VariableShare(null, null, "label", "two words")],
            plan.Shares);
        Assert.EndsWith("\nx", plan.Code);
        Assert.DoesNotContain("#!", plan.Code);
    }

    [Theory]
    [InlineData("#!fsharp\n1", "#!fsharp cells are not supported")]
    [InlineData("#!who\n1", "Unknown magic '#!who'")]
    [InlineData("#!set --name x\n1", "#!set needs --name")]
    [InlineData("#!set --name x --value @fsharp:y\n1", "expected @pwsh:<variable> or @csharp:<variable>")]
    [InlineData("#!share y\n1", "#!share needs --from")]
    [InlineData("#!share --from go y\n1", "shares between pwsh and csharp")]
    [InlineData("#!set --name x --value 1\n#!csharp\n1", "must be the first line")]
    public void CellPlan_BadMagics_SayWhatIsWrong(string cell, string expected)
    {
        var plan = CellPlan.Parse(cell, "pwsh");
        Assert.Contains(expected, plan.Error);
        Assert.Equal(cell, plan.Code);
    }

    [Fact]
    public void CodePoints_ConvertJupyterPositions_AroundASurrogatePair()
    {
        string text = "a😀b"; // 'a', U+1F600 (two UTF-16 units), 'b'
        Assert.Equal([0, 1, 3, 4, 4], Enumerable.Range(0, 5).Select(cp => CodePoints.ToUtf16(text, cp)));
        Assert.Equal([0, 1, 2, 2, 3], Enumerable.Range(0, 5).Select(i => CodePoints.FromUtf16(text, i)));
    }

    [Fact]
    public void ConnectionFile_IsRead_AndBadOnesNameTheFileAndTheProblem()
    {
        string dir = RepoPaths.NewScratchDirectory("jupyter-connection");
        try
        {
            string good = Path.Combine(dir, "kernel-1.json");
            File.WriteAllText(good, """{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005, "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "analysis"}""");
            var info = ConnectionInfo.Load(good);
            Assert.Equal("tcp://127.0.0.1:5001", info.Address(info.ShellPort));
            Assert.Equal("k", info.Key);

            string garbage = Path.Combine(dir, "garbage.json");
            File.WriteAllText(garbage, "not json");
            var e = Assert.Throws<AnalysisException>(() => ConnectionInfo.Load(garbage));
            Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
            Assert.Contains(garbage, e.Message);

            string udp = Path.Combine(dir, "udp.json");
            File.WriteAllText(udp, """{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "transport": "udp"}""");
            Assert.Contains("transport 'udp' is not supported", Assert.Throws<AnalysisException>(() => ConnectionInfo.Load(udp)).Message);

            string noPorts = Path.Combine(dir, "noports.json");
            File.WriteAllText(noPorts, """{"key": "k", "signature_scheme": "hmac-sha256"}""");
            Assert.Contains("shell_port is 0", Assert.Throws<AnalysisException>(() => ConnectionInfo.Load(noPorts)).Message);

            Assert.Equal(AnalysisErrorKind.FileNotFound, Assert.Throws<AnalysisException>(() => ConnectionInfo.Load(Path.Combine(dir, "absent.json"))).Kind);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void KernelSpec_IsWrittenWhereJupyterLooks_WithTheLanguageAndSignalInterrupts()
    {
        string dir = RepoPaths.NewScratchDirectory("jupyter-kernelspec");
        try
        {
            string path = KernelSpec.Write(dir, "analysis", KernelSpec.Create(["/usr/bin/dotnet", "/m/kernel/Analysis.KernelHost.dll", "{connection_file}"], "Analysis"));
            Assert.Equal(Path.Combine(dir, "kernels", "analysis", "kernel.json"), path);
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            Assert.Equal("powershell", json["language"]!.GetValue<string>());
            Assert.Equal("signal", json["interrupt_mode"]!.GetValue<string>());
            Assert.Equal("{connection_file}", json["argv"]![2]!.GetValue<string>());
            Assert.Throws<ArgumentException>(() => KernelSpec.Write(dir, "bad name", new JsonObject()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
