package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// newFlagSet returns a FlagSet whose --help prints summary, then every flag with the
// environment variable that also sets it.
func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cairn "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cairn %s [flags]\n\n%s\n\nFlags (a variable shown in brackets sets the flag too):\n", name, summary)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			env := ""
			if takesEnv(fs.Name(), f.Name) {
				env = "  [" + envName(f.Name) + "]"
			}
			fmt.Fprintf(stderr, "  --%s%s\n      %s%s\n", f.Name, env, f.Usage, def)
		})
	}
	return fs
}

// takesEnv reports whether an environment variable may set a flag. Query commands take only
// the server and token from the environment: a stray CAIRN_USER or CAIRN_LIMIT in a shell must
// not silently filter a search.
func takesEnv(command, flagName string) bool {
	switch command {
	case "cairn traces", "cairn trace":
		return flagName == "server" || flagName == "api-token"
	}
	return true
}

// envName is the environment variable of a flag: CAIRN_ and the name in upper snake case.
func envName(flagName string) string {
	return "CAIRN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, then fills every flag not given on the command line from its
// environment variable. A bad value in either place is an error naming it.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return applyEnv(fs)
}

// applyEnv sets flags not given on the command line from CAIRN_* variables.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || !takesEnv(fs.Name(), f.Name) {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}
