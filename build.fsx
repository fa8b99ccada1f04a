// Build script: dotnet fsi build.fsx <target> [options]
//   build      Release build of Analysis.sln; leaves the module in artifacts/module/Analysis and the notebook
//              extension package in artifacts/package
//   test       build, run every test project, write TRX to artifacts/test-results, print "N passed, N failed"; installs
//              what the suites need: Debian's chromium and python3-nbclient/python3-nbconvert/jupyter-client (apt),
//              dotnet-trace (artifacts/tools), the local tools (real pwsh, the .NET Interactive kernel); makes the Go
//              core dumps (tests/TestTargets/go/cores.sh → artifacts/go-cores; Go toolchains from bookworm-backports)
//   demo       build, start the demo target, capture a dump, run the module on it in real pwsh (the local tool), print a triage
//   bench      build, then (`bench kernel`: only the last pair): heap-top on a ~10M-object dump against a naive ClrMD loop; whole processes against SOS
//              (our command in real pwsh with the module imported vs dotnet-dump analyze -c, pairs in
//              tests/Analysis.Bench/SosBench.cs: Get-HeapTop vs dumpheap -stat); gcroot on it against ClrMD's
//              GCRoot (first question, next question, new session from the index cache); trace analysis of a ~80 MB
//              trace against dotnet-trace report topN; reading a small and that trace in this process against the worker
//              process (first and second open, questions, memory); goroutine grouping of a 100k-goroutine dump against
//              panicparse; pprof top on the fixtures; every goroutine of a 5,000-goroutine Go core (Get-Goroutines in
//              pwsh) against dlv core (times, peak memory, ratios); our Jupyter kernel against the .NET Interactive kernel
//              through jupyter_client (start to kernel_info reply, a '1+1' round-trip, memory after start)
//   notebooks  build, make the demo artifacts (artifacts/demo), run every notebook in notebooks/ headless into
//              artifacts/notebooks (executed .ipynb + self-contained HTML)
//   fuzz       build the fuzzing harness (tests/Analysis.Fuzz), then run a mutation campaign per input path and print a
//              table per path (cases; ok, AnalysisException, other exceptions by class, hangs, memory blow-ups, kills):
//              dotnet fsi build.fsx fuzz [pprof|goroutine|gctrace|gotrace|nettrace|dump|dumpheader|timeline|gocore ...] [--minutes N] [--seed S]
//              [--no-coverage] (default: every path, 1 minute each, seed 1; coverage-guided: sharpfuzz, installed into
//              artifacts/tools, instruments a copy of Analysis.dll whose edge map the worker reads itself). Seeds: tests/testdata/go, a trace and a dump of the target
//              programs (captured into artifacts/fuzz/seeds on first use), hand-made dump headers. New bug classes are
//              minimized into tests/testdata/fuzz/<path>/ (64 KB at most; never dumps), which the test suite replays.
//   clean      remove artifacts/
// Plain F# with no package references, so the script itself needs no restore.

open System
open System.Diagnostics
open System.IO
open System.Xml.Linq

let root = __SOURCE_DIRECTORY__
let artifacts = Path.Combine(root, "artifacts")
let config = "Release"

let log (msg: string) =
    Console.ForegroundColor <- ConsoleColor.Cyan
    printfn "==> %s" msg
    Console.ResetColor()

let fail (msg: string) =
    eprintfn "build.fsx: %s" msg
    exit 1

/// Runs a program, streaming its output; returns the exit code.
let run (exe: string) (args: string list) =
    let psi = ProcessStartInfo(exe, WorkingDirectory = root, UseShellExecute = false)
    args |> List.iter psi.ArgumentList.Add
    use p = Process.Start psi
    p.WaitForExit()
    p.ExitCode

let runOrFail exe args =
    let code = run exe args
    if code <> 0 then fail (sprintf "%s %s exited with %d" exe (String.Join(" ", args)) code)

let dotnet args = runOrFail "dotnet" args

/// A running target program from tests/TestTargets, ready once it printed "READY <pid>".
type Target(name: string, args: string list) =
    let dll = Path.Combine(artifacts, "bin", name, config.ToLowerInvariant(), name + ".dll")
    let psi =
        let p = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true)
        p.ArgumentList.Add dll
        args |> List.iter p.ArgumentList.Add
        p.ArgumentList.Add "--watch-stdin"
        p
    let proc = Process.Start psi
    let ready =
        let deadline = DateTime.UtcNow.AddMinutes 3.0
        let mutable line = proc.StandardOutput.ReadLine()
        while not (isNull line) && not (line.StartsWith "READY ") && DateTime.UtcNow < deadline do
            line <- proc.StandardOutput.ReadLine()
        if isNull line || not (line.StartsWith "READY ") then fail (sprintf "%s did not become ready" name)
    member _.Id = proc.Id
    /// Sends a command line and waits for the answer line starting with `prefix`.
    member _.Ask (line: string) (prefix: string) =
        proc.StandardInput.WriteLine line
        proc.StandardInput.Flush()
        let mutable answer = proc.StandardOutput.ReadLine()
        while not (isNull answer) && not (answer.StartsWith prefix) do
            answer <- proc.StandardOutput.ReadLine()
        if isNull answer then fail (sprintf "%s exited before answering '%s'" name line)
    interface IDisposable with
        member _.Dispose() =
            if not proc.HasExited then
                proc.Kill true
                proc.WaitForExit()

