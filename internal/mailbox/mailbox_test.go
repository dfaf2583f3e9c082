package mailbox

import (
	"slices"
	"testing"
)

func TestPutNeverBlocksAndTakeKeepsOrder(t *testing.T) {
	b := New[int]()
	for i := range 3 {
		b.Put(i)
	}
	select {
	case <-b.Ready():
	default:
		t.Fatal("Ready has no value after Put")
	}
	if got := b.Take(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("Take = %v, want [0 1 2]", got)
	}
	if got := b.Take(); got != nil {
		t.Fatalf("second Take = %v, want nothing", got)
	}
}
