//go:build !unix

package loadgen

import "time"

// selfCPU is unknown on this platform.
func selfCPU() time.Duration { return 0 }