let createdumpExe = Path.Combine(Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "createdump")

/// Dumps process `pid` with the runtime's createdump; returns its exit code.
let runCreateDump (pid: int) (path: string) (kind: string) =
    run createdumpExe [ kind; "-f"; path; string pid ]

let createDump (pid: int) (path: string) (kind: string) =
    let code = runCreateDump pid path kind
    if code <> 0 then fail (sprintf "%s %s exited with %d" createdumpExe (String.Join(" ", [ kind; "-f"; path; string pid ])) code)

/// Reference tools the tests and benchmarks compare against, installed locally (artifacts/tools), not globally.
let tools = Path.Combine(artifacts, "tools")
let dotnetTraceVersion = "10.0.750501"
let ensureTools () =
    let exe = Path.Combine(tools, "dotnet-trace")
    if not (File.Exists exe) then
        log (sprintf "Installing dotnet-trace %s into artifacts/tools (the tests compare our CPU view with its report)" dotnetTraceVersion)
        dotnet [ "tool"; "install"; "dotnet-trace"; "--version"; dotnetTraceVersion; "--tool-path"; tools ]
    exe

/// Headless Chromium renders the HTML reports in the tests and, driven by Playwright for .NET (the Microsoft.Playwright
/// package of tests/Analysis.Kernel.Tests, restored by the build; it never downloads a browser of its own), runs a
/// notebook on the notebook server; installed from Debian when absent (the tests skip, saying why, if it cannot be).
let ensureChromium () =
    if not (File.Exists "/usr/bin/chromium") then
        if File.Exists "/usr/bin/apt-get" then
            log "Installing Debian's chromium (the report tests render HTML in it headless; the browser test runs a notebook in it)"
            if run "apt-get" [ "install"; "-y"; "-qq"; "chromium" ] <> 0 then
                run "apt-get" [ "update"; "-qq" ] |> ignore
                if run "apt-get" [ "install"; "-y"; "-qq"; "chromium" ] <> 0 then
                    eprintfn "build.fsx: chromium could not be installed; the browser rendering test will be skipped"
        else
            eprintfn "build.fsx: no apt-get here to install chromium; the browser rendering test will be skipped"

/// The kernel tests run every notebook in the .NET Interactive kernel and in ours through Jupyter (Debian's nbclient and
/// jupyter_client over python3-zmq for /usr/bin/python3), and one in Chromium on Debian's jupyter-notebook server
/// (classic Notebook 6); the kernel benchmark drives both kernels with jupyter_client. Installed when not importable
/// (the tests skip, saying why, if they cannot be). The .NET Interactive kernel is the local dotnet-interactive tool
/// (`dotnet tool restore`); every kernelspec goes to artifacts/kernel-tests (tests/Analysis.Testing/JupyterKernels.cs).
let jupyterPackages = [ "python3-nbclient"; "python3-nbconvert"; "jupyter-client"; "python3-zmq"; "jupyter-notebook" ]
let ensureJupyter () =
    let importable () = File.Exists "/usr/bin/python3" && run "/usr/bin/python3" [ "-c"; "import nbclient, nbformat, jupyter_client, zmq, notebook" ] = 0
    if not (importable ()) then
        if File.Exists "/usr/bin/apt-get" then
            let clock = Stopwatch.StartNew()
            log (sprintf "Installing Debian's %s (the kernel tests run every notebook through Jupyter in the .NET Interactive kernel and ours, and one in Chromium on the notebook server)" (String.Join(", ", jupyterPackages)))
            if run "apt-get" ([ "install"; "-y"; "-qq" ] @ jupyterPackages) <> 0 then
                run "apt-get" [ "update"; "-qq" ] |> ignore
                if run "apt-get" ([ "install"; "-y"; "-qq" ] @ jupyterPackages) <> 0 then
                    eprintfn "build.fsx: %s could not be installed; the kernel notebook and browser tests and the kernel benchmark will be skipped" (String.Join(", ", jupyterPackages))
            log (sprintf "Jupyter packages installed in %.1f s" clock.Elapsed.TotalSeconds)
        else
            eprintfn "build.fsx: no apt-get here to install %s; the kernel notebook and browser tests and the kernel benchmark will be skipped" (String.Join(", ", jupyterPackages))

