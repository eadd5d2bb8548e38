package leaktest

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// Test flags, -leakslope.max-duration and friends, so that
// `go test ./... -args -leakslope.max-duration=1h` works; they and the
// environment override options in code, because a nightly soak must not
// need a code change. A flag beats the environment. They are registered
// on the default flag set only in a test binary: a program that imports
// leaktest keeps its flag set its own (the testing package registers its
// own flags in Init for the same reason).
var (
	flagMaxDuration = new(time.Duration)
	flagArtifacts   = new(string)
	flagMinOps      = new(int64)
	flagUpdate      = new(bool)
)

func init() {
	if testing.Testing() {
		registerFlags(flag.CommandLine)
	}
}

func registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(flagMaxDuration, "leakslope.max-duration", 0, "leaktest: cap on each leak check (overrides code and LEAKSLOPE_MAX_DURATION)")
	fs.StringVar(flagArtifacts, "leakslope.artifacts", "", "leaktest: directory for profiles and reports (overrides LEAKSLOPE_ARTIFACTS)")
	fs.Int64Var(flagMinOps, "leakslope.min-ops", 0, "leaktest: ops after warm-up before any verdict (overrides LEAKSLOPE_MIN_OPS)")
	fs.BoolVar(flagUpdate, "leakslope.update", false, "leaktest: write the Baseline files instead of comparing with them (or LEAKSLOPE_UPDATE=1)")
}

const (
	EnvMaxDuration = "LEAKSLOPE_MAX_DURATION"
	EnvArtifacts   = "LEAKSLOPE_ARTIFACTS"
	EnvMinOps      = "LEAKSLOPE_MIN_OPS"
	EnvUpdate      = "LEAKSLOPE_UPDATE"
)

func (c *config) applyEnv() {
	if v := os.Getenv(EnvMaxDuration); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("%s=%q: want a positive duration such as 1h", EnvMaxDuration, v))
		} else {
			c.maxDuration = d
		}
	}
	if v := os.Getenv(EnvMinOps); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			c.errs = append(c.errs, fmt.Errorf("%s=%q: want a whole number ≥ 0", EnvMinOps, v))
		} else {
			c.minOps = n
		}
	}
	// go test -artifacts is the environment's too, but leakslope's own
	// settings below are the more specific.
	if c.testArtifacts != "" {
		c.artifacts, c.artifactsIsRoot = c.testArtifacts, false
	}
	if v := os.Getenv(EnvArtifacts); v != "" {
		c.artifacts = v
		c.artifactsIsRoot = true
	}
	if v := os.Getenv(EnvUpdate); v != "" {
		switch v {
		case "1", "true":
			c.update = true
		case "0", "false":
		default:
			c.errs = append(c.errs, fmt.Errorf("%s=%q: want 1 or 0", EnvUpdate, v))
		}
	}
	if *flagUpdate {
		c.update = true
	}
	if *flagMaxDuration > 0 {
		c.maxDuration = *flagMaxDuration
	}
	if *flagMinOps > 0 {
		c.minOps = *flagMinOps
	}
	if *flagArtifacts != "" {
		c.artifacts = *flagArtifacts
		c.artifactsIsRoot = true
	}
}
