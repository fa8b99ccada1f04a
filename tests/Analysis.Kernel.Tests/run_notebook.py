#!/usr/bin/python3
"""Executes one notebook in a real Jupyter kernel with nbclient, as `jupyter nbconvert --execute` does.

Test-only driver for tests/Analysis.Kernel.Tests (run with Debian's /usr/bin/python3: python3-nbclient).

    run_notebook.py NOTEBOOK OUT.ipynb [--parameters JSON] [--cwd DIR] [--timeout SECONDS] [--kernel NAME] [--write-only]

- The kernel is the one the notebook names (metadata.kernelspec.name), found through JUPYTER_PATH; --kernel NAME
  runs it in that kernel instead (every cell names its language with a #!csharp / #!pwsh magic, so a notebook made
  for .NET Interactive runs unchanged in a kernel that honours them), and the notebook written names that kernel.
- --write-only writes the notebook as it would run (parameters injected, --kernel named in its metadata) without
  starting a kernel, for a client that executes it itself (a browser on a notebook server).
- The kernel starts in --cwd (default: the notebook's folder, as Jupyter and nbconvert do).
- --parameters '{"Top": 5}' injects papermill's cell after the cell tagged "parameters": a cell tagged
  "injected-parameters", in the parameters cell's language (its #!pwsh / #!csharp magic), assigning each value.
- Every cell runs even after an error (allow_errors), so the executed notebook shows every failure; judging the
  outputs is the caller's job. The executed notebook is written to OUT.ipynb with per-cell timings
  (metadata.execution), and one line with the timings goes to stdout (the kernel's own log lines go there too):
      run_notebook: {"kernel": ".net-csharp", "startSeconds": 2.1, "runSeconds": 14.2, "cells": [{"index": 3, "seconds": 1.2}, ...]}
Exit codes: 0 the notebook ran (its cells may have failed); 2 bad arguments; 3 the kernel could not start, died or
timed out (message on stderr).
"""

import argparse
import datetime
import json
import os
import re
import sys
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient


def first_line(source):
    return source.lstrip("\r\n").split("\n", 1)[0].strip()


def cell_language(cell, default):
    line = first_line(cell.source)
    if line.startswith("#!"):
        return {"pwsh": "pwsh", "powershell": "pwsh", "csharp": "csharp", "c#": "csharp"}.get(line[2:].lower(), default)
    meta = cell.metadata.get("polyglot_notebook", {}).get("kernelName") or cell.metadata.get("dotnet_interactive", {}).get("language")
    return {"pwsh": "pwsh", "powershell": "pwsh", "csharp": "csharp"}.get(meta, default)


def is_parameters_cell(cell):
    if cell.cell_type != "code":
        return False
    if "parameters" in cell.metadata.get("tags", []):
        return True
    lines = [l for l in cell.source.split("\n") if not l.startswith("#!")]
    return bool(lines) and lines[0].lstrip("/# \t").strip().lower() == "parameters"


def literal(language, value):
    if isinstance(value, bool):
        return ("$true" if value else "$false") if language == "pwsh" else ("true" if value else "false")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if language == "pwsh":
            return "'" + value.replace("'", "''") + "'"
        return '@"' + value.replace('"', '""') + '"'
    raise ValueError(f"parameter value {value!r} is not a string, number or bool")


def inject(nb, parameters, default_language):
    at = next((i for i, c in enumerate(nb.cells) if is_parameters_cell(c)), -1)
    language = cell_language(nb.cells[at], default_language) if at >= 0 else default_language
    lines = [f"#!{language}", "# Injected parameters" if language == "pwsh" else "// Injected parameters"]
    for name, value in parameters.items():
        lines.append(f"${name} = {literal(language, value)}" if language == "pwsh" else f"var {name} = {literal(language, value)};")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.metadata["polyglot_notebook"] = {"kernelName": language}
    nb.cells.insert(at + 1, cell)


def seconds(cell):
    ex = cell.metadata.get("execution", {})
    try:
        start = datetime.datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
        return round((end - start).total_seconds(), 2)
    except (KeyError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("out")
    parser.add_argument("--parameters", default="{}")
    parser.add_argument("--cwd")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--kernel", help="the kernel to run in, whatever the notebook names")
    parser.add_argument("--write-only", action="store_true", help="write the notebook to run, do not run it")
    args = parser.parse_args()
    try:
        nb = nbformat.read(args.notebook, as_version=4)
        parameters = json.loads(args.parameters)
    except Exception as e:  # noqa: BLE001 - any unreadable input is a usage error
        print(f"run_notebook.py: {e}", file=sys.stderr)
        return 2

    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name")
    if not kernel:
        print(f"run_notebook.py: {args.notebook} names no kernel (metadata.kernelspec.name)", file=sys.stderr)
        return 2
    default_language = "pwsh" if "powershell" in kernel else "csharp"
    if args.kernel:
        try:
            spec = KernelSpecManager().get_kernel_spec(kernel)
        except NoSuchKernel:
            print(f"run_notebook.py: no kernel named {kernel} (JUPYTER_PATH={os.environ.get('JUPYTER_PATH', '')})", file=sys.stderr)
            return 3
        default_language = "pwsh" if spec.language.lower() in ("powershell", "pwsh") else "csharp"
        nb.metadata["kernelspec"] = {"name": kernel, "display_name": spec.display_name, "language": spec.language}
        # the language_info a kernel reports goes with the kernel (a browser asks for its editor mode before it connects)
        nb.metadata.pop("language_info", None)
    if parameters:
        inject(nb, parameters, default_language)
    if args.write_only:
        nbformat.write(nb, args.out)
        print("run_notebook: " + json.dumps({"kernel": kernel, "written": args.out}))
        return 0

    cwd = args.cwd or os.path.dirname(os.path.abspath(args.notebook))
    client = NotebookClient(nb, timeout=args.timeout, startup_timeout=180, kernel_name=kernel, allow_errors=True,
                            record_timing=True, resources={"metadata": {"path": cwd}})
    started = time.monotonic()
    status = 0
    try:
        with client.setup_kernel():
            ready = time.monotonic()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    except Exception as e:  # noqa: BLE001 - no kernel, a dead kernel, a timeout: reported, the notebook still written
        print(f"run_notebook.py: {args.notebook}: {type(e).__name__}: {e}", file=sys.stderr)
        status = 3
        ready = locals().get("ready", time.monotonic())
    finished = time.monotonic()
    nbformat.write(nb, args.out)
    print("run_notebook: " + json.dumps({
        "kernel": kernel,
        "startSeconds": round(ready - started, 2),
        "runSeconds": round(finished - ready, 2),
        "cells": [{"index": i, "seconds": seconds(c)} for i, c in enumerate(nb.cells) if c.cell_type == "code"],
    }))
    return status


if __name__ == "__main__":
    sys.exit(main())