/// The Go core reader's tests read cores of tests/TestTargets/go (Go 1.21/1.22/1.23, stripped, gcore, a non-Go core) with
/// the runtime's GOTRACEBACK=crash traceback as the oracle: tests/TestTargets/go/cores.sh makes them into
/// artifacts/go-cores (installing the Go toolchains from bookworm-backports; a stamp makes an unchanged rerun instant).
/// On failure the reason is printed and left in artifacts/go-cores/FAILED; the tests skip, saying why.
let ensureGoCores () =
    let dir = Path.Combine(artifacts, "go-cores")
    let failed = Path.Combine(dir, "FAILED")
    Directory.CreateDirectory dir |> ignore
    if File.Exists failed then File.Delete failed
    let clock = Stopwatch.StartNew()
    log "Preparing Go core dumps (tests/TestTargets/go/cores.sh → artifacts/go-cores)"
    let code = if File.Exists "/bin/bash" then run "/bin/bash" [ Path.Combine(root, "tests", "TestTargets", "go", "cores.sh"); dir ] else -1
    if code = 0 then
        log (sprintf "Go core dumps ready in %.1f s" clock.Elapsed.TotalSeconds)
    else
        let why = if code = -1 then "no /bin/bash here" else sprintf "tests/TestTargets/go/cores.sh exited with %d (its messages are above)" code
        File.WriteAllText(failed, why + "\n")
        eprintfn "build.fsx: Go core dumps could not be made: %s; the Go core tests will be skipped" why

/// The assembled module (the build leaves it here).
let moduleDir = Path.Combine(artifacts, "module", "Analysis")
let manifest = Path.Combine(moduleDir, "Analysis.psd1")

/// Real pwsh 7.6.9 from the repository's tool manifest (.config/dotnet-tools.json): restored into the NuGet cache on
/// first use (nothing is installed globally), then run as `dotnet pwsh`. Returns the exit code.
let mutable private toolsRestored = false
let pwsh (args: string list) =
    if not toolsRestored then
        log "Restoring the local tools (.config/dotnet-tools.json: PowerShell 7.6.9, run as 'dotnet pwsh')"
        dotnet [ "tool"; "restore" ]
        toolsRestored <- true
    run "dotnet" ([ "pwsh"; "-NoProfile"; "-NonInteractive" ] @ args)

/// Runs PowerShell commands in real pwsh with the built module imported; fails the build when they fail.
let pwshCommand (script: string) =
    let code = pwsh [ "-Command"; sprintf "$ErrorActionPreference = 'Stop'; Import-Module '%s'; %s" manifest script ]
    if code <> 0 then fail (sprintf "pwsh exited with %d running: %s" code script)

/// The dump workers' JIT list the module ships (lib/dump.jitprofile, WorkerJitProfile.Shipped): recorded by the worker
/// that answered a session's first questions about a dump of the demo's target, so that a machine's first session
/// compiles ahead what later sessions compile from the list a worker leaves in the cache folder. Recorded again only
/// when Analysis.dll changed (~5 s: the target, its dump, a pwsh session); the dump and the session's cache are
/// scratch (artifacts/obj/jit-seed), removed afterwards. When it cannot be made, the module works without it (the
/// first session compiles as it goes) and the build says so.
let jitSeed () =
    let lib = Path.Combine(moduleDir, "lib")
    let seed = Path.Combine(lib, "dump.jitprofile")
    let analysis = Path.Combine(lib, "Analysis.dll")
    if not (File.Exists seed && File.GetLastWriteTimeUtc seed >= File.GetLastWriteTimeUtc analysis) then
        let dir = Path.Combine(artifacts, "obj", "jit-seed")
        if Directory.Exists dir then Directory.Delete(dir, true)
        Directory.CreateDirectory dir |> ignore
        let clock = Stopwatch.StartNew()
        log "Recording the dump workers' JIT list the module ships (lib/dump.jitprofile): a pwsh session's first questions about a dump of the DumpTarget"
        let dump = Path.Combine(dir, "seed.dmp")
        let created =
            use target = new Target("DumpTarget", [ "facts" ])
            runCreateDump target.Id dump "--withheap" = 0
        let cache = Path.Combine(dir, "cache")
        let script =
            String.Join("; ",
                [ sprintf "$env:ANALYSIS_CACHE_DIR = '%s'" cache
                  sprintf "Import-Module '%s'" manifest
                  sprintf "$d = Open-Dump -Path '%s' -NoCache" dump
                  "$null = Get-DumpThreads -Dump $d"
                  "$null = Get-HeapTop -Dump $d -Top 50"
                  "$type = (Get-HeapTop -Dump $d -Top 1).TypeName"
                  "$paths = @(Get-GcRoot -Dump $d -TypeName $type -Top 10)"
                  "$null = Get-HeapTop -Dump $d -Retained -Top 50"
                  "$null = Get-DumpTriage -Dump $d"
                  "foreach ($a in @($paths | ForEach-Object { $_.Addresses } | Select-Object -First 3)) { $null = Get-GcRoot -Dump $d -Address $a; $null = Measure-DumpObject -Dump $d -Address $a -Retained; $null = Get-GcRoot -Dump $d -Address $a -All -Top 3 }"
                  // then as a session goes on: a dump opened after the first was closed, and another beside it
                  "Close-Dump -Dump $d"
                  "function Ask($x) { $null = Get-DumpThreads -Dump $x; $null = Get-HeapTop -Dump $x -Top 50; $null = Get-GcRoot -Dump $x -TypeName $type -Top 10; $null = Get-HeapTop -Dump $x -Retained -Top 50; $null = Get-DumpTriage -Dump $x }"
                  sprintf "$d1 = Open-Dump -Path '%s' -NoCache; Ask $d1" dump
                  sprintf "$d2 = Open-Dump -Path '%s' -NoCache; Ask $d2" dump
                  "Close-Dump -Dump $d1; Close-Dump -Dump $d2" ])
        let recorded = created && pwsh [ "-Command"; "$ErrorActionPreference = 'Stop'; " + script ] = 0
        // the worker writes its list as it ends with the session: wait for it a little
        let listed () = if Directory.Exists(Path.Combine(cache, "jit")) then Directory.GetFiles(Path.Combine(cache, "jit"), "dump-*.jitprofile") else [||]
        let waited = Stopwatch.StartNew()
        while recorded && (listed ()).Length = 0 && waited.Elapsed < TimeSpan.FromSeconds 15.0 do
            Threading.Thread.Sleep 100
        let lists = listed ()
        if recorded && lists.Length = 1 then
            File.Copy(lists[0], seed, true)
            log (sprintf "JIT list recorded in %.1f s (%d KB)" clock.Elapsed.TotalSeconds (FileInfo(seed).Length / 1024L))
        else
            if File.Exists seed then File.Delete seed
            eprintfn "build.fsx: the dump workers' JIT list could not be recorded (%s); the module works without it, a machine's first session compiling as it goes"
                (if not created then "createdump failed" elif not recorded then "the pwsh session failed" else sprintf "%d lists were written" lists.Length)
        Directory.Delete(dir, true)

