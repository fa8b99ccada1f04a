using System.Text.Json.Nodes;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Kernel.Tests;

/// <summary>
/// Our Jupyter kernel driven by a real client, Debian's jupyter_client (kernel_client.py), started from the kernelspec
/// Install-AnalysisKernel wrote: kernel_info, the messages of execute in order, errors, a display of a committed
/// fixture, a C# cell, a message with a bad signature, interrupt through the control channel and through SIGINT,
/// restart and shutdown, and NetMQ under load. One driver run (one kernel, then its restart) serves every test.
/// </summary>
public sealed class AnalysisKernelTests(ITestOutputHelper output)
{
    private static readonly Lazy<(JsonObject? Result, string Log)> s_run = new(Drive);

    private static string Fixtures => Path.Combine(RepoPaths.Root, "tests", "testdata");

    private static string GcTrace => Path.Combine(Fixtures, "go", "gctrace.log");

    private static string Heap => Path.Combine(Fixtures, "go", "heap-1.pb.gz");

    private static (JsonObject?, string) Drive()
    {
        if (AnalysisKernel.Missing is not null)
            return (null, "");
        string stderr = Path.Combine(JupyterKernel.Folder, "analysis-kernel-stderr.txt");
        var r = AnalysisKernel.Run("/usr/bin/python3",
            [Path.Combine(RepoPaths.Root, "tests", "Analysis.Kernel.Tests", "kernel_client.py"), "--kernel", AnalysisKernel.Name, "--cwd", Fixtures,
             "--gctrace", GcTrace, "--heap", Heap, "--stderr", stderr, "--load", "1000", "--big-mb", "4"],
            Fixtures, new() { ["JUPYTER_PATH"] = AnalysisKernel.JupyterPath });
        string? line = r.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("kernel_client: ", StringComparison.Ordinal));
        if (line is null)
            throw new InvalidOperationException($"kernel_client.py exited {r.ExitCode} without a result: {r.Stdout}\n{r.Stderr}");
        string json = line["kernel_client: ".Length..];
        File.WriteAllText(Path.Combine(JupyterKernel.Folder, "analysis-kernel-client.json"), json); // what the driver saw, for a failure's reader
        return (JsonNode.Parse(json)!.AsObject(), r.Stderr);
    }

    private JsonObject Scenario(string name)
    {
        Skip.If(AnalysisKernel.Missing is not null, AnalysisKernel.Missing);
        var (result, _) = s_run.Value;
        var part = result![name]!.AsObject();
        Assert.True(part["failed"] is null, $"{name} failed in the driver: {part["failed"]}\nkernel stderr: {result["kernelStderr"]}");
        return part;
    }

    private static List<string> Types(JsonNode cell) => [.. cell["iopub"]!.AsArray().Select(m => m!["type"]!.GetValue<string>())];

    private static IEnumerable<JsonObject> Messages(JsonNode cell, string type) =>
        cell["iopub"]!.AsArray().Where(m => m!["type"]!.GetValue<string>() == type).Select(m => m!["content"]!.AsObject());

    /// <summary>Message types with runs of stream messages as one (the kernel batches stream text by time).</summary>
    private static List<string> Collapsed(List<string> types) => [.. types.Where((t, i) => t != "stream" || i == 0 || types[i - 1] != "stream")];

    private static string Stdout(JsonNode cell) => string.Concat(Messages(cell, "stream").Where(m => m["name"]!.GetValue<string>() == "stdout").Select(m => m["text"]!.GetValue<string>()));

    [SkippableFact]
    public void KernelInfo_OnShellAndControl_SaysProtocol53AndPowerShell()
    {
        var basics = Scenario("basics");
        foreach (string key in new[] { "kernelInfo", "controlKernelInfo" })
        {
            var reply = basics[key]!;
            Assert.Equal("kernel_info_reply", reply["type"]!.GetValue<string>());
            var content = reply["content"]!;
            Assert.Equal("5.3", content["protocol_version"]!.GetValue<string>());
            Assert.Equal("analysis", content["implementation"]!.GetValue<string>());
            var language = content["language_info"]!;
            Assert.Equal("powershell", language["name"]!.GetValue<string>());
            Assert.Equal("text/x-powershell", language["mimetype"]!.GetValue<string>());
            Assert.Equal(".ps1", language["file_extension"]!.GetValue<string>());
            Assert.Equal("powershell", language["pygments_lexer"]!.GetValue<string>());
            Assert.StartsWith("7.", language["version"]!.GetValue<string>());
            Assert.NotEmpty(content["help_links"]!.AsArray());
        }

        Assert.Equal(["status", "status"], basics["kernelInfoIopub"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()));
        Assert.True(basics["heartbeat"]!.GetValue<bool>());
    }

    [SkippableFact]
    public void Sockets_AreBoundOnlyWhereTheConnectionFileSays()
    {
        var basics = Scenario("basics");
        string ip = basics["connection"]!["ip"]!.GetValue<string>();
        var expected = basics["connection"]!["ports"]!.AsArray().Select(p => $"{ip}:{p!.GetValue<int>()}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, basics["listening"]!.AsArray().Select(a => a!.GetValue<string>()).Order(StringComparer.Ordinal));
        output.WriteLine($"start to ready: {basics["startSeconds"]} s, RSS after start {basics["rssKiBAfterStart"]} KiB");
    }

    [SkippableFact]
    public void Execute_PublishesBusyInputOutputsIdle_InOrder_AndCountsExecutions()
    {
        var cells = Scenario("basics")["cells"]!.AsArray();
        var first = cells[0]!;
        Assert.Equal(["status", "execute_input", "stream", "status"], Collapsed(Types(first)));
        Assert.Equal("busy", first["iopub"]![0]!["content"]!["execution_state"]!.GetValue<string>());
        Assert.Equal("idle", first["iopub"]!.AsArray()[^1]!["content"]!["execution_state"]!.GetValue<string>());
        Assert.Equal("from host\nhello\n42\n", Stdout(first));
        Assert.Equal("ok", first["reply"]!["content"]!["status"]!.GetValue<string>());

        // each cell that stores history counts one up; execute_input and the reply carry the same count
        var counts = cells.Select(c => c!["reply"]!["content"]!["execution_count"]!.GetValue<int>()).ToList();
        Assert.Equal(Enumerable.Range(1, cells.Count), counts);
        foreach (var cell in cells)
            Assert.Equal(cell!["reply"]!["content"]!["execution_count"]!.GetValue<int>(), Messages(cell, "execute_input").Single()["execution_count"]!.GetValue<int>());

        // the state continues from cell to cell, in the notebook's folder
        Assert.Equal("HELLO\n", Stdout(cells[6]!));
        Assert.Equal(Fixtures + "\n", Stdout(cells[2]!));
        Assert.Equal(Fixtures, Messages(cells[5]!, "execute_result").Single()["data"]!["text/plain"]!.GetValue<string>());
    }

    [SkippableFact]
    public void AFailingCell_WithStopOnError_AbortsTheWaitingCells_WithoutItTheyRun()
    {
        var abort = Scenario("abort");
        var stop = abort["stop"]!;
        Assert.Equal("error", stop["first"]!["reply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal("aborted", stop["second"]!["reply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal(["status", "status"], Types(stop["second"]!)); // nothing ran: no execute_input, no output
        var go = abort["go"]!;
        Assert.Equal("error", go["first"]!["reply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal("ok", go["second"]!["reply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal("second cell\n", Stdout(go["second"]!));
    }

    [SkippableFact]
    public void StreamText_ManyLines_ArriveInOrder_InFewMessages()
    {
        var cell = Scenario("basics")["manyLines"]!;
        Assert.Equal(string.Concat(Enumerable.Range(1, 2000).Select(i => $"line {i}\n")) + "done\n", Stdout(cell));
        int messages = Messages(cell, "stream").Count();
        Assert.True(messages <= 100, $"{messages} stream messages for 2001 lines");
        Assert.Equal(["status", "execute_input", "stream", "status"], Collapsed(Types(cell)));
    }

    [SkippableFact]
    public void Execute_StoreHistoryFalse_DoesNotCount_AndSilent_PublishesNoOutputs()
    {
        var basics = Scenario("basics");
        int last = basics["manyLines"]!["reply"]!["content"]!["execution_count"]!.GetValue<int>();
        Assert.Equal(basics["cells"]!.AsArray().Count + 1, last);
        Assert.Equal(last, basics["notStored"]!["reply"]!["content"]!["execution_count"]!.GetValue<int>());
        Assert.Equal("not stored\n", Stdout(basics["notStored"]!));
        Assert.Equal(["status", "status"], Types(basics["silent"]!));
        Assert.Equal(last + 1, basics["afterSilent"]!["reply"]!["content"]!["execution_count"]!.GetValue<int>());
    }

    [SkippableFact]
    public void Errors_OfPowerShellAndCSharp_HaveNameValueAndAReadableTraceback()
    {
        var cells = Scenario("basics")["cells"]!.AsArray();
        var ps = cells[1]!;
        Assert.Equal(["status", "execute_input", "error", "status"], Collapsed(Types(ps)));
        var error = Messages(ps, "error").Single();
        Assert.Equal("PathNotFound", error["ename"]!.GetValue<string>());
        Assert.Contains("does-not-exist.txt", error["evalue"]!.GetValue<string>());
        var traceback = error["traceback"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Contains(traceback, l => l.Contains("Get-Item ./does-not-exist.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(traceback, l => l.Contains('\x1b', StringComparison.Ordinal));
        var reply = ps["reply"]!["content"]!;
        Assert.Equal("error", reply["status"]!.GetValue<string>());
        Assert.Equal("PathNotFound", reply["ename"]!.GetValue<string>());

        var cs = Messages(cells[4]!, "error").Single();
        Assert.Equal("InvalidOperationException", cs["ename"]!.GetValue<string>());
        Assert.Equal("boom from C#", cs["evalue"]!.GetValue<string>());
        Assert.Equal("error", cells[4]!["reply"]!["content"]!["status"]!.GetValue<string>());
    }

    [SkippableFact]
    public void CSharpCell_AfterTheMagic_RunsInCSharp_WithConsoleOutputAndAResult()
    {
        var cell = Scenario("basics")["cells"]!.AsArray()[3]!;
        Assert.Equal("from C#\n", Stdout(cell));
        var result = Messages(cell, "execute_result").Single();
        Assert.Equal("42", result["data"]!["text/plain"]!.GetValue<string>());
        Assert.Equal(4, result["execution_count"]!.GetValue<int>());
    }

    [SkippableFact]
    public void DisplayOfAGcTrace_IsAnHtmlTableAndChart_WithPlotlyJsEmbeddedOnceOnly()
    {
        var displays = Scenario("basics")["display"]!.AsArray();
        var first = Messages(displays[0]!, "display_data").Single()["data"]!;
        var second = Messages(displays[1]!, "display_data").Single()["data"]!;
        Assert.StartsWith("gc 1 @0.006s: pause 0.024 ms", first["text/plain"]!.GetValue<string>());
        Assert.Equal(6, first["text/plain"]!.GetValue<string>().Split('\n').Length);
        var html = first["text/html"]!;
        Assert.True(html["hasPlotlyJs"]!.GetValue<bool>());
        Assert.True(html["hasNewPlot"]!.GetValue<bool>());
        Assert.True(html["hasTable"]!.GetValue<bool>());
        Assert.True(html["length"]!.GetValue<int>() > 1_000_000);
        string again = second["text/html"]!.GetValue<string>();
        Assert.Contains("<table", again);
        Assert.Contains("Plotly.newPlot", again);
        Assert.DoesNotContain("var define, module, exports", again);
        Assert.True(again.Length < 100_000, $"{again.Length} characters: plotly.js was sent again");
        Assert.DoesNotContain('\x1b', first["text/plain"]!.GetValue<string>());
    }

    [SkippableFact]
    public void EditorRequests_AreAnswered_CommInfoAndHistoryEmpty()
    {
        var basics = Scenario("basics");
        Assert.Equal("comm_info_reply", basics["comm"]!["type"]!.GetValue<string>());
        Assert.Empty(basics["comm"]!["content"]!["comms"]!.AsObject());
        // history: the executions that counted, as execute_input announced them (not the store_history=False or silent ones)
        var stored = new List<(int Line, string Input)>();
        foreach (var cell in basics["cells"]!.AsArray().Append(basics["manyLines"]).Append(basics["notStored"]).Append(basics["silent"])
                     .Append(basics["afterSilent"]).Concat(basics["display"]!.AsArray()))
        {
            var input = Messages(cell!, "execute_input").SingleOrDefault();
            bool counted = cell!["storeHistory"]?.GetValue<bool>() ?? true;
            if (input is not null && counted)
                stored.Add((input["execution_count"]!.GetValue<int>(), input["code"]!.GetValue<string>()));
        }

        static List<(int, string)> Entries(JsonNode reply) =>
            [.. reply["content"]!["history"]!.AsArray().Select(e => (e![1]!.GetValue<int>(), e[2] is JsonArray pair ? pair[0]!.GetValue<string>() : e[2]!.GetValue<string>()))];
        Assert.Equal(stored.TakeLast(5), Entries(basics["history"]!));
        Assert.Equal(stored.Where(h => h.Line is >= 2 and < 4), Entries(basics["historyRange"]!));
        Assert.Equal(stored.Where(h => h.Input.Contains("greeting", StringComparison.Ordinal)), Entries(basics["historySearch"]!));
        Assert.Equal(2, basics["historySearch"]!["content"]!["history"]!.AsArray().Count);
        Assert.Equal("complete_reply", basics["complete"]!["type"]!.GetValue<string>());
        Assert.Equal("ok", basics["complete"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal("inspect_reply", basics["inspect"]!["type"]!.GetValue<string>());
        Assert.Equal("is_complete_reply", basics["isComplete"]!["type"]!.GetValue<string>());
    }

    [SkippableFact]
    public void Completion_ThroughTheClient_UsesPwshsCompletersAndRoslyn_WithCodePointPositions()
    {
        var editor = Scenario("editor");
        static (List<string> Matches, int Start, int End, int Cursor) Completion(JsonNode c)
        {
            var content = c["reply"]!["content"]!;
            Assert.Equal("ok", content["status"]!.GetValue<string>());
            return ([.. content["matches"]!.AsArray().Select(m => m!.GetValue<string>())], content["cursor_start"]!.GetValue<int>(),
                content["cursor_end"]!.GetValue<int>(), c["cursor"]!.GetValue<int>());
        }

        var command = Completion(editor["command"]!);
        Assert.Contains("Get-GoGcTrace", command.Matches);
        Assert.All(command.Matches, m => Assert.StartsWith("Get-GoGc", m, StringComparison.OrdinalIgnoreCase));
        Assert.Equal((0, command.Cursor), (command.Start, command.End));

        var parameter = Completion(editor["parameter"]!);
        Assert.Contains("-Path", parameter.Matches);
        Assert.Equal(parameter.Cursor - "-Pa".Length, parameter.Start);

        // the module's argument completer read the profile named on the line: its sample types, no more
        var sampleType = Completion(editor["sampleType"]!);
        Assert.Equal(Analysis.Go.PprofProfile.Load(Heap).SampleTypes.Select(t => t.Type).Order(StringComparer.Ordinal), sampleType.Matches.Order(StringComparer.Ordinal));

        // C#: the earlier cell's string variable; the emoji before it is one code point (two UTF-16 units)
        Assert.Equal("ok", editor["csharpCell"]!["reply"]!["content"]!["status"]!.GetValue<string>());
        var csharp = Completion(editor["csharp"]!);
        Assert.Contains("Length", csharp.Matches);
        Assert.Equal((csharp.Cursor - "Len".Length, csharp.Cursor), (csharp.Start, csharp.End));
    }

    [SkippableFact]
    public void Inspection_GivesGetHelpAndCSharpSignatures_AndIsCompleteReadsBothLanguages()
    {
        var editor = Scenario("editor");
        string synopsis = Stdout(editor["synopsisCell"]!).Trim(); // a string result is printed, as pwsh does
        Assert.False(string.IsNullOrWhiteSpace(synopsis));
        var inspect = editor["inspect"]!["content"]!;
        Assert.True(inspect["found"]!.GetValue<bool>(), inspect.ToJsonString());
        string help = inspect["data"]!["text/plain"]!.GetValue<string>();
        Assert.Contains(synopsis, help);
        Assert.Contains("-Path", help);
        Assert.DoesNotContain('\x1b', help);
        Assert.False(editor["inspectNothing"]!["content"]!["found"]!.GetValue<bool>());

        var csharp = editor["csharpInspect"]!["content"]!;
        Assert.True(csharp["found"]!.GetValue<bool>(), csharp.ToJsonString());
        Assert.Contains("Length", csharp["data"]!["text/plain"]!.GetValue<string>());

        var status = editor["isComplete"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["status"]!.GetValue<string>());
        Assert.Equal("incomplete", status["foreach ($i in 1..3) {"]);
        Assert.Equal("complete", status["Get-Date"]);
        Assert.Equal("incomplete", status["'open string"]);
        Assert.Equal("incomplete", status["#!csharp\nvar x = (1 +"]);
        Assert.Equal("complete", status["#!csharp\nvar x = 1;"]);
        Assert.Equal("invalid", status["#!csharp\nvar x = 1 +;"]);
    }

    [SkippableFact]
    public void SignedRequestsWithMalformedContent_GetAnErrorReplyNamingTheProtocol_AndTheKernelAnswersOn()
    {
        var malformed = Scenario("malformed");
        var replies = malformed["replies"]!.AsArray().Select(r => r!.AsObject()).ToList();
        foreach (var r in replies.Take(3))
        {
            var content = r["reply"]!["content"]!;
            Assert.Equal("error", content["status"]!.GetValue<string>());
            Assert.Equal("MalformedRequest", content["ename"]!.GetValue<string>());
            Assert.Contains(r["request"]!.GetValue<string>(), content["evalue"]!.GetValue<string>());
        }

        // a cursor past the end is clamped, not an error; an unknown type gets no reply (it is logged)
        Assert.Equal("ok", replies[3]["reply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Null(replies[4]["reply"]);
        Assert.Equal("still here\n", Stdout(malformed["after"]!));
    }

    [SkippableFact]
    public void MessagesWithAWrongOrMissingSignature_GetNoReply_AreLogged_AndTheKernelAnswersGoodOnes()
    {
        var sig = Scenario("signature");
        Assert.False(sig["wrongKeyAnswered"]!.GetValue<bool>());
        Assert.False(sig["noSignatureAnswered"]!.GetValue<bool>());
        Assert.Equal("kernel_info_reply", sig["goodReply"]!["type"]!.GetValue<string>());
        string log = sig["stderr"]!.GetValue<string>();
        Assert.Contains("dropped a message on shell: wrong signature", log);
        Assert.Contains("dropped a message on shell: missing signature", log);
    }

    [SkippableFact]
    public void Interrupt_ThroughControlAndSigint_StopsTheCell_AndTheSameKernelRunsTheNext()
    {
        var interrupt = Scenario("interrupt");
        foreach (string how in new[] { "control", "signal" })
        {
            var run = interrupt[how]!;
            Assert.Equal(["status", "execute_input", "error", "status"], Types(run));
            Assert.Equal("Interrupted", run["reply"]!["content"]!["ename"]!.GetValue<string>());
            Assert.True(run["secondsToStop"]!.GetValue<double>() < 5, $"{how}: {run["secondsToStop"]} s to stop");
            Assert.True(run["alive"]!.GetValue<bool>());
        }

        Assert.Equal("ok", interrupt["control"]!["interruptReply"]!["content"]!["status"]!.GetValue<string>());
        Assert.Equal("True\n", Stdout(interrupt["afterControl"]!)); // the loop ran, and its variable lives on
        Assert.Equal("still alive\n", Stdout(interrupt["afterSignal"]!));
        Assert.True(interrupt["pidSame"]!.GetValue<bool>());

        // C# that ignores cancellation is reported interrupted after the grace period; the next C# cell waits for it
        var cs = interrupt["signalCSharp"]!;
        Assert.Equal("Interrupted", cs["reply"]!["content"]!["ename"]!.GetValue<string>());
        Assert.True(cs["secondsToStop"]!.GetValue<double>() < 6, $"C#: {cs["secondsToStop"]} s to report");
        var next = interrupt["afterSignalCSharp"]!;
        Assert.Contains("Waiting for the interrupted csharp cell", string.Concat(Messages(next, "stream").Select(m => m["text"]!.GetValue<string>())));
        Assert.Equal("C# alive", Messages(next, "execute_result").Single()["data"]!["text/plain"]!.GetValue<string>());
    }

    [SkippableFact]
    public void Restart_GivesANewProcessWithoutTheOldState_AndShutdown_EndsTheProcess()
    {
        var r = Scenario("restart_shutdown");
        Assert.True(r["newProcess"]!.GetValue<bool>());
        Assert.True(r["oldProcessGone"]!.GetValue<bool>());
        Assert.Equal("[]\n", Stdout(r["afterRestart"]!));
        Assert.Equal(1, r["afterRestart"]!["reply"]!["content"]!["execution_count"]!.GetValue<int>());
        Assert.Equal("shutdown_reply", r["shutdownReply"]!["type"]!.GetValue<string>());
        Assert.False(r["shutdownReply"]!["content"]!["restart"]!.GetValue<bool>());
        Assert.Equal(0, r["exitCode"]!.GetValue<int>());
        output.WriteLine($"restart {r["restartSeconds"]} s, exit after shutdown {r["exitSeconds"]} s");
    }

    [SkippableFact]
    public void UnderLoad_RoundTripsAndThree4MBDisplays_ArriveComplete_AndMemoryDoesNotKeepGrowing()
    {
        var load = Scenario("load");
        Assert.Equal(2 * load["n"]!.GetValue<int>(), load["okCount"]!.GetValue<int>());
        Assert.True(load["countsIncreasing"]!.GetValue<bool>());
        Assert.Equal([4 * 1024 * 1024, 4 * 1024 * 1024, 4 * 1024 * 1024], load["bigLengths"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(["ok", "ok", "ok"], load["bigReplies"]!.AsArray().Select(n => n!.GetValue<string>()));
        // the second batch of round trips adds no more than 64 MB on top of the first (a leak per message would)
        long first = load["batch1"]!["rssKiBAfter"]!.GetValue<long>(), second = load["batch2"]!["rssKiBAfter"]!.GetValue<long>();
        Assert.True(second - first < 64 * 1024, $"RSS {first} KiB after the first batch, {second} KiB after the second");
        output.WriteLine(load.ToJsonString());
    }

    [SkippableFact]
    public void Sigint_DuringGcRootOverMillionsOfObjects_StopsTheWalk_AndTheKernelAnswers()
    {
        Skip.If(AnalysisKernel.Missing is not null, AnalysisKernel.Missing);
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        string stderr = Path.Combine(JupyterKernel.Folder, "analysis-kernel-heapwalk-stderr.txt");
        var r = AnalysisKernel.Run("/usr/bin/python3",
            [Path.Combine(RepoPaths.Root, "tests", "Analysis.Kernel.Tests", "kernel_client.py"), "--kernel", AnalysisKernel.Name, "--cwd", Fixtures,
             "--gctrace", GcTrace, "--stderr", stderr, "--scenarios", "heapwalk", "--bulk", bulk],
            Fixtures, new() { ["JUPYTER_PATH"] = AnalysisKernel.JupyterPath });
        string line = r.Stdout.Split('\n').Last(l => l.StartsWith("kernel_client: ", StringComparison.Ordinal));
        var result = JsonNode.Parse(line["kernel_client: ".Length..])!;
        var heap = result["heapwalk"]!;
        Assert.True(heap["failed"] is null, $"{heap["failed"]}\n{result["kernelStderr"]}");
        var walk = heap["walk"]!;
        Assert.True(walk["reply"]!["content"]!["ename"]?.GetValue<string>() == "Interrupted", walk.ToJsonString());
        Assert.True(walk["secondsToStop"]!.GetValue<double>() < 5, $"{walk["secondsToStop"]} s to stop the walk");
        Assert.Equal($"{DumpSet.BulkObjectCount}\n", Stdout(heap["after"]!)); // the same kernel walks the heap again
        output.WriteLine($"the walk stopped {walk["secondsToStop"]} s after SIGINT");
    }

    [SkippableFact]
    public void ShareAndSet_CopyVariablesBetweenPowerShellAndCSharp()
    {
        var cells = Scenario("share")["cells"]!.AsArray();
        Assert.All(cells, c => Assert.Equal("ok", c!["reply"]!["content"]!["status"]!.GetValue<string>()));
        Assert.Equal("42", Messages(cells[1]!, "execute_result").Single()["data"]!["text/plain"]!.GetValue<string>());
        Assert.Equal("41", Messages(cells[2]!, "execute_result").Single()["data"]!["text/plain"]!.GetValue<string>());
        Assert.Equal("MADE IN C#\n", Stdout(cells[4]!));
    }

    [SkippableFact]
    public void ReadHost_AsksThroughStdin_WhenAllowed_AndFailsClearlyWhenNot()
    {
        var r = Scenario("input");
        Assert.Equal("input_request", r["request"]!["type"]!.GetValue<string>());
        Assert.Equal("Your name", r["request"]!["content"]!["prompt"]!.GetValue<string>().TrimEnd(':', ' '));
        Assert.Equal("hello k1\n", Stdout(r["answered"]!));
        Assert.Contains("allow_stdin", Messages(r["refused"]!, "error").Single()["evalue"]!.GetValue<string>());
    }

    [SkippableFact]
    public void TheInstalledKernelspec_IsListedByJupyter_AndRunsTheModulesKernelHost()
    {
        Skip.If(AnalysisKernel.Missing is not null, AnalysisKernel.Missing);
        var list = AnalysisKernel.Run("/usr/bin/python3", ["-m", "jupyter_client.kernelspecapp", "list", "--json"], RepoPaths.Root,
            new() { ["JUPYTER_PATH"] = AnalysisKernel.JupyterPath });
        Assert.True(list.ExitCode == 0, list.Stderr);
        var spec = JsonNode.Parse(list.Stdout)!["kernelspecs"]![AnalysisKernel.Name]!;
        Assert.Equal(Path.GetDirectoryName(AnalysisKernel.KernelJson), spec["resource_dir"]!.GetValue<string>());
        var kernel = spec["spec"]!;
        Assert.Equal("powershell", kernel["language"]!.GetValue<string>());
        Assert.Equal("signal", kernel["interrupt_mode"]!.GetValue<string>());
        var argv = kernel["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "kernel", "Analysis.KernelHost.dll"), argv[1]);
        Assert.Equal("{connection_file}", argv[^1]);
    }
}
