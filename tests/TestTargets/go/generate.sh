#!/usr/bin/env bash
# Regenerates tests/testdata/go from the leaky program with a real Go 1.23 toolchain, and writes MANIFEST: the ground
# truth the tests assert, taken from the program's own constants (facts.json), grep/awk over the text artifacts,
# `go tool pprof -top` and `go tool trace -d=1` — never from the parsers under test. CI does not need Go: the small
# artifacts are committed. Takes about 90 s (the leaked goroutines must wait over a minute to show "N minutes").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$repo/tests/testdata/go"

ensure_go() {
  for candidate in go /usr/lib/go-1.23/bin/go; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" version | grep -q 'go1\.23'; then
      GO="$(command -v "$candidate")"; return
    fi
  done
  echo "generate.sh: installing Go 1.23 from bookworm-backports (plain bookworm has 1.19)"
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/bookworm-backports.sources
  fi
  apt-get update -qq
  apt-get install -y -qq -t bookworm-backports golang-1.23 >/dev/null
  GO=/usr/lib/go-1.23/bin/go
}

ensure_go
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
echo "generate.sh: $("$GO" version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$here" && "$GO" build -trimpath -o "$work/leaky" .)

# dump-in-trace/: a goroutine dump taken while an execution trace runs (the timeline places the dump by goroutine ids,
# the trace by its GCs' gap against the run's gctrace, the gctrace by heap profiles written after forced GCs),
# with its own MANIFEST: when the program logged "dump begin"/"dump end" in the trace and the last goroutine creation
# before and the first after, in ms after the trace's first event, from go tool trace -d=1; and the wall clock's oracles
# (memstats.LastGC after each heap profile, a logged time.Now() in the trace). `generate.sh dump-in-trace` writes only
# this folder.
dump_in_trace() {
  local dir="$out/dump-in-trace"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "generate.sh: running the dump-in-trace workload"
  # runtime.GC yields (Gosched) until concurrent sweeping is done, and the trace records every yield: on a busy machine
  # that is tens of thousands of events (250-470 KB). Up to 8 runs, until one's trace is under 64 KB.
  for attempt in 1 2 3 4 5 6 7 8; do
    GODEBUG=gctrace=1 "$work/leaky" -mode=dumpintrace -out "$dir" 2> "$dir/gctrace.log"
    size=$(stat -c %s "$dir/trace.out")
    [ "$size" -lt 65536 ] && break
    echo "generate.sh: dump-in-trace run $attempt wrote a trace of $size bytes (the sweeper's yields); running again"
  done
  "$GO" tool trace -d=1 "$dir/trace.out" > "$work/dit.d1" 2>/dev/null
  {
    echo "# Ground truth for the artifacts in this folder, written by tests/TestTargets/go/generate.sh (go tool trace -d=1)."
    echo "go.version=$("$GO" env GOVERSION)"
    awk '/ Time=[0-9]+/ { match($0, / Time=[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6) + 0; if (min == "" || t < min) min = t }
         /Category="dump" Message="(begin|end)"/ { match($0, / Time=[0-9]+/); log_t[$0 ~ /"begin"/ ? "begin" : "end"] = substr($0, RSTART + 6, RLENGTH - 6) + 0 }
         / NotExist->/ { match($0, / Time=[0-9]+/); created[++n] = substr($0, RSTART + 6, RLENGTH - 6) + 0 }
         END {
           printf "dump.begin_ms=%.6f\ndump.end_ms=%.6f\n", (log_t["begin"] - min) / 1e6, (log_t["end"] - min) / 1e6
           for (i = 1; i <= n; i++) { if (created[i] < log_t["begin"] && created[i] > before) before = created[i]; if (created[i] > log_t["end"] && (after == "" || created[i] < after)) after = created[i] }
           printf "dump.last_created_before_ms=%.6f\ndump.first_created_after_ms=%.6f\n", (before - min) / 1e6, (after - min) / 1e6
         }' "$work/dit.d1"
    echo "dump.goroutines=$(grep -c '^goroutine [0-9]* \[' "$dir/goroutines.txt")"
    # the wall clock: the program's memstats.LastGC after each heap profile, and its "wall" log (time.Now() in Unix ns,
    # at the log's moment on the trace's clock, in ms after the first event)
    sed 's/^/clock./' "$dir/clocks.txt"
    awk '/ Time=[0-9]+/ { match($0, / Time=[0-9]+/); t = substr($0, RSTART + 6, RLENGTH - 6) + 0; if (min == "" || t < min) min = t }
         /Category="wall" Message="[0-9]+"/ { match($0, / Time=[0-9]+/); at = substr($0, RSTART + 6, RLENGTH - 6) + 0; match($0, /Message="[0-9]+"/); wall = substr($0, RSTART + 9, RLENGTH - 10) }
         END { printf "clock.wall_log_ms=%.6f\nclock.wall_log_unix_ns=%s\n", (at - min) / 1e6, wall }' "$work/dit.d1"
  } > "$dir/MANIFEST"
  rm -f "$dir/clocks.txt"
  cat "$dir/MANIFEST"
}
if [ "${1:-}" = "dump-in-trace" ]; then
  dump_in_trace
  exit 0