let build () =
    log "Building Analysis.sln (Release)"
    dotnet [ "build"; Path.Combine(root, "Analysis.sln"); "-c"; config; "--nologo"; "-v"; "minimal" ]
    jitSeed ()
    log (sprintf "Module ready: %s" (Path.Combine(artifacts, "module", "Analysis", "Analysis.psd1")))
    // Each pack is a new prerelease, 0.1.0-build.<UTC yyyyMMddHHmmss> (Analysis.Interactive.csproj), higher than the last,
    // so `#r "nuget: Analysis.Interactive, *-*"` never gets an older build from a NuGet cache; only the newest stays here.
    let packageDir = Path.Combine(artifacts, "package")
    let previous = if Directory.Exists packageDir then Directory.GetFiles(packageDir, "Analysis.Interactive.*.nupkg") else [||]
    let stamp (file: string) = Path.GetFileNameWithoutExtension(file).Split('.') |> Array.last
    let mutable now = DateTime.UtcNow
    for file in previous do
        // two builds within one second (or a clock set back) still get a higher version
        match DateTime.TryParseExact(stamp file, "yyyyMMddHHmmss", Globalization.CultureInfo.InvariantCulture, Globalization.DateTimeStyles.AdjustToUniversal ||| Globalization.DateTimeStyles.AssumeUniversal) with
        | true, last when last >= now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)) -> now <- last.AddSeconds 1.0
        | _ -> ()
    let version = sprintf "0.1.0-build.%s" (now.ToString("yyyyMMddHHmmss", Globalization.CultureInfo.InvariantCulture))
    dotnet [ "pack"; Path.Combine(root, "src", "Analysis.Interactive", "Analysis.Interactive.csproj"); "-c"; config; "--no-build"; "--no-restore"; "--nologo"; "-v"; "quiet"
             "-p:BuildProjectReferences=false"; sprintf "-p:PackageVersion=%s" version; "-o"; packageDir ]
    let package = Path.Combine(packageDir, sprintf "Analysis.Interactive.%s.nupkg" version)
    for file in previous do
        if file <> package then File.Delete file
    log (sprintf "Notebook extension package: %s (load it with #i \"nuget: %s\" and #r \"nuget: Analysis.Interactive, *-*\")" package packageDir)

/// Counts outcomes in the TRX files of this run.
let summarize (resultsDir: string) =
    let ns = XNamespace.Get "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"
    let results =
        Directory.GetFiles(resultsDir, "*.trx")
        |> Array.collect (fun f -> XDocument.Load(f).Descendants(ns + "UnitTestResult") |> Seq.toArray)
    let count outcome = results |> Array.filter (fun r -> r.Attribute(XName.Get "outcome").Value = outcome) |> Array.length
    let failedNames =
        results
        |> Array.filter (fun r -> r.Attribute(XName.Get "outcome").Value <> "Passed" && r.Attribute(XName.Get "outcome").Value <> "NotExecuted")
        |> Array.map (fun r -> r.Attribute(XName.Get "testName").Value)
    count "Passed", results.Length - count "Passed" - count "NotExecuted", failedNames

