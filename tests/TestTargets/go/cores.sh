#!/usr/bin/env bash
# cores.sh OUTDIR: Go core dumps for the core reader's tests, with the runtime's own traceback as the oracle.
# For Go 1.21, 1.22 and 1.23 (and a stripped 1.23 build) it builds the leaky program and runs its core modes
# (crash, segv, hang, many) with GOTRACEBACK=crash and `ulimit -c unlimited` in an empty directory, keeping per mode:
#   <mode>.core  the kernel's ELF core    <mode>.txt  stderr: the runtime's traceback    <mode>.out  stdout (READY)
# plus leaky (the executable) and MANIFEST (key=value facts from `go version`, readelf and grep — never from the
# code under test). Also go1.23/hang.gcore (gdb's gcore of a hung process; GO_CORES_GCORE=0 skips it) and
# other/sleep.core (a non-Go core of /usr/bin/sleep). A stamp (hash of this script and the Go sources) makes a
# second run with unchanged inputs return at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 1 ] || { echo "usage: cores.sh OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out="$(cd "$1" && pwd)"
started=$(date +%s.%N)
log() { echo "cores.sh: $*"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

stamp_now="$( (cat "$here/cores.sh" "$here/go.mod"; find "$here" -name '*.go' | sort | xargs cat) | sha256sum | cut -c1-16)"
if [ -f "$out/STAMP" ] && [ "$(cat "$out/STAMP")" = "$stamp_now" ]; then
  log "up to date in $out (stamp $stamp_now)"
  exit 0
fi

# The kernel must write cores as plain files into the crashing process's working directory (any name: core, core.PID,
# %e.core; each run has an empty directory of its own).
pattern="$(cat /proc/sys/kernel/core_pattern)"
case "$pattern" in
  "|"*|*/*)
    echo "cores.sh: /proc/sys/kernel/core_pattern is '$pattern': cores go to a program or another directory, not the" >&2
    echo "cores.sh: crashing process's working directory. Set it (as root) with: echo core > /proc/sys/kernel/core_pattern" >&2
    exit 1 ;;
esac
ulimit -c unlimited 2>/dev/null || true
if [ "$(ulimit -c)" != "unlimited" ]; then
  echo "cores.sh: cannot raise the core size limit (ulimit -c is $(ulimit -c)); run where 'ulimit -c unlimited' is allowed" >&2
  exit 1
fi

ensure_go() { # 1.2x -> path of its go
  local v="$1" go="/usr/lib/go-$1/bin/go"
  if [ -x "$go" ] && "$go" version | grep -q "go$v"; then echo "$go"; return; fi
  log "installing Go $v from bookworm-backports (apt-get install golang-$v)" >&2
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/bookworm-backports.sources
  fi
  apt-get update -qq >&2
  apt-get install -y -qq -t bookworm-backports "golang-$v" >/dev/null
  [ -x "$go" ] || { echo "cores.sh: golang-$v installed but $go is missing" >&2; exit 1; }
  echo "$go"
}

export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$out"/go1.2* "$out/other" "$out/STAMP"

build() { # go version-dir ldflags [buildmode]
  local go="$1" dir="$2" ldflags="$3" buildmode="${4:-}" src="$work/src-$(basename "$2")"
  mkdir -p "$src" "$dir"
  cp -r "$here"/*.go "$here/go.mod" "$here/orders" "$src/"
  # go.mod says 1.22; with GOTOOLCHAIN=local each toolchain builds the copy under its own version.
  sed -i "s/^go .*/go $("$go" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')/" "$src/go.mod"
  (cd "$src" && "$go" build -trimpath ${ldflags:+-ldflags="$ldflags"} ${buildmode:+-buildmode="$buildmode"} -o "$dir/leaky" .)
}

wait_ready() { # stdout-file pid
  for _ in $(seq 1 300); do
    grep -q '^READY ' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

settled() { # pid spinner-tid: wait (at most 2 s) until every thread but the spinner sleeps, so main has finished
  # printing READY/EXPECT (its Sync is a system call) and parked: the core then shows main where the runtime prints it
  local t st busy
  for _ in $(seq 1 100); do
    busy=0
    for t in /proc/"$1"/task/*; do
      [ "${t##*/}" = "$2" ] && continue
      st="$(sed 's/.*) //' "$t/stat" 2>/dev/null | cut -c1)"
      [ -z "$st" ] || [ "$st" = S ] || busy=1
    done
    [ "$busy" = 0 ] && return 0
    sleep 0.02
  done
  return 0
}

run_mode() { # dir mode
  # hang must catch the spinner running on its thread; the scheduler preempts it now and then (sysmon, GC), and a
  # signal that lands in such a moment finds it runnable: that run is not the fixture hang claims to be, so run again.
  local attempt
  for attempt in $(seq 1 10); do
    run_once "$@"
    [ "$2" != hang ] && return 0
    if sed '/^-----$/,$d' "$1/hang.txt" | grep -m1 -A1 -E '^goroutine [1-9][0-9]* ' | tr '\n' ' ' | grep -qE '\[running.* main\.spin\('; then
      return 0
    fi
    echo "cores.sh: $(basename "$1") hang, attempt $attempt: the signal found the spinner not running; running it again"
    rm -f "$1/hang.core"
  done
  echo "cores.sh: $(basename "$1") hang never caught the spinner running" >&2
  exit 1
}

run_once() { # dir mode
  local dir="$1" mode="$2" cwd="$work/run-$(basename "$1")-$2" pid
  mkdir -p "$cwd"
  (
    cd "$cwd"
    set +e
    GOTRACEBACK=crash "$dir/leaky" -mode="$mode" > "$dir/$mode.out" 2> "$dir/$mode.txt" &
    pid=$!
    # A watchdog: no run may hang the script (it ends by itself once the process is gone).
    (for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL "$pid") >/dev/null 2>&1 &
    if [ "$mode" = hang ] || [ "$mode" = many ]; then
      wait_ready "$dir/$mode.out" "$pid" || { echo "cores.sh: $mode did not print READY" >&2; kill -KILL "$pid"; exit 1; }
      settled "$pid" "$(sed -n 's/^SPINNING tid=//p' "$dir/$mode.out")"
      if [ "$mode" = hang ]; then
        # SIGABRT to the spinning goroutine's thread (tgkill, x86-64 syscall 234): the core has a [running] goroutine.
        perl -e 'syscall(234, $ARGV[0] + 0, $ARGV[1] + 0, 6) == 0 or die "tgkill: $!\n"' "$pid" "$(sed -n 's/^SPINNING tid=//p' "$dir/$mode.out")" \
          || { echo "cores.sh: could not signal the spinning thread" >&2; kill -KILL "$pid"; exit 1; }
      else
        kill -ABRT "$pid" # process-directed, as an operator does it
      fi
    fi
    { wait "$pid"; } 2>/dev/null
    echo $? > "$dir/$mode.status"
  )
  local core
  core="$(find "$cwd" -maxdepth 1 -type f | head -n 1)" # the run directory holds nothing else
  [ -n "$core" ] || { echo "cores.sh: $mode under $(basename "$dir") wrote no core in $cwd (exit $(cat "$dir/$mode.status"))" >&2; exit 1; }
  mv "$core" "$dir/$mode.core"
}

manifest() { # go dir modes...
  local go="$1" dir="$2"; shift 2
  {
    echo "# Ground truth for the cores in this folder, written by tests/TestTargets/go/cores.sh from go version, readelf,"
    echo "# the program's READY/EXPECT lines and grep over the runtime's traceback (<mode>.txt). Values follow the first '='."
    echo "go.version=$("$go" env GOVERSION)"
    echo "executable=leaky"
    # Go links no GNU build id (NT_GNU_BUILD_ID) unless -ldflags=-B is given: gnu_build_id is then empty. The Go build
    # id is the "Go" note (.note.go.buildid, type 4), hex in readelf's output, decoded here.
    echo "gnu_build_id=$(readelf -n "$dir/leaky" | sed -n 's/^ *Build ID: *//p' | head -n 1)"
    echo "go_build_id=$(readelf -n "$dir/leaky" | sed -n 's/^ *description data: *//p' | head -n 1 | tr -d ' ' | xxd -r -p)"
    echo "stripped=$(readelf -S "$dir/leaky" | grep -q ' \.symtab' && echo false || echo true)"
    for m in "$@"; do
      echo "$m.exit=$(cat "$dir/$m.status")"
      sed -n 's/^READY //p' "$dir/$m.out" | tr ' ' '\n' | sed "s/^/$m.ready./"
      sed -n 's/^SPINNING //p' "$dir/$m.out" | sed "s/^/$m.spinning./"
      sed -n 's/^EXPECT //p' "$dir/$m.out" | tr ' ' '\n' | sed "s/^/$m.expect./"
      echo "$m.core.bytes=$(stat -c %s "$dir/$m.core")"
      # The main listing is what comes before the first "-----"; after it, each M's block repeats its goroutine (g0,
      # or one listed above) with the registers.
      # A fatal error's "runtime stack:" (the system stack that threw) is not a goroutine either: left out up to the listing.
      sed '/^-----$/,$d' "$dir/$m.txt" | sed '/^runtime stack:$/,/^goroutine /{/^goroutine /!d}' > "$work/main.txt"
      echo "$m.traceback.goroutines=$(grep -cE '^goroutine [0-9]+ ' "$work/main.txt")"
      grep -oE '^goroutine [0-9]+ [^[]*\[[^],]+' "$work/main.txt" | sed -E 's/^[^[]*\[//' | sort | uniq -c \
        | awk -v m="$m" '{n=$1; $1=""; sub(/^ /,""); gsub(/ /,"_"); print m ".traceback.state." $0 "=" n}'
      echo "$m.traceback.thread_blocks=$(grep -c '^-----$' "$dir/$m.txt")"
      echo "$m.traceback.thread_blocks_g0=$(sed -n '/^-----$/,$p' "$dir/$m.txt" | grep -cE '^goroutine 0 ')"
      echo "$m.traceback.frames=$(grep -cE '^	.* fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$' "$work/main.txt")"
      echo "$m.traceback.inlined_frames=$(grep -cE '^	[^ ]+:[0-9]+$' "$work/main.txt")"
      echo "$m.traceback.sigquit_blocks=$(grep -c '^SIGQUIT: quit' "$dir/$m.txt")"
      echo "$m.traceback.sigabrt_blocks=$(grep -c '^SIGABRT: abort' "$dir/$m.txt")"
      echo "$m.traceback.locked=$(grep -cE '^goroutine [0-9]+ .*\[[^]]*locked to thread' "$work/main.txt")"
      local panic signal
      panic="$(sed -n 's/^panic: //p' "$dir/$m.txt" | head -n 1)"
      [ -z "$panic" ] || echo "$m.panic=$panic"
      panic="$(sed -n 's/^fatal error: //p' "$dir/$m.txt" | head -n 1)"
      [ -z "$panic" ] || echo "$m.fatal_error=$panic"
      signal="$(sed -nE 's/^\[signal ([A-Z]+).*/\1/p' "$dir/$m.txt" | head -n 1)"
      [ -z "$signal" ] || echo "$m.signal=$signal"
      signal="$(sed -nE 's/^\[signal [A-Z]+: [^ ]+ [^ ]+ [^ ]+ addr=(0x[0-9a-f]+).*/\1/p' "$dir/$m.txt" | head -n 1)"
      [ -z "$signal" ] || echo "$m.fault_addr=$signal"
    done
  } > "$dir/MANIFEST"
}

for v in 1.21 1.22 1.23; do
  go="$(ensure_go "$v")"
  dir="$out/go$v"
  t=$(date +%s.%N)
  build "$go" "$dir" ""
  for m in crash segv hang many deadlock; do run_mode "$dir" "$m"; done
  manifest "$go" "$dir" crash segv hang many deadlock
  log "$("$go" env GOVERSION): built and ran 5 modes in $(since "$t") s → $dir ($(du -sh "$dir" | cut -f1) on disk)"
done

go="$(ensure_go 1.23)"
dir="$out/go1.23-stripped"
build "$go" "$dir" "-s -w"
for m in crash hang; do run_mode "$dir" "$m"; done
manifest "$go" "$dir" crash hang
log "stripped 1.23 (-ldflags='-s -w'): crash, hang → $dir"

# A position-independent build (as distributions and hardened images ship): loaded at a random base.
dir="$out/go1.23-pie"
build "$go" "$dir" "" pie
for m in crash hang; do run_mode "$dir" "$m"; done
manifest "$go" "$dir" crash hang
log "position-independent 1.23 (-buildmode=pie): crash, hang → $dir"

# gdb's gcore of a live hung process: it dumps Go's whole reserved arena.
if [ "${GO_CORES_GCORE:-1}" != 0 ]; then
  dir="$out/go1.23"
  cwd="$work/gcore"; mkdir -p "$cwd"
  (cd "$cwd" && exec env GOTRACEBACK=crash "$dir/leaky" -mode=hang > "$dir/hang-gcore.out" 2> /dev/null) &
  pid=$!
  wait_ready "$dir/hang-gcore.out" "$pid" || { echo "cores.sh: hang for gcore did not print READY" >&2; exit 1; }
  t=$(date +%s.%N)
  gcore -o "$work/hang" "$pid" > "$work/gcore.log" 2>&1 || { cat "$work/gcore.log" >&2; kill -KILL "$pid"; exit 1; }
  secs=$(since "$t")
  kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  mv "$work/hang.$pid" "$dir/hang.gcore"
  # gcore writes every zero page of Go's reserved arena (1.2 GB); punching holes keeps ~2 MB on disk.
  fallocate --dig-holes "$dir/hang.gcore" 2>/dev/null || true
  { echo "hang_gcore.ready.$(sed -n 's/^READY //p' "$dir/hang-gcore.out" | tr ' ' '\n' | head -n1)"
    echo "hang_gcore.bytes=$(stat -c %s "$dir/hang.gcore")"; } >> "$dir/MANIFEST"
  log "gcore of a hung 1.23 process: $(stat -c %s "$dir/hang.gcore") bytes apparent, $(du -k "$dir/hang.gcore" | cut -f1) KB on disk, $secs s"
else
  log "gcore skipped (GO_CORES_GCORE=0)"
fi

# A core of a process that is not Go.
dir="$out/other"; cwd="$work/other"; mkdir -p "$dir" "$cwd"
(cd "$cwd" && exec sleep 60) &
pid=$!
sleep 0.1
kill -ABRT "$pid"; { wait "$pid"; } 2>/dev/null || true
core="$(find "$cwd" -maxdepth 1 -type f | head -n 1)" # the run directory holds nothing else
[ -n "$core" ] || { echo "cores.sh: sleep wrote no core" >&2; exit 1; }
mv "$core" "$dir/sleep.core"
printf 'executable=%s\npid=%s\n' "$(command -v sleep)" "$pid" > "$dir/MANIFEST"

echo "$stamp_now" > "$out/STAMP"
log "done in $(since "$started") s: $(du -sh --apparent-size "$out" | cut -f1) apparent, $(du -sh "$out" | cut -f1) on disk in $out"
