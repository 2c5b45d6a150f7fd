package sqlite

import (
	"context"
	"testing"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/store/storetest"
)

// openTest opens a store in a fresh temporary directory, closed when the test ends.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

// TestConformanceTextProbe runs the suite with every text search taking the probing path
// (the one common words take).
func TestConformanceTextProbe(t *testing.T) {
	defer func(v int) { ftsMaterializeMax = v }(ftsMaterializeMax)
	ftsMaterializeMax = 0
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}
