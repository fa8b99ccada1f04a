package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

// busyTrace writes, to path, an execution trace of a busy program for about d: pairs of goroutines hand a counter back
// and forth over unbuffered channels (every hand-off blocks one goroutine and unblocks the other), short-lived
// goroutines are created and end, and allocations keep the GC running. A trace of d = 3s is tens of MB, millions of
// events over about three generations: the input for measuring the trace decoder's memory and speed (generate.sh
// busy-trace, Analysis.Tests' GoTraceMemoryTests), not a committed artifact.
func busyTrace(path string, d time.Duration) {
	f, err := os.Create(path)
	must(err)
	must(trace.Start(f))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		ping, pong := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case ping <- n:
				case <-stop:
					close(ping)
					return
				}
				<-pong
			}
		}()
		go func() {
			defer wg.Done()
			for n := range ping {
				pong <- n
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var keep [][]byte
		for {
			select {
			case <-stop:
				runtime.KeepAlive(keep)
				return
			default:
			}
			keep = append(keep, make([]byte, 64<<10))
			if len(keep) > 256 {
				keep = keep[:0]
			}
			done := make(chan struct{})
			go func() { close(done) }()
			<-done
			time.Sleep(50 * time.Microsecond)
		}
	}()
	time.Sleep(d)
	close(stop)
	wg.Wait()
	trace.Stop()
	must(f.Close())
}
