// leaky: the Go program behind tests/testdata/go. Modes:
//
//	leaky -mode=artifacts -out DIR [-wait 65s]   leaks, profiles, traces; writes every artifact into DIR
//	leaky -mode=panic                             leaks a few goroutines, then panics (run with GOTRACEBACK=all)
//	leaky -mode=crash|segv|hang|many|deadlock     parks goroutines in known wait states, prints READY, then panics
//	                                              (crash), dereferences nil (segv) or spins until killed (hang; many
//	                                              adds 5,000 goroutines): run with GOTRACEBACK=crash for a core (cores.sh)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
