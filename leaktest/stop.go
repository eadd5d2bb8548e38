package leaktest

// StopReason is why a run ended. JSON and the report's text show its
// string.
type StopReason string

const (
	StopDecided     StopReason = "decided"      // every symbol decided
	StopLeak        StopReason = "leak"         // a leak was proven (UntilAllDecided goes on)
	StopMaxDuration StopReason = "max duration" // the cap; undecided symbols pass
	StopCanceled    StopReason = "canceled"     // the caller's context ended
	StopPanic       StopReason = "panic"        // an op panicked
	StopStuck       StopReason = "stuck"        // ops ignored their context past the grace
	StopError       StopReason = "error"        // a probe or the target failed the run
	StopAnalyzed    StopReason = "analyzed"     // Analyze: the dumps were all there was
	// The target broke: decided on the data up to the break.
	StopStalled   StopReason = "stalled"   // no op completed for a while
	StopFailing   StopReason = "failing"   // ops started failing after working
	StopExhausted StopReason = "exhausted" // a resource reached its limit
)
