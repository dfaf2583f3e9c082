package runtime

import (
	"testing"
	"time"
)

// Await returns the error that ch delivers, and fails the test with failure if none comes
// within 30 seconds. (For the tests of package runtime_test too.)
func Await(t testing.TB, ch <-chan error, failure string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal(failure)
		return nil
	}
}
