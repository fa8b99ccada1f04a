// leaky: the Go program behind tests/testdata/go. Modes:
//
//	leaky -mode=artifacts -out DIR [-wait 65s]   leaks, profiles, traces; writes every artifact into DIR
//	leaky -mode=panic                             leaks a few goroutines, then panics (run with GOTRACEBACK=all)
//	leaky -mode=dumpintrace -out DIR              a short execution trace with a goroutine dump taken inside it
//	leaky -mode=busytrace -out FILE -wait 3s      a busy program's execution trace (MBs), to measure the trace decoder
//	leaky -mode=crash|segv|hang|many|deadlock     parks goroutines in known wait states, prints READY, then panics
//	                                              (crash), dereferences nil (segv) or spins until killed (hang; many
//	                                              adds 5,000 goroutines): run with GOTRACEBACK=crash for a core (cores.sh)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"contoso.example/leaky/orders"
)

func init() {
	// Record every allocation so heap profiles are exact, not sampled.
	runtime.MemProfileRate = 1
}

func main() {
	mode := flag.String("mode", "artifacts", "artifacts | panic")
	out := flag.String("out", ".", "output directory")
	wait := flag.Duration("wait", 65*time.Second, "how long the leaked goroutines wait before the dumps (≥1m shows minutes)")
	flag.Parse()

	switch *mode {
	case "artifacts":
		artifacts(*out, *wait)
	case "panic":
		panicking()
	case "dumpintrace":
		dumpInTrace(*out)
	case "busytrace":
		busyTrace(*out, *wait)
	case "crash", "segv", "hang", "many", "deadlock":
		cores(*mode)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
}

type facts struct {
	GoVersion        string `json:"go_version"`
	GOMAXPROCS       int    `json:"gomaxprocs"`
	LeakedReceivers  int    `json:"leaked_receivers"`
	LeakedSenders    int    `json:"leaked_senders"`
	LeakedPollers    int    `json:"leaked_pollers"`
	LockWaiters      int    `json:"lock_waiters"`
	ChunkSize        int    `json:"chunk_size"`
	ChunksAtHeap1    int    `json:"chunks_at_heap1"`
	ChunksAtHeap2    int    `json:"chunks_at_heap2"`
	ForcedGCs        int    `json:"forced_gcs"`
	ForcedGCsInTrace int    `json:"forced_gcs_in_trace"`
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func write(dir, name string, f func(*os.File) error) {
	file, err := os.Create(filepath.Join(dir, name))
	must(err)
	must(f(file))
	must(file.Close())
}

func artifacts(dir string, wait time.Duration) {
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	must(os.MkdirAll(dir, 0o755))
	forced := 0
	gc := func() { runtime.GC(); forced++ }

	server := orders.NewServer()
	server.Handle(orders.LeakedReceivers)
	orders.StartProducers(orders.LeakedSenders)
	orders.StartPollers(orders.LeakedPollers)
	ledger := &orders.Ledger{}
	ledger.StartWaiters(orders.LockWaiters)
	orders.LockedWaiter()

	cache := &orders.Cache{}
	cache.Remember(100)
	gc()
	write(dir, "heap-1.pb.gz", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })

	orders.Contend(8, 200)
	orders.Handoff(500)
	cache.Remember(200)
	gc()
	write(dir, "heap-2.pb.gz", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	write(dir, "allocs.pb.gz", func(f *os.File) error { return pprof.Lookup("allocs").WriteTo(f, 0) })
	write(dir, "block.pb.gz", func(f *os.File) error { return pprof.Lookup("block").WriteTo(f, 0) })
	write(dir, "mutex.pb.gz", func(f *os.File) error { return pprof.Lookup("mutex").WriteTo(f, 0) })

	write(dir, "cpu.pb.gz", func(f *os.File) error {
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		orders.HashSpin(2 * time.Second)
		pprof.StopCPUProfile()
		return nil
	})

	inTrace := 0
	write(dir, "trace.out", func(f *os.File) error {
		if err := trace.Start(f); err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { orders.HashSpin(300 * time.Millisecond); close(done) }()
		orders.Handoff(200)
		gc()
		inTrace++
		<-done
		gc()
		inTrace++
		trace.Stop()
		return nil
	})

	// Let the leaked goroutines age so dumps say how long they have waited.
	time.Sleep(wait)
	write(dir, "goroutines-debug2.txt", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 2) })
	write(dir, "goroutines-debug1.txt", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 1) })
	write(dir, "goroutine.pb.gz", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 0) })

	b, err := json.MarshalIndent(facts{
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		LeakedReceivers: orders.LeakedReceivers, LeakedSenders: orders.LeakedSenders, LeakedPollers: orders.LeakedPollers,
		LockWaiters: orders.LockWaiters, ChunkSize: orders.ChunkSize, ChunksAtHeap1: 100, ChunksAtHeap2: 300,
		ForcedGCs: forced, ForcedGCsInTrace: inTrace,
	}, "", "  ")
	must(err)
	must(os.WriteFile(filepath.Join(dir, "facts.json"), append(b, '\n'), 0o644))
	runtime.KeepAlive(cache)
	runtime.KeepAlive(server)
}

