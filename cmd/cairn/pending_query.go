package main

import (
	"context"
	"errors"
	"io"
)

// Placeholders replaced by query.go.
func runTraces(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("not built yet")
}
func runTrace(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("not built yet")
}
