//go:build !linux

package pipeline

import "time"

// writerCPU reports no CPU time where threads cannot be measured.
func writerCPU() func() time.Duration { return func() time.Duration { return 0 } }
