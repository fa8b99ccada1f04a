# Generates module/Analysis/en-US/Analysis.PowerShell.dll-Help.xml (MAML) from the descriptions below.
# Edit here, run `python3 module/tools/helpgen.py`, commit both. ModuleTests checks every cmdlet has help.
from xml.sax.saxutils import escape as e
PIPE_PATH = "True (ByValue, ByPropertyName)"
PIPE_VALUE = "True (ByValue)"
PIPE_PROP = "True (ByPropertyName)"
def P(name, type_, req, pos, desc, pipe="False"): return (name, type_, req, pos, desc, pipe)
dumpPath = P("Path","String",True,"0","Path of the dump file; relative paths resolve against the current location. Binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH)
dumpSess = P("Dump","DumpSession",True,"named","A session from Open-Dump; binds from the pipeline.", PIPE_VALUE)
dac = P("DacPath","String",False,"named","DAC to use when the dump's runtime is not installed here (libmscordaccore.so of exactly that runtime build).")
trPath = P("Path","String",True,"0","Path of the .nettrace file; relative paths resolve against the current location. Binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH)
trSess = P("Trace","TraceSession",True,"named","A session from Import-Trace; binds from the pipeline.", PIPE_VALUE)
threads = P("Thread","Int32[]",False,"named","Only these OS thread ids.")
allS = P("AllSamples","SwitchParameter",False,"named","Count all samples (wall-clock, waiting threads included), as dotnet-trace report does; by default only samples of threads running managed code (CPU).")
cmds = [
 dict(name="Open-Dump", synopsis="Opens a .NET process dump and returns a session that later commands reuse.",
  desc="Opens a dump read-only, finds the data-access library (DAC) matching the dump's runtime and returns a DumpSession. Questions asked of the session (threads, heap statistics) are computed once and cached, so piping the same session to several commands walks the heap at most once. On Linux the DAC is looked up next to installed runtimes whose libcoreclr build id matches the dump; pass -DacPath when the runtime is not installed here.",
  params=[P("Path","String",True,"0","Path of the dump file. Relative paths are resolved against the current location. Binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH), P("DacPath","String",False,"named","The libmscordaccore.so (mscordaccore.dll on Windows) of exactly the runtime build the dump was taken from."), P("CacheDirectory","String",False,"named","Folder for the object-graph index that Get-GcRoot, Get-HeapTop -Retained, Get-DumpTasks and Get-DumpTriage build on first use (one file per dump content, named by its XxHash128). Default: $env:ANALYSIS_CACHE_DIR, else $XDG_CACHE_HOME/analysis, else ~/.cache/analysis. Never the dump's own folder unless you name it here. In the default folder only heaps of 64 MB or more are cached (smaller ones index faster than the dump is identified); a folder named here is always used."), P("NoCache","SwitchParameter",False,"named","Neither read nor write the on-disk index (it is still kept in memory for the session).")],
  outputs="Analysis.Dumps.DumpSession",
  examples=[("$d = Open-Dump ./app.dmp","Opens a dump and keeps the session in $d."),("$d = Open-Dump ./app.dmp -DacPath /tmp/10.0.12/libmscordaccore.so","Opens a dump from a machine whose runtime is not installed here, with its DAC copied alongside.")]),
 dict(name="Close-Dump", synopsis="Closes dump sessions and releases their files.",
  desc="Closes sessions returned by Open-Dump (or all open sessions with -All). A closed session answers no more questions.",
  params=[P("Dump","DumpSession[]",True,"0","The sessions to close; binds from the pipeline.", PIPE_VALUE), P("All","SwitchParameter",True,"named","Close every open dump session, including those opened implicitly by -Path.")],
  outputs="None", examples=[("$d | Close-Dump","Closes the session in $d."),("Close-Dump -All","Closes every open dump session.")]),
 dict(name="New-Dump", synopsis="Captures a dump of a running .NET process.",
  desc="Writes a dump of a live .NET process through its diagnostics channel (as dotnet-dump does) or with the runtime's createdump program, and returns the file. WithHeap (the default) is what heap questions need; Mini dumps answer thread questions only.",
  params=[P("ProcessId","Int32",True,"0","Id of the .NET process to dump.", PIPE_PROP), P("Path","String",True,"1","Where to write the dump."), P("Kind","DumpKind",False,"named","Full, WithHeap (default), Mini or Triage."), P("Tool","DumpCaptureTool",False,"named","DiagnosticsClient (default) or CreateDump.")],
  outputs="System.IO.FileInfo", examples=[("New-Dump -ProcessId 4242 -Path ./app.dmp | Get-DumpThreads | Where-Object IsDeadlocked","Dumps process 4242 and lists its deadlocked threads.")]),
 dict(name="Get-DumpThreads", synopsis="Lists the managed threads of a dump with names, states, stacks, exceptions, locks and deadlocks.",
  desc="Returns one DumpThread per managed thread: ManagedThreadId, OSThreadId, Name (read from the Thread object), State (Running, Waiting, BlockedOnLock, Deadlocked, Dead, Unstarted), IsBackground, IsThreadPool, Frames and TopFrame, the Exception in flight, the lock the thread is blocked on (BlockedOn, LockOwnerThreadId), the locks it holds (HeldLocks) and, for threads on a wait-for cycle, IsDeadlocked and the Deadlock cycle with a readable Description. Locks are read from sync blocks, thin locks and System.Threading.Lock owners.",
  params=[dumpPath, dumpSess, dac, P("Name","String",False,"named","Only threads whose name matches this wildcard."), P("State","DumpThreadState[]",False,"named","Only threads in one of these states.")],
  outputs="Analysis.Dumps.DumpThread",
  examples=[("Get-DumpThreads ./app.dmp | Where-Object IsDeadlocked | ForEach-Object DeadlockDescription","Prints each deadlock cycle: which thread holds which lock and waits for which."),("Get-DumpThreads ./app.dmp | Where-Object Exception | ForEach-Object { '{0}: {1}' -f $_.Name, $_.Exception }","Lists threads with an exception in flight."),("Open-Dump ./app.dmp | Get-DumpThreads -State BlockedOnLock,Deadlocked","Lists threads waiting for locks.")]),
 dict(name="Get-HeapTop", synopsis="Lists the types holding the most GC heap memory or objects, like SOS dumpheap -stat.",
  desc="Walks the GC heap once (cached in the session), counting live objects and bytes per type name; free space is excluded. Returns the top N types by total size (default) or by count, optionally filtered by a type-name wildcard. The walk reports progress and stops on Ctrl+C. Parts of the heap that could not be walked are reported as warnings.",
  params=[dumpPath, dumpSess, dac, P("Top","Int32",False,"named","How many types to return (default 20)."), P("SortBy","HeapSortBy",False,"named","Size (default) or Count."), P("TypeName","String",False,"named","Only types whose full name matches this wildcard, e.g. 'Contoso.*'."), P("Baseline","Object",False,"named","An earlier dump of the same program (a session from Open-Dump or a path). The output is then the growth since it: one HeapTypeDiff per type that changed (Count, TotalSize, BaselineCount, BaselineSize, CountDelta, SizeDelta), largest growth first."), P("Retained","SwitchParameter",False,"named","Rank types by retained size instead: the bytes that would be freed if their objects were no longer referenced (dominator tree of the object graph; objects of a type held only through another object of that type count once). Returns RetainedTypeStat rows (Count, ShallowSize, RetainedSize, TypeName). Indexes the object graph on first use (cached like Get-GcRoot's).")],
  outputs="Analysis.Dumps.HeapTypeStat, Analysis.Dumps.HeapTypeDiff, Analysis.Dumps.RetainedTypeStat",
  examples=[("Get-HeapTop ./app.dmp -Top 10","The ten types using the most memory."),("Open-Dump ./app.dmp | Get-HeapTop -Top 5 -SortBy Count","The five types with the most instances; a second call on the same session does not walk again."),("Get-HeapTop ./app.dmp -TypeName 'Contoso.*'","Memory held by the application's own types."),("Get-HeapTop ./after.dmp -Baseline ./before.dmp -Top 10","The ten types that grew most between two dumps of a process whose memory keeps climbing."),("Get-HeapTop ./app.dmp -Retained -TypeName 'Contoso.*' -Top 5","The application types that keep the most memory alive, counting everything only they reference.")]),
 dict(name="Start-TraceCapture", synopsis="Starts tracing a running .NET process over EventPipe.",
  desc="Opens an EventPipe session on a live .NET process and streams its events to a .nettrace file until Stop-TraceCapture. The profile chooses the events: Gc (collections, pauses, heap sizes, allocation ticks), Cpu (managed samples), Exceptions, Contention, or All (default). Stacks are recorded with events, and the runtime writes method rundown when the capture stops so method names resolve. Fails with ProcessNotFound when the process is gone or runs with DOTNET_EnableDiagnostics=0.",
  params=[P("ProcessId","Int32",True,"0","Id of the .NET process.", PIPE_PROP), P("OutFile","String",True,"1","The .nettrace file to write."), P("Profile","TraceProfile",False,"named","Gc, Cpu, Exceptions, Contention (combinable, e.g. Gc,Cpu) or All (default).")],
  outputs="Analysis.Traces.TraceRecording",
  examples=[("$r = Start-TraceCapture -ProcessId 4242 -OutFile ./app.nettrace; Start-Sleep 30; $r | Stop-TraceCapture | Import-Trace","Traces for as long as needed, then reads the trace.")]),
 dict(name="Stop-TraceCapture", synopsis="Stops a capture started with Start-TraceCapture and returns the finished trace file.",
  desc="Stops the EventPipe session, waits for the runtime's rundown (method names) and closes the file.",
  params=[P("Recording","TraceRecording",True,"0","The capture to stop; binds from the pipeline.", PIPE_VALUE)],
  outputs="System.IO.FileInfo", examples=[("$r | Stop-TraceCapture","Stops the capture in $r.")]),
 dict(name="Invoke-TraceCapture", synopsis="Traces a running .NET process for a given time and returns the .nettrace file.",
  desc="Like Start-TraceCapture followed by Stop-TraceCapture after -Duration, with progress. Ctrl+C ends the capture early; the file is still complete.",
  params=[P("ProcessId","Int32",True,"0","Id of the .NET process.", PIPE_PROP), P("OutFile","String",True,"1","The .nettrace file to write."), P("Duration","TimeSpan",True,"named","How long to trace, e.g. 00:00:30."), P("Profile","TraceProfile",False,"named","Gc, Cpu, Exceptions, Contention or All (default).")],
  outputs="System.IO.FileInfo",
  examples=[("Invoke-TraceCapture -ProcessId 4242 -OutFile ./gc.nettrace -Duration 00:00:30 -Profile Gc | Get-TraceGcSummary","Traces GC for 30 seconds and summarizes the pauses.")]),
 dict(name="Import-Trace", synopsis="Reads a .nettrace file once and returns a session that later commands reuse.",
  desc="Reads the trace in one streaming pass (GC analysis, CPU samples, exceptions, contention, with stacks resolved from the runtime's method events; no .etlx file is written) and keeps the result for the session. Data-quality problems — a truncated file, events the runtime dropped, missing rundown — are written as warnings; what could be read is kept.",
  params=[P("Path","String",True,"0","Path of the .nettrace file; binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH)],
  outputs="Analysis.Traces.TraceSession",
  examples=[("$t = Import-Trace ./app.nettrace; $t | Get-TraceGcSummary; $t | Get-TraceCpuTop -Top 10","Reads the trace once and asks two questions of it.")]),
 dict(name="Close-Trace", synopsis="Forgets imported traces and the memory their analyses hold.",
  desc="Closes sessions returned by Import-Trace, or all trace sessions with -All.",
  params=[P("Trace","TraceSession[]",True,"0","The sessions to close; binds from the pipeline.", PIPE_VALUE), P("All","SwitchParameter",True,"named","Close every trace session.")],
  outputs="None", examples=[("Close-Trace -All","Frees every imported trace.")]),
 dict(name="Get-TraceGc", synopsis="Lists every garbage collection in a trace: generation, type, reason, pause, heap sizes.",
  desc="One GcEvent per completed GC, as PerfView's GCStats shows them: Number, Generation, Type (Blocking, Background, Foreground), Reason (AllocSmall, Induced, …), StartMSec, PauseMSec, SuspendMSec, heap size before and after, promoted bytes, allocation since the previous GC and the size of each generation after it.",
  params=[trPath, trSess, P("Generation","Int32[]",False,"named","Only GCs of these generations (0, 1, 2)."), P("MinPauseMSec","Double",False,"named","Only GCs that paused the process at least this long."), P("Induced","SwitchParameter",False,"named","Only induced GCs (GC.Collect and the like).")],
  outputs="Analysis.Traces.GcEvent",
  examples=[("Get-TraceGc ./app.nettrace -Generation 2","Every gen2 collection."),("Get-TraceGc ./app.nettrace -MinPauseMSec 50","The pauses over 50 ms.")]),
 dict(name="Get-TraceGcSummary", synopsis="Summarizes the GCs of a trace and flags anomalies.",
  desc="Counts per generation, induced and background GCs, total, mean and max pause, share of time paused, allocation rate, peak heap size and the GCs over the pause threshold. Anomalies: LongPause, InducedGen2, Gen2Storm (at least 3 gen2 GCs within a second) and HighPauseShare (paused 10% of the time or more).",
  params=[trPath, trSess, P("PauseThresholdMSec","Double",False,"named","Pauses longer than this are listed and flagged (default 50).")],
  outputs="Analysis.Traces.GcSummary",
  examples=[("Get-TraceGcSummary ./app.nettrace | ForEach-Object Anomalies","What looks wrong with the GCs.")]),
 dict(name="Get-TraceCpuTop", synopsis="Lists the functions with the most CPU samples, exclusive or inclusive.",
  desc="Counts SampleProfiler samples per function. By default only samples of threads running managed code count (the sampler is wall-clock: waiting threads are sampled too); -AllSamples counts them all. Exclusive counts the function at the top of the stack; -Inclusive ranks by time in the function and everything it calls. Functions without a method name (native code, or a trace without rundown) appear as '[native or unresolved code]'.",
  params=[trPath, trSess, P("Top","Int32",False,"named","How many functions (default 20)."), P("Inclusive","SwitchParameter",False,"named","Rank by inclusive samples."), threads, allS],
  outputs="Analysis.Traces.CpuFunction",
  examples=[("Get-TraceCpuTop ./app.nettrace -Top 10","Where the CPU went."),("Import-Trace ./app.nettrace | Get-TraceCpuTop -Inclusive -Thread 4242","Inclusive view of one thread.")]),
 dict(name="Get-TraceStacks", synopsis="Lists sampled stacks in folded form with their sample counts.",
  desc="Each FoldedStack is 'root;…;leaf' (Module!Function frames) with its sample count, largest first — the input of flame-graph tools. Use Export-TraceStacks to write them to a file.",
  params=[trPath, trSess, threads, allS, P("PerThread","SwitchParameter",False,"named","Start each stack with its thread.")],
  outputs="Analysis.Traces.FoldedStack",
  examples=[("Get-TraceStacks ./app.nettrace | Where-Object Stack -like '*Contoso*'","Stacks through the application's code.")]),
 dict(name="Get-TraceExceptions", synopsis="Lists the exceptions thrown during a trace.",
  desc="One TraceException per throw: time, thread, type, message, HResult and the throw stack (ThrownIn is the method that threw).",
  params=[trPath, trSess, P("Type","String",False,"named","Only exception types matching this wildcard.")],
  outputs="Analysis.Traces.TraceException",
  examples=[("Get-TraceExceptions ./app.nettrace -Type '*Timeout*'","Timeouts thrown during the trace.")]),
 dict(name="Get-TraceContention", synopsis="Lists waits for locks during a trace.",
  desc="One ContentionEvent per wait: time, thread, duration, lock kind, the owning thread when the runtime reports it, and the stack where the thread waited.",
  params=[trPath, trSess, P("MinDurationMSec","Double",False,"named","Only waits at least this long.")],
  outputs="Analysis.Traces.ContentionEvent",
  examples=[("Get-TraceContention ./app.nettrace -MinDurationMSec 10","Lock waits of 10 ms or more.")]),
 dict(name="Export-TraceStacks", synopsis="Writes sampled stacks as folded text or speedscope JSON for flame-graph viewers.",
  desc="Folded: one 'root;…;leaf count' line per stack (flamegraph.pl, inferno). Speedscope: speedscope's JSON file format with one sampled profile per thread; open it at speedscope.app or in the speedscope viewer offline.",
  params=[trPath, trSess, P("OutFile","String",True,"named","The file to write."), P("Format","StackFormat",False,"named","Speedscope (default) or Folded."), threads, allS],
  outputs="System.IO.FileInfo",
  examples=[("Export-TraceStacks ./app.nettrace -OutFile ./app.speedscope.json","A flame graph for speedscope."),("Export-TraceStacks ./app.nettrace -Format Folded -OutFile ./app.folded","Folded stacks for flamegraph.pl.")]),
]

goPath = P("Path","String",True,"0","Path of the file; relative paths resolve against the current location. Binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH)
ppPath = P("Path","String",True,"0","Path of the pprof profile (gzip or raw); binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH)
ppProf = P("Profile","PprofProfile",True,"named","A profile from Import-Pprof; binds from the pipeline.", PIPE_VALUE)
ppIdx = P("SampleIndex","String",False,"named","The value column: inuse_space, inuse_objects, alloc_space, alloc_objects (heap), cpu or samples (cpu), delay or contentions (block, mutex), goroutine. Default: the profile's default column (pprof's rule).")
ppBase = P("Base","Object",False,"named","Subtract this profile first, like go tool pprof -base: a path, a FileInfo or a profile from Import-Pprof. The heap-growth question: what was allocated and kept between two heap snapshots.")
ppLabel = P("Label","String",False,"named","Only samples with this label, 'key=value' (the value may be a wildcard), like pprof -tagfocus.")
cmds += [
 dict(name="Get-Goroutines", synopsis="Reads a Go goroutine dump and returns its goroutines.",
  desc="Parses pprof goroutine debug=2 text, panic and SIGQUIT output (Go 1.19-1.23 header forms: wait reasons, minutes, 'locked to thread', gp=/m= fields, 'created by X in goroutine N', inlined (...) frames, elided frames) and debug=1 aggregated records (counts, '# labels:'). Each Goroutine has Id, State, WaitMinutes, LockedToThread, Frames (function, file, line, arguments), TopFrame (first frame outside runtime waiting), CreatedBy, Labels and Count. Lines that cannot be placed are reported as a warning (each one with -Verbose); parsing continues at the next goroutine.",
  params=[goPath, P("State","String",False,"named","Only goroutines whose state matches this wildcard, e.g. 'chan*'."), P("MinWaitMinutes","Int32",False,"named","Only goroutines waiting at least this many minutes.")],
  outputs="Analysis.Go.Goroutine",
  examples=[("Get-Goroutines ./goroutines.txt -State 'chan*' -MinWaitMinutes 10","Goroutines stuck on channels for ten minutes or more."),("Get-Goroutines ./goroutines.txt | Group-Stacks","The dump as buckets of identical stacks.")]),
 dict(name="Group-Stacks", synopsis="Merges goroutines or .NET threads with the same state and stack into buckets, largest first.",
  desc="Takes Goroutine objects (Get-Goroutines) or DumpThread objects (Get-DumpThreads) from the pipeline - one model for both runtimes - or a goroutine dump file with -Path, which is grouped while it is read (one goroutine kept per bucket: hundreds of thousands of goroutines in well under a second). Similarity: Exact (arguments too), IgnoreArguments (default), IgnoreLines (functions only). Each StackBucket has Count, Runtime, State, wait minutes, TopFrame (where the members are stuck), CreatedBy, Frames and Ids.",
  params=[P("InputObject","IStackSample[]",True,"named","Goroutines or threads to group; binds from the pipeline.", PIPE_VALUE), P("Path","String",True,"0","A goroutine dump file to group while reading it.", PIPE_PROP), P("Similarity","StackSimilarity",False,"named","Exact, IgnoreArguments (default) or IgnoreLines.")],
  outputs="Analysis.Stacks.StackBucket",
  examples=[("Group-Stacks -Path ./goroutines.txt | Where-Object Count -gt 100","Buckets of more than a hundred goroutines."),("Get-DumpThreads ./app.dmp | Group-Stacks","The .NET threads of a dump merged by stack.")]),
 dict(name="Find-GoroutineLeak", synopsis="Finds goroutine leaks: many goroutines blocked for minutes on a channel, select or lock.",
  desc="Groups the dump (arguments ignored) and returns the buckets of at least -MinGoroutines goroutines in a blocking state (chan receive/send, select, sync.Mutex/RWMutex/Cond/WaitGroup, semacquire, IO wait) for at least -MinWaitMinutes, largest first, with the site where they wait and the function that created them. For debug=1 dumps, which have no states, the state is inferred from the top frames.",
  params=[goPath, P("MinGoroutines","Int32",False,"named","Smallest bucket to report (default 10)."), P("MinWaitMinutes","Int32",False,"named","Shortest wait to report (default 1).")],
  outputs="Analysis.Go.LeakSuspect",
  examples=[("Find-GoroutineLeak ./goroutines.txt","Leak suspects, with where they block and who created them.")]),
 dict(name="Import-Pprof", synopsis="Reads a pprof profile.",
  desc="Decodes a profile.proto file (gzip or raw) with our own wire reader: sample types, samples, locations with inlined lines, functions, labels. Truncated gzip and non-profile files give clear errors (ProfileTruncated, NotAProfile).",
  params=[ppPath], outputs="Analysis.Go.PprofProfile",
  examples=[("$heap = Import-Pprof ./heap.pb.gz; $heap | Get-PprofTop -SampleIndex inuse_objects","Loads a heap profile once and asks it questions.")]),
 dict(name="Get-PprofTop", synopsis="Lists the functions with the largest values in a profile, like go tool pprof -top.",
  desc="Flat (samples whose innermost frame is the function) and cumulative values per function, with percentages of the total, for the chosen sample index. -Base subtracts another profile first (the heap growth between two snapshots); -Label keeps samples with a label.",
  params=[ppPath, ppProf, ppIdx, ppBase, ppLabel, P("Top","Int32",False,"named","How many functions (default 20)."), P("Cumulative","SwitchParameter",False,"named","Rank by cumulative value.")],
  outputs="Analysis.Go.PprofTopRow",
  examples=[("Get-PprofTop ./heap-2.pb.gz -Base ./heap-1.pb.gz -Top 5","What grew between two heap snapshots."),("Get-PprofTop ./cpu.pb.gz -Cumulative","CPU by inclusive time.")]),
 dict(name="Get-PprofPeek", synopsis="Shows the callers and callees of functions in a profile, like go tool pprof -peek.",
  desc="For each function matching -Function: its callers, its own (self) value and its callees, with the value flowing through each edge.",
  params=[ppPath, ppProf, P("Function","String",True,"named","Functions to look at (wildcard)."), ppIdx, ppBase, ppLabel],
  outputs="Analysis.Go.PprofPeekRow",
  examples=[("Get-PprofPeek ./heap.pb.gz -Function '*orders.remember'","Who allocates through orders.remember.")]),
 dict(name="Get-PprofTraces", synopsis="Lists the heaviest sampled stacks of a profile, like go tool pprof -traces.",
  desc="Samples merged by stack and labels, heaviest first, with their frames and labels.",
  params=[ppPath, ppProf, ppIdx, ppBase, ppLabel, P("Top","Int32",False,"named","How many stacks (default 20).")],
  outputs="Analysis.Go.PprofTrace",
  examples=[("Get-PprofTraces ./goroutine.pb.gz -Label handler=orders","Goroutine stacks labelled handler=orders.")]),
 dict(name="Get-GcTrace", synopsis="Reads a GODEBUG=gctrace=1 log: GC cycles, or with -Summary totals and anomalies.",
  desc="Parses 'gc N @Ts P%: a+b+c ms clock, … ms cpu, A->B->C MB, D MB goal, [S MB stacks, G MB globals,] N P [(forced)]' lines (and the older five-phase and 'gc #N' forms). Pause is the stop-the-world phases. Other lines of the log (program output, scavenger and pacer traces) are reported as skipped. -Summary: cycles, forced cycles, total/mean/median/max pause, heap goal growth, peak live heap, and anomalies PauseSpike, Forced and GoalGrowth.",
  params=[goPath, P("Summary","SwitchParameter",False,"named","Return the summary instead of the cycles."), P("SpikeFactor","Double",False,"named","A pause counts as a spike above this many times the median (default 10).")],
  outputs="Analysis.Go.GcCycle, Analysis.Go.GcTraceSummary",
  examples=[("Get-GcTrace ./stderr.log -Summary","GC pauses and anomalies of a Go program."),("Get-GcTrace ./stderr.log | Where-Object Forced","Cycles started by runtime.GC().")]),
 dict(name="Get-GoTrace", synopsis="Reads a Go execution trace (runtime/trace, Go 1.22+ format).",
  desc="Decodes the Go 1.22-1.24 trace format with our own reader. -View Summary (default) returns the trace: span, GOMAXPROCS, goroutines, GCs and stop-the-world pauses; Gcs: each GC with its duration and stop-the-world time; StopTheWorld: every pause and its reason; Blocking: why goroutines blocked, how often and for how long; States: goroutines per state over time. Traces of Go 1.21 and older are rejected with a message naming their version.",
  params=[goPath, P("View","GoTraceView",False,"named","Summary, Gcs, StopTheWorld, Blocking or States."), P("Steps","Int32",False,"named","Time steps for -View States (default 100).")],
  outputs="Analysis.Go.GoExecutionTrace and row types",
  examples=[("Get-GoTrace ./trace.out -View StopTheWorld","Every stop-the-world pause."),("Get-GoTrace ./trace.out -View Blocking","What goroutines waited for.")]),
]

cmds += [
 dict(name="Export-IncidentReport", synopsis="Writes one self-contained offline HTML page for a ticket: findings, tables and charts for the artifacts given.",
  desc="Builds a report from any of: a dump (-Dump session or -DumpPath), a .NET trace (-Trace session or -TracePath), a goroutine dump, a heap profile (with -BaseHeapProfile for the growth between two), a gctrace log, a Go execution trace. The page starts with a summary of findings - deadlocks with their cycles, exceptions in flight, top heap types, GC anomalies, hot functions, exceptions thrown, goroutine leak suspects, heap growth, Go GC anomalies - then a section per artifact with tables and Plotly charts (deadlock graph, thread states, heap by type and namespace, GC pauses, flame graph, stack buckets, pprof top). plotly.js is embedded once, so the file opens offline.",
  params=[P("OutFile","String",True,"0","The HTML file to write."), P("Dump","DumpSession",False,"named","A session from Open-Dump; binds from the pipeline.", PIPE_VALUE), P("DumpPath","String",False,"named","A dump file."), P("Trace","TraceSession",False,"named","A session from Import-Trace."), P("TracePath","String",False,"named","A .nettrace file."), P("GoroutineDump","String",False,"named","A Go goroutine dump."), P("HeapProfile","String",False,"named","A pprof heap profile."), P("BaseHeapProfile","String",False,"named","An earlier heap profile: the report shows the growth."), P("GcTrace","String",False,"named","A GODEBUG=gctrace=1 log."), P("GoTrace","String",False,"named","A Go execution trace."), P("Title","String",False,"named","The page title."), P("Top","Int32",False,"named","Rows per table (default 10).")],
  outputs="System.IO.FileInfo",
  examples=[("Export-IncidentReport ./INC-4242.html -DumpPath ./app.dmp -TracePath ./app.nettrace -Title 'INC-4242 checkout stalls'","One page with the dump's deadlocks, heap and exceptions and the trace's GC and CPU."),("Export-IncidentReport ./go.html -GoroutineDump ./goroutines.txt -BaseHeapProfile ./heap-1.pb.gz -HeapProfile ./heap-2.pb.gz","Goroutine leaks and heap growth of a Go service.")]),
 dict(name="Get-GcRoot", synopsis="Shows why objects are alive: the shortest path from a GC root to an object or to every object of a type.",
  desc="Finds the shortest reference path from a GC root (a static field, a GC handle, a local of a stack frame, the finalizer queue) to the object at -Address (roots searched in tiers: statics and handles first, then thread stacks, then the finalizer queue, so an object a static holds is explained by the static even when a thread also has it in a local), or to each object of the types matching -TypeName, naming each hop's type and the field or array element it goes through. For -TypeName, paths of the same shape (array indices aside, shown as [*]) are merged: Count tells how many objects share the path and Addresses lists some of them. The first question indexes the object graph in one parallel heap pass and keeps it in the session; the index is also saved in a cache folder (see Open-Dump -CacheDirectory), keyed by the dump's content, so a later session on the same dump skips the heap pass. An address that is not an object start is an error (NotAnObject); an object no root reaches is reported as a warning (garbage the next GC frees).",
  params=[dumpPath, dumpSess, dac, P("Address","UInt64[]",False,"named","Addresses of objects, e.g. 0x7f3a2c0410a8. Binds from the Address property of piped objects (Get-DumpTasks -Detailed state machines, locks ...).", PIPE_PROP), P("TypeName","String",False,"named","A type name or wildcard, e.g. 'Contoso.Retention.CustomerSession' or '*Session'."), P("All","SwitchParameter",False,"named","For -Address: every root that keeps the object alive, each with its shortest path (a backwards search over the reverse references, built once per session), strongest roots first; an object several roots hold is listed under its strongest ones."), P("Top","Int32",False,"named","For -TypeName: how many distinct paths to return, most objects first; for -All: how many roots (default 10).")],
  outputs="Analysis.Dumps.GcRootPath",
  examples=[("Get-GcRoot ./app.dmp -TypeName 'Contoso.Retention.CustomerSession'","Why the sessions are alive, e.g. 2,500 x static Contoso.Retention.SessionRegistry.Sessions -> Dictionary ._entries -> Entry[] [*].value -> CustomerSession."),("$d = Open-Dump ./app.dmp; Get-GcRoot $d -Address (Get-GcRoot $d -TypeName '*Invoice').Addresses[0]","The exact path of one of those objects; the second question reuses the index."),("Get-DumpTasks $d -Detailed -Method '*Checkout*' | Get-GcRoot -Dump $d","Why each of those async calls is still alive."),("Get-GcRoot $d -Address 0x7f3a2c0410a8 -All","Every root holding the object: a static field and, say, a thread that also has it in a local.")]),
 dict(name="Compare-Heap", synopsis="Compares the GC heaps of two dumps: per type, count and bytes before, after and the difference.",
  desc="Walks both heaps (each once per session) and returns one HeapTypeDiff per type that changed, largest growth first (pprof -base semantics: the reference is subtracted from the difference). Types that shrank come last; unchanged types are left out. Use two dumps of the same process taken some time apart to find what keeps growing.",
  params=[P("Reference","Object",True,"0","The earlier dump: a path or a session from Open-Dump."), P("Difference","Object",True,"1","The later dump: a path or a session from Open-Dump; binds from the pipeline.", PIPE_VALUE), P("Top","Int32",False,"named","How many types to return (default 20)."), P("SortBy","HeapSortBy",False,"named","Size (default) or Count: which delta orders the rows."), P("TypeName","String",False,"named","Only types whose full name matches this wildcard.")],
  outputs="Analysis.Dumps.HeapTypeDiff",
  examples=[("Compare-Heap -Reference ./before.dmp -Difference ./after.dmp -Top 10","The ten types that grew most, e.g. +5,000 Contoso.Orders.CachedReport."),("Compare-Heap ./before.dmp ./after.dmp -TypeName 'Contoso.*' -SortBy Count","Growth of the application's own types by object count.")]),
 dict(name="Get-DumpTasks", synopsis="Lists async work in a dump: incomplete async calls grouped by method, what they await, who awaits them and which threads block on them.",
  desc="Finds every async state machine on the heap (the runtime's AsyncStateMachineBox objects; struct state machines of optimized code and class ones of debug code), reads its state and current awaiter, and follows continuations to build the chains of async methods awaiting each other. By default returns one StuckAwaitGroup per async method with incomplete calls: Count, Awaiting (another async method, Task.Delay, a Task completed only by a TaskCompletionSource ...), AwaitedBy (the callers' chain) and BlockedThreads (threads blocked synchronously on one of these tasks: sync over async). -Detailed returns one AsyncStateMachine per call; -SyncOverAsync the threads blocked in Task.Wait/Result/GetResult with the task they wait for.",
  params=[dumpPath, dumpSess, dac, P("Detailed","SwitchParameter",False,"named","One AsyncStateMachine per async call (Address, Method, State, Status, Awaiting, Continuations, AwaitedBy)."), P("IncludeCompleted","SwitchParameter",False,"named","With -Detailed: also state machines that have completed but are still referenced."), P("SyncOverAsync","SwitchParameter",False,"named","Return the threads blocked synchronously on a task instead."), P("Method","String",False,"named","Only async methods whose full name matches this wildcard.")],
  outputs="Analysis.Dumps.StuckAwaitGroup, Analysis.Dumps.AsyncStateMachine, Analysis.Dumps.SyncOverAsyncWait",
  examples=[("Get-DumpTasks ./app.dmp","Incomplete async calls by method, e.g. 7 x Contoso.Async.PaymentClient.WaitForConfirmationAsync <- Contoso.Async.CheckoutFlow.RunAsync awaiting Task<Boolean> (not completed ...)."),("Get-DumpTasks ./app.dmp -SyncOverAsync","Threads blocked in .Result/.Wait()/GetResult() and the async method they wait for."),("Get-DumpTasks ./app.dmp -Detailed -Method '*Checkout*' | Where-Object State -ge 0","Every suspended checkout call with the await it is at.")]),
 dict(name="Get-DumpThreadPool", synopsis="Shows the thread pool of a dump: busy and idle workers, what the busy ones run, queued work items, timers and starvation.",
  desc="Returns one ThreadPoolReport: MinWorkers, MaxWorkers, ActiveWorkers, IdleWorkers (from the runtime), BusyWorkers (workers inside a work item, grouped by the application frame they run and the wait they are in), Queued (work items in the global, high/low-priority and worker-local queues, grouped: the work item type, 'Task running <method>', 'work item <method>', 'continuation of <async method>'), Timers (grouped by callback and period) and IsStarved (work queued, no idle worker, the pool at its limit or every worker busy).",
  params=[dumpPath, dumpSess, dac],
  outputs="Analysis.Dumps.ThreadPoolReport",
  examples=[("Get-DumpThreadPool ./app.dmp","Worker counts, what blocks the busy workers, and how much work waits behind them."),("(Get-DumpThreadPool ./app.dmp).Queued | ForEach-Object { '{0,6} {1}' -f $_.Count, $_.Description }","The queued work by kind.")]),
 dict(name="Get-DumpFinalizer", synopsis="Shows the finalizer thread and the objects waiting for finalization; detects a blocked finalizer.",
  desc="Returns one FinalizerReport: the finalizer thread's id and frames, Finalizing (the type whose Finalize method is on its stack), WaitingIn (the wait it is in while doing so), IsBlocked (a finalizer that waits holds up every object behind it), Ready (objects dead and queued for their finalizer, by type) and RegisteredCount (live objects registered for finalization).",
  params=[dumpPath, dumpSess, dac],
  outputs="Analysis.Dumps.FinalizerReport",
  examples=[("Get-DumpFinalizer ./app.dmp","E.g. finalizer running Contoso.Resources.LeakyHandle.Finalize(), waiting in WaitHandle.WaitOneNoCheck; 56 objects wait behind it.")]),
 dict(name="Get-DumpTriage", synopsis="Triage of a dump: a short ordered list of findings with evidence.",
  desc="Runs the dump analyses and returns Finding objects (Severity, Kind, Summary, Evidence, ThreadIds), most severe first: deadlocks, thread-pool starvation and a blocked finalizer (Critical); sync over async, exceptions in flight, leak suspects (application types with many objects, ranked by retained size, with their root path) and stuck awaits (Warning); heap size (Info). On a dump without heap only exceptions and thread states can be checked, and a finding says so. Export-IncidentReport puts these findings first.",
  params=[dumpPath, dumpSess, dac, P("SkipHeap","SwitchParameter",False,"named","Skip the findings that need the object graph (leak suspects, async, heap): fast on huge dumps."), P("MinimumSeverity","FindingSeverity",False,"named","Only findings at least this severe: Critical, Warning or Info (default: all).")],
  outputs="Analysis.Dumps.Finding",
  examples=[("Get-DumpTriage ./app.dmp","E.g. deadlock: 3 threads (worker-a, worker-b, worker-c) wait for each other on Contoso.Sync.AccountLock ...; thread-pool starvation: 4 of 4 workers busy ...; leak suspect: 2,500 Contoso.Retention.CustomerSession held by static Contoso.Retention.SessionRegistry.Sessions ..."),("Get-DumpTriage ./app.dmp -MinimumSeverity Critical | ForEach-Object { $_.Summary; $_.Evidence }","Only what stops the process, with its evidence.")]),
 dict(name="Invoke-Notebook", synopsis="Runs an investigation notebook (.ipynb or .dib) headless and writes the executed notebook and an offline HTML page.",
  desc="Runs every cell top to bottom, like jupyter nbconvert --execute or papermill: PowerShell cells in a fresh runspace with the Analysis module imported, C# cells in Roslyn scripting (one continuing state, display(x), #r of local dlls, the Analysis libraries and Plotly.NET referenced), markdown passed through. Output objects are stored as text and HTML tables, with charts for the big result types. -Parameters are injected as variables in a cell after the notebook's parameters cell (tagged 'parameters', or starting with a '# parameters' comment), in each language the notebook uses. The first failing cell (an error record, an exception, a compile error) stops the run: a NotebookCellFailed error names the cell and the error, and the files written hold the outputs up to it. The input notebook is never modified. Returns the run: Succeeded, CodeCellsRun, FailedCellIndex, Failure, Warnings, Elapsed and the Notebook with its outputs.",
  params=[P("Path","String",True,"0","The notebook (.ipynb nbformat 4 or .dib); binds from the pipeline by value or by the FullName/PSPath property.", PIPE_PATH), P("OutFile","String",False,"1","The self-contained HTML page to write: markdown rendered, code, outputs and charts, plotly.js embedded once (opens offline)."), P("OutNotebook","String",False,"named","The executed notebook to write (.ipynb with outputs stored; opens in VS Code and Jupyter)."), P("Parameters","Hashtable",False,"named","Name = value pairs injected as variables ($Name in PowerShell, Name in C#): strings, numbers, booleans, TimeSpans."), P("WorkingDirectory","String",False,"named","Where relative paths in the notebook resolve; by default the notebook's folder.")],
  outputs="Analysis.Notebooks.NotebookRunResult",
  examples=[("Invoke-Notebook ./notebooks/dump-triage.ipynb -Parameters @{ DumpPath = './app.dmp' } -OutFile ./INC-4242-triage.html -OutNotebook ./INC-4242-triage.ipynb","Runs the dump triage notebook on a dump and keeps both the page and the executed notebook for the ticket."),("Get-ChildItem ./notebooks/*.dib | Invoke-Notebook | Where-Object { -not $_.Succeeded }","Runs several notebooks and lists those that failed.")]),
]
out = ['<?xml version="1.0" encoding="utf-8"?>','<helpItems schema="maml" xmlns="http://msh">']
for c in cmds:
    verb, noun = c["name"].split("-",1)
    out.append('  <command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    out.append('    <command:details>')
    out.append(f'      <command:name>{c["name"]}</command:name>')
    out.append(f'      <command:verb>{verb}</command:verb>')
    out.append(f'      <command:noun>{noun}</command:noun>')
    out.append(f'      <maml:description><maml:para>{e(c["synopsis"])}</maml:para></maml:description>')
    out.append('    </command:details>')
    out.append(f'    <maml:description><maml:para>{e(c["desc"])}</maml:para></maml:description>')
    out.append('    <command:syntax>')
    out.append('      <command:syntaxItem>')
    out.append(f'        <maml:name>{c["name"]}</maml:name>')
    for (n,t,req,pos,d,pipe) in c["params"]:
        out.append(f'        <command:parameter required="{str(req).lower()}" position="{pos}"><maml:name>{n}</maml:name><command:parameterValue required="true">{t}</command:parameterValue></command:parameter>')
    out.append('      </command:syntaxItem>')
    out.append('    </command:syntax>')
    out.append('    <command:parameters>')
    for (n,t,req,pos,d,pipe) in c["params"]:
        out.append(f'      <command:parameter required="{str(req).lower()}" position="{pos}" pipelineInput="{pipe}">')
        out.append(f'        <maml:name>{n}</maml:name>')
        out.append(f'        <maml:description><maml:para>{e(d)}</maml:para></maml:description>')
        out.append(f'        <command:parameterValue required="true">{t}</command:parameterValue>')
        out.append('      </command:parameter>')
    out.append('    </command:parameters>')
    out.append(f'    <command:returnValues><command:returnValue><dev:type><maml:name>{c["outputs"]}</maml:name></dev:type></command:returnValue></command:returnValues>')
    out.append('    <command:examples>')
    for i,(code,rem) in enumerate(c["examples"],1):
        out.append('      <command:example>')
        out.append(f'        <maml:title>-------------------------- Example {i} --------------------------</maml:title>')
        out.append(f'        <dev:code>{e(code)}</dev:code>')
        out.append(f'        <dev:remarks><maml:para>{e(rem)}</maml:para></dev:remarks>')
        out.append('      </command:example>')
    out.append('    </command:examples>')
    out.append('  </command:command>')
out.append('</helpItems>')
open(__import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..', 'Analysis', 'en-US', 'Analysis.PowerShell.dll-Help.xml'),'w').write("\n".join(out)+"\n")
print(len(cmds))
