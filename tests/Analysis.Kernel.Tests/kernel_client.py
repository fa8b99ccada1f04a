#!/usr/bin/python3
"""Drives the Analysis Jupyter kernel with jupyter_client (Debian's python3-jupyter-client), as a notebook front end
does, and prints one JSON object of what it saw per scenario ("kernel_client: {...}" on the last line). The C# tests
(AnalysisKernelTests.cs) assert on it; this script decides nothing.

usage: kernel_client.py --kernel NAME --cwd DIR --gctrace FILE --stderr FILE [--scenarios a,b,...] [--load N] [--big-mb M]
The kernelspec is found through JUPYTER_PATH (set by the caller)."""
import argparse, json, os, queue, signal, sys, time

import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 120


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


class Kernel:
    def __init__(self, name, cwd, stderr):
        self.km = KernelManager(kernel_name=name)
        self.stderr = stderr
        t0 = time.monotonic()
        self.km.start_kernel(cwd=cwd, stderr=stderr)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.start_seconds = time.monotonic() - t0
        self.pid = self.km.provisioner.process.pid

    def collect(self, msg_id, until_idle=True):
        """iopub messages of one request, through its idle status."""
        out = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            out.append({"type": m["msg_type"], "content": m["content"]})
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out
        out.append({"type": "TIMEOUT", "content": {}})
        return out

    def reply(self, msg_id, control=False):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                m = (self.kc.get_control_msg if control else self.kc.get_shell_msg)(timeout=1)
            except queue.Empty:
                continue
            if m["parent_header"].get("msg_id") == msg_id:
                return {"type": m["msg_type"], "content": m["content"]}
        return {"type": "TIMEOUT", "content": {}}

    def execute(self, code, **kw):
        t0 = time.monotonic()
        msg_id = self.kc.execute(code, **kw)
        iopub = self.collect(msg_id)
        reply = self.reply(msg_id)
        return {"code": code, "iopub": iopub, "reply": reply, "seconds": time.monotonic() - t0,
                "storeHistory": kw.get("store_history", True) and not kw.get("silent", False)}

    def stop(self):
        try:
            self.kc.stop_channels()
            if self.km.is_alive():
                self.km.shutdown_kernel(now=True)
        except Exception as e:  # noqa: BLE001 - report, never hide a cleanup failure
            print(f"kernel_client: cleanup failed: {e}", file=sys.stderr)


def shrink(result):
    """Big HTML (plotly.js) is reported by size and markers, not copied into the JSON."""
    for m in result["iopub"]:
        data = m["content"].get("data")
        if data and "text/html" in data and len(data["text/html"]) > 20000:
            html = data["text/html"]
            data["text/html"] = {"length": len(html), "hasPlotlyJs": "var define, module, exports" in html,
                                 "hasNewPlot": "Plotly.newPlot" in html, "hasTable": "<table" in html,
                                 "cdn": "cdn.plot.ly" in html and "var define, module, exports" not in html,
                                 "head": html[:2000] if "var define, module, exports" not in html else html[:300]}
    return result