let test () =
    build ()
    ensureTools () |> ignore
    ensureChromium ()
    ensureJupyter ()
    ensureGoCores ()
    let resultsDir = Path.Combine(artifacts, "test-results")
    if Directory.Exists resultsDir then Directory.Delete(resultsDir, true)
    // real pwsh, the .NET Interactive kernel and dotnet-dump (SOS, an oracle): restore the local tools now (all are in
    // .config/dotnet-tools.json), so their output is not mixed into a test's
    pwsh [ "-Command"; "$PSVersionTable.PSVersion.ToString()" ] |> ignore
    let projects =
        [ "tests/Analysis.Tests/Analysis.Tests.csproj"
          "tests/Analysis.PowerShell.Tests/Analysis.PowerShell.Tests.csproj"
          "tests/Analysis.Pwsh.Tests/Analysis.Pwsh.Tests.csproj"
          "tests/Analysis.Kernel.Tests/Analysis.Kernel.Tests.csproj" ]
    let codes =
        projects
        |> List.map (fun proj ->
            log (sprintf "Testing %s" proj)
            // the kernel suite prints each notebook's time in the kernel and what it skipped: show test output there
            let console = if proj.Contains "Kernel" then [ "--logger"; "console;verbosity=detailed" ] else []
            run "dotnet" ([ "test"; Path.Combine(root, proj); "-c"; config; "--no-build"; "--nologo"
                            "--logger"; sprintf "trx;LogFileName=%s.trx" (Path.GetFileNameWithoutExtension proj)
                            "--results-directory"; resultsDir ] @ console))
    let passed, failed, failedNames = summarize resultsDir
    for name in failedNames do eprintfn "FAILED: %s" name
    // A project that crashed before writing results still counts as a failure.
    let crashed = if passed + failed = 0 || (failed = 0 && List.exists ((<>) 0) codes) then 1 else 0
    printfn "%d passed, %d failed" passed (failed + crashed)
    if failed + crashed > 0 then exit 1

/// The demo and the notebooks keep what the module caches (object-graph indexes, the dump worker's JIT list) in
/// artifacts/cache, not in the user's ~/.cache, unless ANALYSIS_CACHE_DIR names a folder already.
let useArtifactsCache () =
    if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "ANALYSIS_CACHE_DIR") then
        let cache = Path.Combine(artifacts, "cache")
        Environment.SetEnvironmentVariable("ANALYSIS_CACHE_DIR", cache)
        log (sprintf "The module's cache (object-graph indexes, the dump worker's JIT list): %s (ANALYSIS_CACHE_DIR)" (Path.GetRelativePath(root, cache)))

let demo () =
    build ()
    useArtifactsCache ()
    let dir = Path.Combine(artifacts, "demo")
    Directory.CreateDirectory dir |> ignore
    // the demo writes its own files (the notebooks' demo.dmp/demo.nettrace are left alone); the scripts do not overwrite
    let dump = Path.Combine(dir, "triage-demo.dmp")
    if File.Exists dump then File.Delete dump
    log "Starting the demo target (tests/TestTargets/DumpTarget): a deadlock, leaked orders, an exception in a catch, stuck awaits, a starved thread pool, a blocked finalizer"
    use target = new Target("DumpTarget", [ "facts" ])
    log (sprintf "Capturing a dump of process %d and triaging it with the Analysis module in pwsh" target.Id)
    let example name = Path.Combine(moduleDir, "Examples", name)
    let code = pwsh [ "-File"; example "Triage.ps1"; "-ProcessId"; string target.Id; "-DumpPath"; dump ]
    if File.Exists dump then File.Delete dump
    if code <> 0 then fail "the triage script reported errors"

    let trace = Path.Combine(dir, "trace-demo.nettrace")
    if File.Exists trace then File.Delete trace
    log "Starting the trace demo target (tests/TestTargets/TraceTarget): induced gen2 GCs, a hot method, exceptions, a contended lock"
    use traceTarget = new Target("TraceTarget", [ "facts"; "--auto-start"; "1500" ])
    log (sprintf "Tracing process %d for 5 s over EventPipe and reporting on the trace" traceTarget.Id)
    let traceCode = pwsh [ "-File"; example "TraceReport.ps1"; "-ProcessId"; string traceTarget.Id; "-Duration"; "00:00:05"; "-TracePath"; trace; "-Top"; "5" ]
    if File.Exists trace then File.Delete trace
    if traceCode <> 0 then fail "the trace report reported errors"

    log "Go artifacts (generated by tests/TestTargets/go with Go 1.23, committed in tests/testdata/go): leaks, heap growth, GC"
    let go name = Path.Combine(root, "tests", "testdata", "go", name)
    let goCode =
        pwsh [ "-File"; example "GoReport.ps1"; "-Goroutines"; go "goroutines-debug2.txt"; "-HeapBase"; go "heap-1.pb.gz"; "-Heap"; go "heap-2.pb.gz"
               "-Cpu"; go "cpu.pb.gz"; "-GcTrace"; go "gctrace.log"; "-Trace"; go "trace.out"; "-Top"; "3" ]
    if goCode <> 0 then fail "the Go report reported errors"
    log (sprintf "Try it yourself:  dotnet pwsh -NoExit -Command \"Import-Module %s\"   then   Get-HeapTop <your.dmp> -Top 10" (Path.GetRelativePath(root, manifest)))

