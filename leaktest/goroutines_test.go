package leaktest

import "testing"

func TestCreatedByParsesOldAndNewFormats(t *testing.T) {
	for block, want := range map[string][2]string{
		"goroutine 7 [chan receive]:\nmain.f()\n\t/a/b.go:3 +0x1\ncreated by main.main in goroutine 1\n\t/a/b.go:9 +0x2": {"main.main", "/a/b.go:9"},
		"goroutine 7 [chan receive]:\nmain.f()\n\t/a/b.go:3 +0x1\ncreated by main.main\n\t/a/b.go:9 +0x2":                {"main.main", "/a/b.go:9"},
	} {
		fn, loc, ok := createdBy([]byte(block))
		if !ok || string(fn) != want[0] || string(loc) != want[1] {
			t.Errorf("createdBy = %q %q %v, want %v", fn, loc, ok, want)
		}
	}
	if _, _, ok := createdBy([]byte("goroutine 1 [running]:\nmain.main()\n\t/a/b.go:3 +0x1")); ok {
		t.Error("the main goroutine has no creator")
	}
}
