// The core-dump modes (crash, segv, hang, many) behind cores.sh: goroutines of known kinds parked in known wait
// states, one READY line on stdout, then a crash the runtime turns into a traceback and a core (GOTRACEBACK=crash).
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"contoso.example/leaky/orders"
)

// startTime is the wall clock as early as the program can read it: the process start a core reader should find.
var startTime = time.Now()

// Goroutines started by parkAll, by the wait state the runtime's traceback shows for them.
const (
	coreReceivers = 3 // orders.(*Server).waitForReply: chan receive
	coreSenders   = 2 // orders.produce: chan send
	corePollers   = 2 // orders.pollForever: select
	coreContended = 2 // orders.(*Ledger).contend: sync.Mutex.Lock (plus holdForever sleeping with the lock)
	manyPerKind   = 1250
)

// Keep what parked goroutines wait on reachable, so nothing is collected or reported as deadlocked.
var (
	keepServer *orders.Server
	keepLedger *orders.Ledger
	keepWait   sync.WaitGroup
	keepPipe   [2]int
	keepMany   manyState
)

type manyState struct {
	c    chan int
	mu   sync.Mutex
	a, b chan int
}

// parkAll starts one set of every wait state and returns what the runtime's traceback will show (state -> count).
func parkAll() map[string]int {
	expect := map[string]int{}
	keepServer = orders.NewServer()
	keepServer.Handle(coreReceivers)
	expect["chan receive"] += coreReceivers
	orders.StartProducers(coreSenders)
	expect["chan send"] += coreSenders
	orders.StartPollers(corePollers)
	expect["select"] += corePollers
	keepLedger = &orders.Ledger{}
	keepLedger.StartWaiters(coreContended)
	expect["sync.Mutex.Lock"] += coreContended
	expect["sleep"]++ // holdForever
	orders.LockedWaiter()
	expect["chan receive"]++ // locked to thread

	go coreSleep()
	expect["sleep"]++
	keepWait.Add(1)
	go coreWaitGroup(&keepWait)
	expect["semacquire"]++ // sync.WaitGroup.Wait parks in runtime_Semacquire (Go ≤ 1.23)
	// A pipe whose write end stays open and is never written: read(2) blocks in the kernel.
	if err := syscall.Pipe(keepPipe[:]); err != nil {
		panic(err)
	}
	go coreRead(keepPipe[0])
	expect["syscall"]++
	return expect
}

//go:noinline
func coreSleep() { time.Sleep(24 * time.Hour) }

//go:noinline
func coreWaitGroup(wg *sync.WaitGroup) { wg.Wait() }

//go:noinline
func coreRead(fd int) {
	var b [1]byte
	syscall.Read(fd, b[:])
}

// parkMany adds manyPerKind goroutines in each of four stacks.
func parkMany(expect map[string]int) {
	keepMany.c, keepMany.a, keepMany.b = make(chan int), make(chan int), make(chan int)
	keepMany.mu.Lock()
	for i := 0; i < manyPerKind; i++ {
		go manyReceive(keepMany.c)
		go manyLock(&keepMany.mu)
		go manySelect(keepMany.a, keepMany.b)
		go manySleep()
	}
	expect["chan receive"] += manyPerKind
	expect["sync.Mutex.Lock"] += manyPerKind
	expect["select"] += manyPerKind
	expect["sleep"] += manyPerKind
}

//go:noinline
func manyReceive(c chan int) { <-c }

//go:noinline
func manyLock(mu *sync.Mutex) { mu.Lock() }

//go:noinline
func manySelect(a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func manySleep() { time.Sleep(24 * time.Hour) }

// waitParked returns when the runtime shows every expected goroutine in its wait state (at most 10 s).
func waitParked(expect map[string]int) {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				buf = buf[:n]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		got := map[string]int{}
		for _, line := range bytes.Split(buf, []byte("\n")) {
			if !bytes.HasPrefix(line, []byte("goroutine ")) {
				continue
			}
			i, j := bytes.IndexByte(line, '['), bytes.IndexAny(line, ",]")
			if i >= 0 && j > i {
				got[string(line[i+1:j])]++
			}
		}
		ok := true
		for state, n := range expect {
			if got[state] < n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goroutines not parked after 10 s: want %v, have %v\n", expect, got)
			os.Exit(3)
		}
		time.Sleep(20 * time.Millisecond)
		buf = buf[:cap(buf)]
	}
}

func ready(expect map[string]int) {
	fmt.Fprintf(os.Stdout, "READY pid=%d start_unix_nanos=%d goroutines=%d\n", os.Getpid(), startTime.UnixNano(), runtime.NumGoroutine())
	keys := make([]string, 0, len(expect))
	for k := range expect {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.ReplaceAll(k, " ", "_"), expect[k]))
	}
	// What the program started, by wait state (spaces as '_'): not counting main and the crashing/spinning goroutine.
	fmt.Fprintf(os.Stdout, "EXPECT %s\n", strings.Join(parts, " "))
	os.Stdout.Sync()
}

// cores runs one core mode; it never returns normally.
func cores(mode string) {
	if mode == "deadlock" {
		deadlock()
	}
	expect := parkAll()
	if mode == "many" {
		parkMany(expect)
	}

	waitParked(expect)
	// Two GCs before the crash: the runtime then records the wall and monotonic clocks together (memstats.last_gc_unix
	// and last_gc_nanotime), which places its start on the wall clock, and the second stamps each parked goroutine's
	// waitsince (with the previous cycle's mark termination time: the first cycle stamps 0).
	runtime.GC()
	runtime.GC()
	switch mode {
	case "crash":
		ready(expect)
		go declinePayment(42)
	case "segv":
		ready(expect)
		go dereference(nil)
	case "hang", "many":
		spinning := make(chan int)
		go spin(spinning)
		// The spinner's OS thread, so cores.sh can send SIGABRT to that thread (tgkill): its goroutine is then
		// [running] in the core. A process-directed kill -ABRT lands on any thread, and the runtime preempts the
		// spinner while it freezes the world, leaving it [runnable].
		fmt.Fprintf(os.Stdout, "SPINNING tid=%d\n", <-spinning)
		ready(expect)
	}

	select {}
}

// deadlock parks goroutines only on channels and a mutex (no timers, no system calls), then blocks main: the
// runtime finds every goroutine asleep and dies with "fatal error: all goroutines are asleep - deadlock!".
func deadlock() {
	expect := map[string]int{}
	c := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < coreReceivers; i++ {
		go manyReceive(c)
	}
	expect["chan receive"] += coreReceivers
	for i := 0; i < coreContended; i++ {
		go manyLock(&mu)
	}
	expect["sync.Mutex.Lock"] += coreContended
	waitParked(expect)
	runtime.GC()
	runtime.GC()
	ready(expect)
	<-c
}

type payment struct{ amount int }

//go:noinline
func declinePayment(order int) {
	panic(fmt.Sprintf("order %d: payment declined", order))
}

//go:noinline
func dereference(p *payment) int { return p.amount }

var spinCount uint64

// spin burns CPU forever on its own OS thread, so a thread is running Go code when the signal comes.
//
//go:noinline
func spin(started chan<- int) {
	runtime.LockOSThread()
	started <- syscall.Gettid()
	for {
		spinCount++
	}
}
