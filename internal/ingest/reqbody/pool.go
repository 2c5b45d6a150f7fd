package reqbody

import (
	"math/bits"
	"sync"
)

// Buffers up to maxPooled bytes are kept for reuse in power-of-two size classes from minPooled;
// larger, rarer ones are allocated to size and left to the garbage collector, so that one huge
// request does not pin memory forever.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 23 // 8 MiB
	maxPooled      = 1 << maxPooledShift
)

// bufPool reuses body buffers by size class. pdata and the Application Insights decoder copy
// what they keep, so a buffer is free again as soon as its body has been decoded.
type bufPool struct {
	classes [maxPooledShift - minPooledShift + 1]sync.Pool // *[]byte
}

// capFor is the capacity of the buffer get returns for n bytes: n rounded up to its size
// class, or n itself beyond the largest class.
func (p *bufPool) capFor(n int) int {
	if n > maxPooled {
		return n
	}
	if n <= 1<<minPooledShift {
		return 1 << minPooledShift
	}
	return 1 << bits.Len(uint(n-1))
}

// class returns the pool of buffers of capacity c, or nil when c is not a class size.
func (p *bufPool) class(c int) *sync.Pool {
	if c < 1<<minPooledShift || c > maxPooled || c&(c-1) != 0 {
		return nil
	}
	return &p.classes[bits.Len(uint(c))-1-minPooledShift]
}

// get returns an empty buffer of capacity c, which capFor returned.
func (p *bufPool) get(c int) []byte {
	if pool := p.class(c); pool != nil {
		if b, ok := pool.Get().(*[]byte); ok {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, c)
}

// put keeps a buffer for reuse when its capacity is a class size.
func (p *bufPool) put(b []byte) {
	if pool := p.class(cap(b)); pool != nil {
		b = b[:0]
		pool.Put(&b)
	}
}