def listening(pid):
    """The TCP addresses the process listens on: its socket inodes matched in /proc/net/tcp{,6} in state LISTEN."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[3] != "0A" or cols[9] not in inodes:
                    continue
                hexip, hexport = cols[1].split(":")
                if width == 8:
                    ip = ".".join(str(int(hexip[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "v6:" + hexip
                found.append(f"{ip}:{int(hexport, 16)}")
    return sorted(found)


def scenario_basics(k, args):
    r = {"startSeconds": k.start_seconds, "rssKiBAfterStart": rss_kib(k.pid)}
    info = k.km.get_connection_info()
    r["connection"] = {"ip": info["ip"], "ports": sorted(info[p] for p in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"))}
    r["listening"] = listening(k.pid)
    time.sleep(1)
    r["heartbeat"] = k.kc.hb_channel.is_beating()
    msg_id = k.kc.kernel_info()
    r["kernelInfo"] = k.reply(msg_id)
    r["kernelInfoIopub"] = k.collect(msg_id)
    # kernel_info on control too
    msg = k.kc.session.msg("kernel_info_request", {})
    k.kc.control_channel.send(msg)
    r["controlKernelInfo"] = k.reply(msg["header"]["msg_id"], control=True)
    r["cells"] = [k.execute(c) for c in [
        "$greeting = 'hello'; Write-Host 'from host'; $greeting; 40 + 2",
        "Get-Item ./does-not-exist.txt",
        "(Get-Location).Path",
        "#!csharp\nvar answer = 40 + 2;\nConsole.WriteLine(\"from C#\");\nanswer",
        "#!csharp\nthrow new InvalidOperationException(\"boom from C#\");",
        "#!csharp\nEnvironment.CurrentDirectory",
        "$greeting.ToUpper()",
    ]]
    r["manyLines"] = k.execute("1..2000 | ForEach-Object { Write-Host \"line $_\" }; 'done'")
    r["notStored"] = k.execute("'not stored'", store_history=False)
    r["silent"] = k.execute("'silent'", silent=True)
    r["afterSilent"] = k.execute("'after'")
    r["display"] = [shrink(k.execute(f"Get-GoGcTrace '{args.gctrace}'")) for _ in range(2)]
    r["comm"] = k.reply(k.kc.comm_info())
    hist = k.kc.history(hist_access_type="tail", n=5)
    r["history"] = k.reply(hist)
    r["historyRange"] = k.reply(k.kc.history(hist_access_type="range", session=0, start=2, stop=4, output=True))
    r["historySearch"] = k.reply(k.kc.history(hist_access_type="search", pattern="*greeting*", n=10))
    r["complete"] = k.reply(k.kc.complete("Get-GoGc", 8))
    r["inspect"] = k.reply(k.kc.inspect("Get-GoGcTrace", 5))
    r["isComplete"] = k.reply(k.kc.is_complete("foreach ($i in 1..3) {"))
    return r


def scenario_signature(k, args):
    """Messages signed with the wrong key, or not signed, get no reply; the kernel still answers good ones."""
    info = k.km.get_connection_info()
    ctx = zmq.Context.instance()
    r = {}
    for label, key in [("wrongKey", b"not-the-key"), ("noSignature", b"")]:
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
        session = Session(key=key, signature_scheme="hmac-sha256")
        session.send(sock, "kernel_info_request", {})
        r[label + "Answered"] = sock.poll(2000) != 0
        sock.close()
    good = k.kc.kernel_info()
    r["goodReply"] = k.reply(good)
    with open(k.stderr.name) as f:
        r["stderr"] = f.read()[-4000:]
    return r


def run_then_interrupt(k, interrupt, code, args_sleep=1.5, after_text=None):
    msg_id = k.kc.execute(code)
    # wait until the cell runs (its execute_input; with after_text, until it printed that), then a little more
    seen = []
    while True:
        m = k.kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == msg_id:
            seen.append({"type": m["msg_type"], "content": m["content"]})
            if after_text is None and m["msg_type"] == "execute_input":
                break
            if after_text is not None and m["msg_type"] == "stream" and after_text in m["content"].get("text", ""):
                break
    time.sleep(args_sleep)
    t0 = time.monotonic()
    control = interrupt()
    rest = k.collect(msg_id)
    reply = k.reply(msg_id)
    return {"iopub": seen + rest, "reply": reply, "secondsToStop": time.monotonic() - t0, "interruptReply": control,
            "alive": k.km.is_alive()}


def scenario_interrupt(k, args):
    r = {}

    def by_control():
        msg = k.kc.session.msg("interrupt_request", {})
        k.kc.control_channel.send(msg)
        return k.reply(msg["header"]["msg_id"], control=True)

    def by_signal():
        k.km.interrupt_kernel()  # interrupt_mode signal: SIGINT to the kernel's process group
        return None

    r["control"] = run_then_interrupt(k, by_control, "$i = 0; while ($true) { $i++ }")
    r["afterControl"] = k.execute("$i -gt 0")
    r["signal"] = run_then_interrupt(k, by_signal, "Start-Sleep -Seconds 120; 'not reached'")
    r["afterSignal"] = k.execute("'still alive'")
    # C# that ignores cancellation: reported interrupted after a grace period; the next C# cell waits for it
    r["signalCSharp"] = run_then_interrupt(k, by_signal, "#!csharp\nawait Task.Delay(TimeSpan.FromSeconds(8)); Console.WriteLine(\"delay over\");")
    r["afterSignalCSharp"] = k.execute("#!csharp\n\"C# alive\"")
    r["pidSame"] = k.km.provisioner.process.pid == k.pid
    return r


def scenario_heapwalk(k, args):
    """SIGINT while our cmdlet walks a heap of millions of objects: the walk stops, nothing is cached, the kernel answers.
    The dump is opened with -NoCache (an object-graph index another test saved for the same dump would answer at once),
    and the signal comes 0.2 s after the cell says the walk starts: on an idle machine the whole walk takes under a
    second, so a fixed wait from the cell's start could miss it."""
    bulk = args.bulk.replace("'", "''")
    t0 = time.monotonic()
    r = {"walk": run_then_interrupt(k, lambda: k.km.interrupt_kernel(),
                                    f"Close-Dump -All; $bulk = Open-Dump -Path '{bulk}' -NoCache; Write-Host 'walking'; Get-GcRoot -Dump $bulk -TypeName DumpTarget.BulkNode",
                                    args_sleep=0.2, after_text="walking")}
    r["walk"]["secondsTotal"] = time.monotonic() - t0
    r["after"] = k.execute(f"(Get-HeapTop -Path '{bulk}' -Top 1).Count; Close-Dump -All")
    return r


