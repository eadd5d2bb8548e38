package leaktest

import "runtime"

var mainSetRate bool

// Main sets MemProfileRate to 1 before the tests run and then runs them:
//
//	func TestMain(m *testing.M) { leaktest.Main(m) }
//
// Without it Run sets the rate itself at its start, which is enough for
// trends (what was allocated before is constant); with it the first and
// last heap profiles also account exactly for what package initialization
// allocated. The line it stands for is `runtime.MemProfileRate = 1` as
// the first statement of TestMain.
func Main(m interface{ Run() int }) {
	profileRate.Lock()
	runtime.MemProfileRate = 1
	mainSetRate = true
	profileRate.Unlock()
	code := m.Run()
	exit(code)
}