/// The demo artifacts the notebooks use by default, in artifacts/demo (made once; `clean` removes them).
let demoArtifacts () =
    let dir = Path.Combine(artifacts, "demo")
    Directory.CreateDirectory dir |> ignore
    let file name = Path.Combine(dir, name)
    if not (File.Exists(file "demo.dmp")) then
        log "Demo dump: the DumpTarget (a deadlock, leaked orders, an exception in a catch) -> artifacts/demo/demo.dmp"
        use target = new Target("DumpTarget", [ "facts" ])
        createDump target.Id (file "demo.dmp") "--withheap"
    if not (File.Exists(file "before.dmp") && File.Exists(file "after.dmp")) then
        log "Memory-growth demo: two dumps of one DumpTarget, before and after it caches 5,000 more reports"
        use target = new Target("DumpTarget", [ "facts" ])
        createDump target.Id (file "before.dmp") "--withheap"
        target.Ask "grow 5000" "GREW"
        createDump target.Id (file "after.dmp") "--withheap"
    if not (File.Exists(file "demo.nettrace")) then
        log "Demo trace: 5 s of the TraceTarget (induced gen2 GCs, a hot method, exceptions, a contended lock) -> artifacts/demo/demo.nettrace"
        use target = new Target("TraceTarget", [ "facts"; "--auto-start"; "1500" ])
        pwshCommand (sprintf "$null = Invoke-TraceCapture -ProcessId %d -Duration 00:00:05 -OutFile '%s'" target.Id (file "demo.nettrace"))

/// Runs every notebook in notebooks/ headless into artifacts/notebooks (executed .ipynb + offline HTML).
let notebooks () =
    build ()
    useArtifactsCache ()
    demoArtifacts ()
    let outDir = Path.Combine(artifacts, "notebooks")
    Directory.CreateDirectory outDir |> ignore
    let books =
        Directory.GetFiles(Path.Combine(root, "notebooks"))
        |> Array.filter (fun f -> f.EndsWith ".ipynb" || f.EndsWith ".dib")
        |> Array.sort
    let failed =
        books
        |> Array.filter (fun book ->
            let name = Path.GetFileNameWithoutExtension book
            log (sprintf "Running notebooks/%s" (Path.GetFileName book))
            let html = Path.Combine(outDir, name + ".html")
            let ipynb = Path.Combine(outDir, name + ".ipynb")
            let script =
                sprintf "$r = Invoke-Notebook -Path '%s' -OutFile '%s' -OutNotebook '%s' -Force; '{0}: {1} of {2} code cells in {3:N1} s -> {4}' -f $r.Path, $r.CodeCellsRun, $r.CodeCells, $r.Elapsed.TotalSeconds, $r.OutFile; if (-not $r.Succeeded) { exit 1 }" book html ipynb
            pwsh [ "-Command"; sprintf "$ErrorActionPreference = 'Stop'; Import-Module '%s'; %s" manifest script ] <> 0)
    if failed.Length > 0 then fail (sprintf "notebooks failed: %s" (String.Join(", ", failed |> Array.map Path.GetFileName)))
    log (sprintf "%d notebooks ran; open artifacts/notebooks/*.html" books.Length)

/// Our Jupyter kernel against the .NET Interactive kernel (tests/Analysis.Bench/KernelBench.cs): start to kernel_info,
/// a trivial cell's round-trip and memory after start, through jupyter_client. Returns the exit code.
let benchKernel () =
    ensureJupyter ()
    pwsh [ "-Command"; "$PSVersionTable.PSVersion.ToString()" ] |> ignore // restores the local tools (pwsh installs our kernelspec, dotnet-interactive)
    log "kernel: ours vs the .NET Interactive kernel through jupyter_client (start to kernel_info reply, '1+1' round-trip, RSS after start)"
    run "dotnet" [ Path.Combine(artifacts, "bin", "Analysis.Bench", config.ToLowerInvariant(), "Analysis.Bench.dll"); "kernel"; "3" ]

