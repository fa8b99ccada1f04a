// Package orders has the leaks, hot spots and contention the fixtures are made of. Every count here is ground
// truth for tests/testdata/go/MANIFEST.
package orders

import (
	"context"
	"crypto/sha256"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

const (
	LeakedReceivers = 100 // blocked in (*Server).waitForReply on a channel receive
	LeakedSenders   = 50  // blocked in produce on a channel send
	LeakedPollers   = 25  // blocked in pollForever on a select
	LockWaiters     = 10  // blocked in (*Ledger).contend on sync.Mutex.Lock
	ChunkSize       = 64 << 10
)

// Server leaks one goroutine per request whose reply never comes.
type Server struct{ replies chan string }

func NewServer() *Server { return &Server{replies: make(chan string)} }

// Handle starts a goroutine per request, labelled so pprof shows where it came from.
func (s *Server) Handle(n int) {
	for i := 0; i < n; i++ {
		go pprof.Do(context.Background(), pprof.Labels("handler", "orders"), func(context.Context) {
			s.waitForReply()
		})
	}
}

//go:noinline
func (s *Server) waitForReply() string { return <-s.replies }

// StartProducers leaks goroutines blocked sending to a channel nobody reads.
func StartProducers(n int) {
	out := make(chan int)
	for i := 0; i < n; i++ {
		go produce(out, i)
	}
}

//go:noinline
func produce(out chan<- int, v int) { out <- v }

// StartPollers leaks goroutines in a select that never fires.
func StartPollers(n int) {
	a, b := make(chan int), make(chan string)
	for i := 0; i < n; i++ {
		go pollForever(a, b)
	}
}

//go:noinline
func pollForever(a chan int, b chan string) {
	select {
	case <-a:
	case <-b:
	}
}

// Ledger: one goroutine holds the lock forever, the others wait for it.
type Ledger struct {
	mu      sync.Mutex
	entries []int
}

func (l *Ledger) StartWaiters(n int) {
	held := make(chan struct{})
	go l.holdForever(held)
	<-held
	for i := 0; i < n; i++ {
		go l.contend()
	}
}

//go:noinline
func (l *Ledger) holdForever(held chan<- struct{}) {
	l.mu.Lock()
	close(held)
	time.Sleep(24 * time.Hour)
}

//go:noinline
func (l *Ledger) contend() {
	l.mu.Lock()
	l.entries = append(l.entries, 1)
	l.mu.Unlock()
}

// LockedWaiter blocks on a receive while locked to its OS thread.
func LockedWaiter() {
	go func() {
		runtime.LockOSThread()
		lockedWait(make(chan int))
	}()
}

//go:noinline
func lockedWait(c chan int) { <-c }

// Cache retains every chunk it is given: the memory leak.
type Cache struct{ chunks [][]byte }

//go:noinline
func (c *Cache) Remember(n int) {
	for i := 0; i < n; i++ {
		c.chunks = append(c.chunks, remember())
	}
}

//go:noinline
func remember() []byte {
	b := make([]byte, ChunkSize)
	b[0] = 1
	return b
}

// HashSpin burns CPU for d.
//
//go:noinline
func HashSpin(d time.Duration) [32]byte {
	var sum [32]byte
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			sum = sha256.Sum256(sum[:])
		}
	}
	return sum
}

// Contend makes workers fight over one mutex (mutex profile).
func Contend(workers, rounds int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				post(&mu, &total)
			}
		}()
	}
	wg.Wait()
}

//go:noinline
func post(mu *sync.Mutex, total *int) {
	mu.Lock()
	for i := 0; i < 2000; i++ {
		*total += i
	}
	mu.Unlock()
}

// Handoff passes values through an unbuffered channel with a slow reader (block profile).
func Handoff(n int) {
	c := make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			time.Sleep(200 * time.Microsecond)
			handoffReceive(c)
		}
		close(done)
	}()
	for i := 0; i < n; i++ {
		c <- i
	}
	<-done
}

//go:noinline
func handoffReceive(c chan int) int { return <-c }