def scenario_share(k, args):
    """Variables copied between the languages with Polyglot's #!share and #!set."""
    return {"cells": [k.execute(c) for c in [
        "$n = 41",
        "#!csharp\n#!share --from pwsh n\nn + 1",
        "#!csharp\n#!set --name answer --value @pwsh:n\nanswer",
        "#!csharp\nvar fromCs = \"made in C#\";",
        "#!share --from csharp fromCs\n$fromCs.ToUpper()",
    ]]}


def scenario_editor(k, args):
    """complete, inspect and is_complete as an editor asks them, positions in code points as the protocol counts them."""
    r = {}

    def complete(code, cursor=None):
        cursor = len(code) if cursor is None else cursor  # Python's len counts code points, as the protocol does
        return {"cursor": cursor, "reply": k.reply(k.kc.complete(code, cursor))}

    r["command"] = complete("Get-GoGc")
    r["parameter"] = complete("Get-GoGcTrace -Pa")
    # an argument completer of the module, reading the artifact named on the line
    r["sampleType"] = complete(f"Get-PprofTop -Path '{args.heap}' -SampleIndex ")
    # C#: a variable of an earlier cell, after a character outside the BMP (two UTF-16 units, one code point)
    r["csharpCell"] = k.execute("#!csharp\nvar word = \"\U0001F600\";")
    r["csharp"] = complete("#!csharp\nvar both = \"\U0001F600\" + word.Len")
    r["synopsisCell"] = k.execute("(Get-Help Get-GoGcTrace).Synopsis")
    r["inspect"] = k.reply(k.kc.inspect("Get-GoGcTrace -Path x", 5, detail_level=0))
    r["inspectNothing"] = k.reply(k.kc.inspect("   ", 1))
    r["csharpInspect"] = k.reply(k.kc.inspect("#!csharp\nword.Length", len("#!csharp\nword.Len")))
    r["isComplete"] = {code: k.reply(k.kc.is_complete(code))["content"] for code in
                       ["foreach ($i in 1..3) {", "Get-Date", "'open string", "#!csharp\nvar x = (1 +", "#!csharp\nvar x = 1;", "#!csharp\nvar x = 1 +;"]}
    return r


def scenario_malformed(k, args):
    """Signed requests whose content breaks the protocol's types, and an unknown type: an error reply or nothing, and the kernel answers on."""
    r = {"replies": []}
    for msg_type, content in [("execute_request", {"code": 5}), ("complete_request", {"code": "Get-", "cursor_pos": "x"}),
                              ("is_complete_request", {"code": ["a"]}), ("complete_request", {"code": "Get-", "cursor_pos": 999}),
                              ("bogus_request", {})]:
        m = k.kc.session.msg(msg_type, content)
        k.kc.shell_channel.send(m)
        reply = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and reply is None:
            try:
                got = k.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                continue
            if got["parent_header"].get("msg_id") == m["header"]["msg_id"]:
                reply = {"type": got["msg_type"], "content": got["content"]}
        r["replies"].append({"request": msg_type, "reply": reply})
    r["after"] = k.execute("'still here'")
    return r


def scenario_abort(k, args):
    """Run All: a failing cell with stop_on_error aborts the execute requests already waiting; without it they run."""
    r = {}
    for label, stop in (("stop", True), ("go", False)):
        first = k.kc.execute("Start-Sleep -Milliseconds 800; Get-Item ./does-not-exist.txt", stop_on_error=stop)
        second = k.kc.execute("'second cell'")
        r[label] = {"first": {"iopub": k.collect(first), "reply": k.reply(first)},
                    "second": {"iopub": k.collect(second), "reply": k.reply(second)}}
    return r


def scenario_input(k, args):
    """input_request on stdin when allowed; refused without allow_stdin; an interrupt cancels a pending request."""
    r = {}
    msg_id = k.kc.execute("$name = Read-Host 'Your name'; \"hello $name\"", allow_stdin=True)
    r["request"] = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and r["request"] is None:
        try:
            req = k.kc.get_stdin_msg(timeout=0.5)
            r["request"] = {"type": req["msg_type"], "content": req["content"]}
            k.kc.input("k1")
        except queue.Empty:
            try:
                m = k.kc.get_shell_msg(timeout=0)
            except queue.Empty:
                continue
            if m["parent_header"].get("msg_id") == msg_id:
                r["early"] = {"type": m["msg_type"], "content": m["content"]}  # the cell ended without asking
                break
    r["answered"] = {"iopub": k.collect(msg_id), "reply": r.pop("early", None) or k.reply(msg_id)}
    r["refused"] = k.execute("Read-Host 'never asked'", allow_stdin=False)
    return r


