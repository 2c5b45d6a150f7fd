package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder replaced by load.go.
func runLoad(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("not built yet")
}
