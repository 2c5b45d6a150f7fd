// Command cairn is open-source tracing and monitoring for generative-AI applications: an OTLP and
// Application Insights receiver, an embedded store, a JSON API and a web UI in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of cairn.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order --help shows them.
func commands() []command {
	return []command{
		{"serve", "run the server: receivers, store, API and UI", runServe},
		{"demo", "send the Trail Guide demo app's traces to a running server", runDemo},
		{"traces", "search traces on a running server", runTraces},
		{"trace", "print one trace as a tree, with its model calls", runTrace},
		{"load", "generate GenAI-shaped load and measure ingest and query speed", runLoad},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "cairn %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "cairn: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// errUsage means the flags were wrong; the flag package has already said why.
var errUsage = errors.New("usage error")

// usage prints the top-level help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Cairn: tracing and monitoring for generative-AI applications.\n\nUsage: cairn <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'cairn <command> --help' for the flags of a command.\n"+
		"Quick start: 'cairn serve' in one terminal, 'cairn demo' in another, then open http://127.0.0.1:4318/\n")
}

// runVersion prints the version.
func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "cairn %s\n", version)
	return nil
}