def scenario_restart_shutdown(k, args):
    r = {}
    k.execute("$kept = 'before restart'")
    old = k.pid
    t0 = time.monotonic()
    k.km.restart_kernel(now=False)
    k.kc.wait_for_ready(timeout=TIMEOUT)
    r["restartSeconds"] = time.monotonic() - t0
    k.pid = k.km.provisioner.process.pid
    r["newProcess"] = k.pid != old
    r["oldProcessGone"] = not os.path.exists(f"/proc/{old}") or open(f"/proc/{old}/stat").read().split()[2] == "Z"
    r["afterRestart"] = k.execute("\"[$kept]\"")
    # shutdown: the reply comes on control and the process exits by itself (no kill)
    proc = k.km.provisioner.process
    msg_id = k.kc.shutdown(restart=False)
    r["shutdownReply"] = k.reply(msg_id, control=True)
    t0 = time.monotonic()
    try:
        r["exitCode"] = proc.wait(timeout=20)
    except Exception:  # noqa: BLE001
        r["exitCode"] = None
    r["exitSeconds"] = time.monotonic() - t0
    return r


def scenario_load(k, args):
    """Thousands of trivial round trips (twice: memory must not keep growing) and big displays: NetMQ under load."""
    k.execute("1")
    k.execute("#!csharp\n1")  # both languages warm
    r = {"n": args.load, "rssKiBBefore": rss_kib(k.pid)}
    counts = []
    for batch in (1, 2):
        times = []
        for i in range(args.load):
            t0 = time.monotonic()
            msg_id = k.kc.execute("1")
            reply = k.reply(msg_id)
            times.append(time.monotonic() - t0)
            counts.append(reply["content"].get("execution_count"))
            k.collect(msg_id)  # drain its iopub
        times.sort()
        r[f"batch{batch}"] = {"medianMs": times[len(times) // 2] * 1000, "p99Ms": times[int(len(times) * 0.99) - 1] * 1000,
                              "maxMs": times[-1] * 1000, "rssKiBAfter": rss_kib(k.pid)}
    r["okCount"] = sum(1 for c in counts if c is not None)
    r["countsIncreasing"] = all(b == a + 1 for a, b in zip(counts, counts[1:]))
    mb = args.big_mb
    r["bigSeconds"], r["bigLengths"], r["bigReplies"] = [], [], []
    for _ in range(3):
        t0 = time.monotonic()
        big = k.execute(f"#!csharp\ndisplay(new string('x', {mb} * 1024 * 1024));")
        r["bigSeconds"].append(time.monotonic() - t0)
        r["bigLengths"] += [len(m["content"]["data"]["text/plain"]) for m in big["iopub"] if m["type"] == "display_data"]
        r["bigReplies"].append(big["reply"]["content"].get("status"))
    r["rssKiBAfterBig"] = rss_kib(k.pid)
    return r


SCENARIOS = {"basics": scenario_basics, "signature": scenario_signature, "interrupt": scenario_interrupt,
             "input": scenario_input, "editor": scenario_editor, "malformed": scenario_malformed, "heapwalk": scenario_heapwalk, "share": scenario_share, "abort": scenario_abort, "load": scenario_load, "restart_shutdown": scenario_restart_shutdown}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", default="analysis")
    p.add_argument("--cwd", required=True)
    p.add_argument("--gctrace", required=True)
    p.add_argument("--stderr", required=True)
    p.add_argument("--scenarios", default="basics,signature,interrupt,input,share,editor,malformed,abort,load,restart_shutdown")
    p.add_argument("--heap", help="a pprof heap profile (scenario editor)")
    p.add_argument("--load", type=int, default=500)
    p.add_argument("--big-mb", type=int, default=4)
    p.add_argument("--bulk", help="a dump with millions of objects (scenario heapwalk)")
    args = p.parse_args()
    results = {}
    with open(args.stderr, "w") as stderr:
        k = Kernel(args.kernel, args.cwd, stderr)
        try:
            for name in args.scenarios.split(","):
                try:
                    results[name] = SCENARIOS[name](k, args)
                except Exception as e:  # noqa: BLE001 - the test shows what failed
                    results[name] = {"failed": f"{type(e).__name__}: {e}"}
        finally:
            k.stop()
    with open(args.stderr) as f:
        results["kernelStderr"] = f.read()[-20000:]
    print("kernel_client: " + json.dumps(results))


if __name__ == "__main__":
    main()
