//go:build linux

package pipeline

import (
	"runtime"
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD: the calling thread's usage (Linux).
const rusageThread = 1

// writerCPU starts measuring the writer goroutine's CPU time: it locks the goroutine to its
// thread, so the thread's CPU time is the writer's, whatever else the process runs.
func writerCPU() func() time.Duration {
	runtime.LockOSThread()
	return threadCPU
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