func panicking() {
	server := orders.NewServer()
	server.Handle(3)
	orders.StartProducers(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lookup(42)
	}()
	<-done
}

//go:noinline
func lookup(invoice int) {
	panic(fmt.Sprintf("invoice %d not found", invoice))
}

// dumpInTrace writes, into DIR, a short run's artifacts that place a goroutine dump on the wall clock: heap-1.pb.gz and
// heap-2.pb.gz, each after a forced GC (they place the gctrace, the run's stderr, on the wall clock), then trace.out
// with two forced GCs (matched to the gctrace's by their gap) and, while it runs, goroutines.txt (debug=2). Goroutines:
// three alive throughout, one created and ended before the dump, one created before it and alive in it, one created
// after it. The trace logs "dump begin" and "dump end" (category "dump") around the dump: the oracle for when it was
// taken on the trace's clock. Oracles for the wall clock, in DIR/clocks.txt: memstats.LastGC (the wall-clock end of
// the GC before each heap profile, read after the profile is written) and, in the trace, a log "wall" whose message is
// time.Now() in Unix ns, read just before it (the trace's clock against the wall clock).
func dumpInTrace(dir string) {
	must(os.MkdirAll(dir, 0o755))
	// only the forced GCs: an automatic one as the trace starts (its CPU-sample buffers are on the heap) leaves the
	// background sweeper yielding tens of thousands of times into the trace (250-380 KB instead of under 10 KB)
	debug.SetGCPercent(-1)
	park := make(chan struct{})
	for i := 0; i < 3; i++ {
		go func() { <-park }()
	}
	clocks, err := os.Create(filepath.Join(dir, "clocks.txt"))
	must(err)
	lastGC := func(name string) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(clocks, "%s.last_gc_unix_ns=%d\n%s.num_gc=%d\n", name, m.LastGC, name, m.NumGC)
	}
	runtime.GC()
	write(dir, "heap-1.pb.gz", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	lastGC("heap-1")
	// the gaps between forced GCs differ by far more than a profile's delay after its GC, so that their match is unambiguous
	time.Sleep(120 * time.Millisecond)
	runtime.GC()
	write(dir, "heap-2.pb.gz", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	lastGC("heap-2")
	write(dir, "trace.out", func(f *os.File) error {
		if err := trace.Start(f); err != nil {
			return err
		}
		ctx := context.Background()
		trace.Log(ctx, "wall", fmt.Sprint(time.Now().UnixNano()))
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
		time.Sleep(10 * time.Millisecond)
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		go func() { <-park }()
		time.Sleep(20 * time.Millisecond)
		trace.Log(ctx, "dump", "begin")
		write(dir, "goroutines.txt", func(g *os.File) error { return pprof.Lookup("goroutine").WriteTo(g, 2) })
		trace.Log(ctx, "dump", "end")
		time.Sleep(20 * time.Millisecond)
		go func() { <-park }()
		time.Sleep(20 * time.Millisecond)
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		trace.Stop()
		return nil
	})
	must(clocks.Close())
	close(park)
}
