// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// Ground truth for Go's stack switches: main.handler() sleeps 20 x 50 ms in
// time.Sleep. The goroutine parks (runtime.mcall switches to the thread's g0
// stack) and the thread blocks in the scheduler, so a thread's stack holds
// the scheduler's frames on g0 and, chained by frame pointer, the
// goroutine's. It prints its pid, waits for SIGUSR1, then runs.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

//go:noinline
func handler(n int, d time.Duration) int {
	s := 0
	for i := 0; i < n; i++ {
		time.Sleep(d)
		s += i
	}
	return s
}

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	fmt.Println(os.Getpid())
	<-c
	os.Exit(handler(20, 50*time.Millisecond) & 0)
}
