//go:build !unix

package loadgen

import "time"

// ProcessCPU is unknown on this platform.
func ProcessCPU() time.Duration { return 0 }