fi
# busy-trace OUT [DURATION]: a busy program's execution trace (leaky -mode=busytrace: tens of MB and millions of events a
# second, with the machine's speed) for measuring the trace decoder (Analysis.Bench gotrace); written to OUT, not committed.
if [ "${1:-}" = "busy-trace" ]; then
  "$work/leaky" -mode=busytrace -out "${2:?generate.sh busy-trace OUT [DURATION]}" -wait "${3:-3s}"
  ls -l "$2"
  exit 0
fi

rm -rf "$out"
mkdir -p "$out"
echo "generate.sh: running the artifacts workload (about 70 s)"
GODEBUG=gctrace=1 "$work/leaky" -mode=artifacts -out "$out" -wait 65s 2> "$out/gctrace.log"
echo "generate.sh: running the panic workload"
set +e
GOTRACEBACK=all "$work/leaky" -mode=panic 2> "$out/panic.txt"
status=$?
set -e
[ "$status" -eq 2 ] || { echo "expected the panic run to exit with 2, got $status"; exit 1; }

dump_in_trace

cd "$out"
pprof_top() { # file sample_index [unit] [base] -> "flat|function" of the first row (counts need no unit)
  "$GO" tool pprof -top -nodecount=1 ${3:+-unit="$3"} -sample_index="$2" ${4:+-base "$4"} "$1" 2>/dev/null \
    | awk '/^ *flat/ {getline; print $1 "|" $6; exit}'
}
trace_d1="$work/trace.d1"
"$GO" tool trace -d=1 trace.out > "$trace_d1" 2>/dev/null

