#!/usr/bin/python3
"""Starts one Jupyter kernel through jupyter_client, times it, and stops it: one measurement of the kernel benchmark.

Run by Analysis.Bench (KernelBench.cs) with Debian's /usr/bin/python3 (python3-jupyter-client), JUPYTER_PATH naming
the kernelspecs' data folder:

    kernel_bench.py KERNEL CODE EXPECT [--round-trips N] [--timeout SECONDS]

- start: from just before the kernel process is started (KernelManager.start_kernel) to the first kernel_info reply
  (the request sent at once, queued by ZeroMQ until the kernel binds; KernelClient.wait_for_ready, which then waits for
  iopub and for 0.2 s of quiet on it, runs after and is not timed);
- first cell: CODE executed once right after (request to execute_reply and status idle on iopub);
- round-trip: CODE executed N more times, warm; the median;
- memory: resident memory (VmRSS) of the kernel's process and all its descendants, right after start and after the cells.
Every execution must show EXPECT in a result's or display's text/plain (its text/html's text when it has none) or in its
stdout (PowerShell prints) (a kernel that answers nothing is not fast).
Prints one line:  RESULT {"kernel": ..., "startMs": ..., "firstCellMs": ..., "roundTripMs": ..., "rssStartKb": ..., "rssAfterKb": ...}
Exit codes: 0 measured; 2 bad arguments; 3 the kernel did not start, answer or show EXPECT (message on stderr).
"""

import argparse
import json
import os
import queue
import re
import statistics
import sys
import time

from jupyter_client.manager import KernelManager


def descendants(pid):
    """pid and every process below it (from /proc/*/stat's ppid)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
            except (OSError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def rss_kb(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_cell(kc, code, expect, timeout):
    results = []

    def hook(msg):
        if msg["header"]["msg_type"] in ("execute_result", "display_data"):
            data = msg["content"]["data"]
            results.append(data.get("text/plain") or re.sub(r"<[^>]+>", "", re.sub(r"(?s)<(script|style)\b.*?</\1>", "", data.get("text/html", ""))).strip())
        elif msg["header"]["msg_type"] == "stream":
            results.append(msg["content"]["text"])
        elif msg["header"]["msg_type"] == "error":
            results.append("error: " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

    started = time.monotonic()
    reply = kc.execute_interactive(code, output_hook=hook, timeout=timeout)  # returns after execute_reply and idle
    elapsed = (time.monotonic() - started) * 1000
    if reply["content"]["status"] != "ok" or not any(r.strip() == expect for r in results):
        raise RuntimeError(f"{code!r} answered {reply['content']['status']} with {results!r}, not {expect!r}")
    return elapsed


def first_kernel_info(kc, timeout):
    """When the first kernel_info reply arrived: the request is queued until the kernel binds, asked again every 2 s."""
    deadline = time.monotonic() + timeout
    asked = {kc.kernel_info()}
    last = time.monotonic()
    while time.monotonic() < deadline:
        try:
            msg = kc.get_shell_msg(timeout=0.05)
        except queue.Empty:
            if time.monotonic() - last > 2:
                asked.add(kc.kernel_info())
                last = time.monotonic()
            continue
        if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") in asked:
            return time.monotonic()
    raise TimeoutError(f"no kernel_info reply in {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kernel")
    parser.add_argument("code")
    parser.add_argument("expect")
    parser.add_argument("--round-trips", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()

    km = KernelManager(kernel_name=args.kernel)
    try:
        started = time.monotonic()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        start_ms = (first_kernel_info(kc, args.timeout) - started) * 1000
        kc.wait_for_ready(timeout=args.timeout)  # iopub connected too, before any execute (not timed: it waits for quiet)
        pid = km.provisioner.process.pid
        rss_start = rss_kb(pid)
        first = run_cell(kc, args.code, args.expect, args.timeout)
        warm = [run_cell(kc, args.code, args.expect, args.timeout) for _ in range(args.round_trips)]
        rss_after = rss_kb(pid)
        kc.stop_channels()
    except Exception as e:  # noqa: BLE001 - any failure of the kernel is this measurement's failure
        print(f"kernel_bench.py: {args.kernel}: {type(e).__name__}: {e}", file=sys.stderr)
        km.shutdown_kernel(now=True)
        return 3
    km.shutdown_kernel(now=False)
    print("RESULT " + json.dumps({
        "kernel": args.kernel, "startMs": round(start_ms, 1), "firstCellMs": round(first, 1),
        "roundTripMs": round(statistics.median(warm), 2), "rssStartKb": rss_start, "rssAfterKb": rss_after,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