let bench () =
    build ()
    let dotnetTrace = ensureTools ()
    let dir = Path.Combine(artifacts, "bench")
    Directory.CreateDirectory dir |> ignore
    let benchExe = Path.Combine(artifacts, "bin", "Analysis.Bench", config.ToLowerInvariant(), "Analysis.Bench.dll")

    let dump = Path.Combine(dir, "heap-10m.dmp")
    let objects = Environment.GetEnvironmentVariable "BENCH_OBJECTS" |> Option.ofObj |> Option.defaultValue "10000000"
    log (sprintf "Creating a dump with %s live objects" objects)
    (
        use target = new Target("DumpTarget", [ "bulk"; objects ])
        createDump target.Id dump "--withheap"
    )
    log "heap-top: ours vs a naive single-pass ClrMD loop, same dump, separate processes"
    let heapCode = run "dotnet" [ benchExe; "heaptop"; dump; "3" ]
    log "SOS: whole processes, our command in real pwsh with the module imported vs dotnet-dump analyze -c (pairs: tests/Analysis.Bench/SosBench.cs)"
    pwsh [ "-Command"; "$PSVersionTable.PSVersion.ToString()" ] |> ignore // restores the local tools (pwsh, dotnet-dump) and warms them
    run "dotnet" [ "dotnet-dump"; "--version" ] |> ignore
    let sosCode = run "dotnet" [ benchExe; "sos"; dump; manifest; "3" ]
    log "gcroot: ClrMD's GCRoot vs our object-graph index (first question, next question, new session from the cache)"
    let gcrootCode = run "dotnet" [ benchExe; "gcroot"; dump; "3" ]
    let smallDump = Path.Combine(dir, "facts.dmp")
    (
        use target = new Target("DumpTarget", [ "facts" ])
        createDump target.Id smallDump "--withheap"
    )
    log "dump isolation: a session reading in this process vs in the worker process (open, first questions, again, warm)"
    let dumpIsolationCode = run "dotnet" [ benchExe; "dump-isolation"; smallDump; dump; "--rounds"; "3" ]
    log "session isolation: the same dump questions as cmdlets in a real pwsh session, engine in pwsh's process vs in the worker"
    let dumpSessionCode = run "dotnet" [ benchExe; "session-isolation"; manifest; smallDump; "--rounds"; "3"; "--own" ]
    File.Delete dump
    File.Delete smallDump

    let trace = Path.Combine(dir, "bulk.nettrace")
    let seconds = Environment.GetEnvironmentVariable "BENCH_TRACE_SECONDS" |> Option.ofObj |> Option.defaultValue "12"
    log (sprintf "Creating a trace of TraceTarget's bulk workload (%s s: allocations, GCs, exceptions, CPU)" seconds)
    let traceTarget = Path.Combine(artifacts, "bin", "TraceTarget", config.ToLowerInvariant(), "TraceTarget.dll")
    runOrFail "dotnet" [ benchExe; "tracegen"; traceTarget; trace; seconds ]
    log "trace: our GC summary + CPU top vs dotnet-trace report topN, same file, separate processes"
    let traceCode = run "dotnet" [ benchExe; "trace"; trace; dotnetTrace; "3" ]
    // the demo's trace when the notebooks target made one, else a second of the bulk workload
    let demoTrace = Path.Combine(artifacts, "demo", "demo.nettrace")
    let smallTrace = if File.Exists demoTrace then demoTrace else Path.Combine(dir, "small.nettrace")
    if not (File.Exists demoTrace) then runOrFail "dotnet" [ benchExe; "tracegen"; traceTarget; smallTrace; "1" ]
    log "isolation: reading a trace in this process vs in the worker process (first and second open, questions, memory)"
    let isolationCode = run "dotnet" [ benchExe; "isolation"; smallTrace; trace; "--rounds"; "3" ]
    log "session isolation: the trace questions as cmdlets in a real pwsh session, engine in pwsh's process vs in the worker"
    let traceSessionCode = run "dotnet" [ benchExe; "session-isolation"; manifest; smallTrace; trace; "--rounds"; "3" ]
    if smallTrace <> demoTrace then File.Delete smallTrace
    File.Delete trace
    File.Delete(trace + ".etlx") // dotnet-trace report's conversion, left beside the trace (200 MB)

    // panicparse is the reference for goroutine grouping; installed from Debian when possible, else ours is timed alone.
    if not (File.Exists "/usr/bin/panicparse") && File.Exists "/usr/bin/apt-get" then
        log "Installing panicparse (Debian package) for the goroutine benchmark"
        if run "apt-get" [ "install"; "-y"; "-qq"; "panicparse" ] <> 0 then
            run "apt-get" [ "update"; "-qq" ] |> ignore
            run "apt-get" [ "install"; "-y"; "-qq"; "panicparse" ] |> ignore
    log "goroutines: Group-Stacks on a 100,000-goroutine debug=2 dump against panicparse -aggressive"
    let goroutines = Path.Combine(dir, "goroutines-100k.txt")
    let goCode = run "dotnet" [ benchExe; "goroutines"; Path.Combine(root, "tests", "testdata", "go", "goroutines-debug2.txt"); "100000"; goroutines; "3" ]
    File.Delete goroutines
    log "pprof: load and top on the committed profiles"
    let pprofCode = run "dotnet" [ benchExe; "pprof"; Path.Combine(root, "tests", "testdata", "go") ]
    // Delve is the reference for reading a Go core; installed from Debian when possible, else ours is timed alone.
    ensureGoCores ()
    if not (File.Exists "/usr/bin/dlv") && File.Exists "/usr/bin/apt-get" then
        log "Installing delve (Debian package) for the Go core benchmark"
        if run "apt-get" [ "install"; "-y"; "-qq"; "delve" ] <> 0 then
            run "apt-get" [ "update"; "-qq" ] |> ignore
            run "apt-get" [ "install"; "-y"; "-qq"; "delve" ] |> ignore
    let manyCore = Path.Combine(artifacts, "go-cores", "go1.23", "many.core")
    let goCoreCode =
        if File.Exists manyCore then
            log "go core: every goroutine's stack from a 5,000-goroutine Go 1.23 core, Get-Goroutines in pwsh against dlv core"
            run "dotnet" [ benchExe; "gocore"; manyCore; Path.Combine(artifacts, "go-cores", "go1.23", "leaky"); Path.Combine(artifacts, "module", "Analysis", "Analysis.psd1"); "3" ]
        else
            eprintfn "build.fsx: no Go cores (see above): the Go core benchmark is skipped"
            0
    let kernelCode = benchKernel ()
    if heapCode <> 0 || sosCode <> 0 || gcrootCode <> 0 || dumpIsolationCode <> 0 || traceCode <> 0 || isolationCode <> 0 || dumpSessionCode <> 0 || traceSessionCode <> 0 || goCode <> 0 || pprofCode <> 0 || goCoreCode <> 0 || kernelCode <> 0 then fail "benchmark failed"
    // the Go execution trace decoder: bytes allocated and held per input byte and per event, and time, on the committed
    // traces and a 3 s busy trace (tests/TestTargets/go/generate.sh busy-trace, Go 1.23; tens of MB, not kept)
    log "gotrace: the Go execution trace decoder's memory and time, committed traces and a busy one (generate.sh busy-trace)"
    let busyTrace = Path.Combine(dir, "busy.trace")
    let busy = if File.Exists "/bin/bash" && run "/bin/bash" [ Path.Combine(root, "tests", "TestTargets", "go", "generate.sh"); "busy-trace"; busyTrace; "3s" ] = 0 then [ busyTrace ] else []
    if List.isEmpty busy then eprintfn "build.fsx: no busy Go trace (see above): the decoder is measured on the committed traces only"
    let goData = Path.Combine(root, "tests", "testdata", "go")
    let goTraceCode = run "dotnet" ([ benchExe; "gotrace"; Path.Combine(goData, "trace.out"); Path.Combine(goData, "dump-in-trace", "trace.out") ] @ busy @ [ "--rounds"; "3" ])
    if File.Exists busyTrace then File.Delete busyTrace
    if goTraceCode <> 0 then fail "the Go execution trace benchmark failed"