{
  echo "# Ground truth for the artifacts in this folder, written by tests/TestTargets/go/generate.sh."
  echo "# Sources: facts.json (the program's constants), grep/awk over the text artifacts, go tool pprof -top,"
  echo "# go tool trace -d=1. Keys are dotted; values follow the first '='."
  echo "go.version=$("$GO" env GOVERSION)"
  sed -n 's/^ *"\([a-z_0-9]*\)": *"\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/facts.\1=\2/p' facts.json

  echo "goroutines.debug2.total=$(grep -c '^goroutine [0-9]* \[' goroutines-debug2.txt)"
  grep -oE '^goroutine [0-9]+ \[[^],]+' goroutines-debug2.txt | sed -E 's/^goroutine [0-9]+ \[//' | sort | uniq -c \
    | awk '{n=$1; $1=""; sub(/^ /,""); print "goroutines.debug2.state." $0 "=" n}'
  echo "goroutines.debug2.minutes=$(grep -cE '^goroutine [0-9]+ \[[^]]*, [0-9]+ minutes' goroutines-debug2.txt)"
  echo "goroutines.debug2.locked=$(grep -cE '^goroutine [0-9]+ \[[^]]*locked to thread' goroutines-debug2.txt)"
  echo "goroutines.debug2.created_by_handle=$(grep -c '^created by contoso.example/leaky/orders.(\*Server).Handle in goroutine' goroutines-debug2.txt)"
  echo "goroutines.debug1.total=$(sed -n 's/^goroutine profile: total //p' goroutines-debug1.txt)"
  echo "goroutines.debug1.records=$(grep -cE '^[0-9]+ @' goroutines-debug1.txt)"
  echo "goroutines.debug1.labelled=$(grep -B0 -A1 -E '^100 @' goroutines-debug1.txt | grep -c '^# labels: {"handler":"orders"}')"
  echo "panic.message=$(sed -n 's/^panic: //p' panic.txt | head -n 1)"
  echo "panic.goroutines=$(grep -c '^goroutine [0-9]* \[' panic.txt)"

  for f in heap-2.pb.gz heap-1.pb.gz; do
    k="${f%.pb.gz}"
    IFS='|' read -r v fn <<< "$(pprof_top "$f" inuse_space B)"; echo "pprof.$k.inuse_space.top=$fn"; echo "pprof.$k.inuse_space.top_flat=${v%B}"
    IFS='|' read -r v fn <<< "$(pprof_top "$f" inuse_objects)"; echo "pprof.$k.inuse_objects.top=$fn"; echo "pprof.$k.inuse_objects.top_flat=$v"
  done
  IFS='|' read -r v fn <<< "$(pprof_top heap-2.pb.gz inuse_space B heap-1.pb.gz)"; echo "pprof.heapdiff.inuse_space.top=$fn"; echo "pprof.heapdiff.inuse_space.top_flat=${v%B}"
  IFS='|' read -r v fn <<< "$(pprof_top heap-2.pb.gz inuse_objects "" heap-1.pb.gz)"; echo "pprof.heapdiff.inuse_objects.top_flat=$v"
  IFS='|' read -r v fn <<< "$(pprof_top allocs.pb.gz alloc_space B)"; echo "pprof.allocs.alloc_space.top=$fn"; echo "pprof.allocs.alloc_space.top_flat=${v%B}"
  IFS='|' read -r v fn <<< "$(pprof_top cpu.pb.gz cpu ns)"; echo "pprof.cpu.top=$fn"; echo "pprof.cpu.top_flat_ns=${v%ns}"
  IFS='|' read -r v fn <<< "$(pprof_top block.pb.gz delay ns)"; echo "pprof.block.top=$fn"; echo "pprof.block.top_flat_ns=${v%ns}"
  IFS='|' read -r v fn <<< "$(pprof_top mutex.pb.gz delay ns)"; echo "pprof.mutex.top=$fn"; echo "pprof.mutex.top_flat_ns=${v%ns}"
  IFS='|' read -r v fn <<< "$(pprof_top goroutine.pb.gz goroutine)"; echo "pprof.goroutine.top=$fn"; echo "pprof.goroutine.top_flat=$v"

  echo "gctrace.cycles=$(grep -cE '^gc [0-9]+ @' gctrace.log)"
  echo "gctrace.forced=$(grep -cE '^gc [0-9]+ @.*\(forced\)$' gctrace.log)"
  # Pause = the two stop-the-world phases: sweep termination (1st) + mark termination (3rd) wall-clock terms.
  echo "gctrace.max_pause_ms=$(awk '/^gc [0-9]+ @/ { split($5, c, "+"); p = c[1] + c[3]; if (p > m) m = p } END { printf "%.3f", m }' gctrace.log)"

  echo "trace.header=$(head -c 13 trace.out)"
  echo "trace.gcs=$(grep -c 'RangeBegin .*Name="GC concurrent mark phase"' "$trace_d1")"
  echo "trace.stw=$(grep -c 'RangeBegin .*Name="stop-the-world' "$trace_d1")"
  grep -oE 'RangeBegin .*Name="stop-the-world \([^)]*\)"' "$trace_d1" | sed -E 's/.*\(([^)]*)\)"/\1/' | sort | uniq -c \
    | awk '{n=$1; $1=""; sub(/^ /,""); print "trace.stw.kind." $0 "=" n}'
  echo "trace.goroutines=$(grep -oE 'StateTransition .*GoID=[0-9]+' "$trace_d1" | grep -oE 'GoID=[0-9]+' | sort -u | wc -l)"
  echo "trace.gomaxprocs=$(grep -m1 -oE 'Name="/sched/gomaxprocs:threads" Value=Uint64\([0-9]+\)' "$trace_d1" | grep -oE '[0-9]+\)$' | tr -d ')')"
  grep -oE 'Reason="[^"]*" GoID=[0-9]+ Running->Waiting' "$trace_d1" | sed -E 's/Reason="([^"]*)".*/\1/' | sort | uniq -c \
    | awk '{n=$1; $1=""; sub(/^ /,""); print "trace.block." $0 "=" n}'
} > MANIFEST

rm -f facts.json
echo "generate.sh: wrote $(ls | wc -l) files to $out"
cat MANIFEST