/// sharpfuzz (SharpFuzz.CommandLine) instruments a copy of Analysis.dll for coverage-guided fuzzing; installed locally.
let sharpfuzzVersion = "2.3.0"
let ensureSharpFuzz () =
    let dir = Path.Combine(tools, "sharpfuzz")
    let exe = Path.Combine(dir, "sharpfuzz")
    if not (File.Exists exe) then
        log (sprintf "Installing sharpfuzz %s into artifacts/tools/sharpfuzz (coverage-guided fuzzing: it instruments a copy of Analysis.dll)" sharpfuzzVersion)
        if run "dotnet" [ "tool"; "install"; "SharpFuzz.CommandLine"; "--version"; sharpfuzzVersion; "--tool-path"; dir ] <> 0 then
            eprintfn "build.fsx: sharpfuzz could not be installed; fuzzing without coverage feedback"
    if File.Exists exe then Some exe else None

let fuzz (options: string list) =
    log "Building the fuzzing harness (tests/Analysis.Fuzz)"
    dotnet [ "build"; Path.Combine(root, "tests", "Analysis.Fuzz", "Analysis.Fuzz.csproj"); "-c"; config; "--nologo"; "-v"; "minimal" ]
    let harness = Path.Combine(artifacts, "bin", "Analysis.Fuzz", config.ToLowerInvariant(), "Analysis.Fuzz.dll")
    let report = Path.Combine(artifacts, "fuzz", sprintf "report-%s.md" (DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", Globalization.CultureInfo.InvariantCulture)))
    log (sprintf "Fuzzing %s" (if List.isEmpty options then "every path, 1 minute each" else String.Join(" ", options)))
    let coverage =
        if List.contains "--no-coverage" options then []
        else match ensureSharpFuzz () with Some exe -> [ "--sharpfuzz"; exe ] | None -> []
    let options = options |> List.filter ((<>) "--no-coverage")
    let code = run "dotnet" ([ harness; "campaign" ] @ options @ coverage @ [ "--report"; report ])
    match code with
    | 0 -> log (sprintf "No bugs found; table in %s" report)
    | 1 -> fail (sprintf "the campaign found bugs (table and classes in %s; minimized inputs in tests/testdata/fuzz)" report)
    | _ -> fail (sprintf "the fuzzing harness exited with %d" code)

let clean () =
    if Directory.Exists artifacts then Directory.Delete(artifacts, true)
    log "Removed artifacts/"

let targets =
    dict [ "build", build; "test", test; "demo", demo; "notebooks", notebooks; "bench", bench; "clean", clean ]

let args = fsi.CommandLineArgs |> Array.skip 1
match args with
| [| name |] when targets.ContainsKey name -> targets.[name] ()
| _ when args.Length > 0 && args.[0] = "fuzz" -> fuzz (List.ofArray args.[1..])
| [| "bench"; "kernel" |] ->
    build ()
    if benchKernel () <> 0 then fail "benchmark failed"
| _ ->
    eprintfn "usage: dotnet fsi build.fsx <%s|bench kernel|fuzz [path...] [--minutes N] [--seed S]>" (String.Join("|", targets.Keys))
    exit 2
