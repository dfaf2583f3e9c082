//go:build unix

package runtime

import (
	"net"
	"os"
	"syscall"
)

// unpolled moves conn's socket out of Go's network poller: it returns a file of the same
// socket in blocking mode, read by plain read calls, and closes conn (which takes its
// descriptor out of the poller). ok is false, and conn is left as it is, when conn is not a
// socket of its own (TLS, SSH) or the move failed.
//
// Why: the poller is woken by every write that reaches a socket it watches, whether a
// goroutine waits on it or not. A reader that waits between reads (see pacer) to take many
// small writes at once saves its own wake-ups, but not the poller's: with 4 containers at
// 5 000 lines/s the process's poller thread was woken some 7 000 times a second by data
// nobody was waiting for. A socket out of the poller wakes nobody until the reader reads.
func unpolled(conn net.Conn) (*os.File, bool) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	nfd := -1
	if cerr := rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
		if nfd, err = syscall.Dup(int(fd)); err == nil {
			syscall.CloseOnExec(nfd)
		}
	}); cerr != nil || err != nil {
		return nil, false
	}
	// The mode belongs to the socket, shared by both descriptors: conn is not read again.
	if err := syscall.SetNonblock(nfd, false); err != nil {
		syscall.Close(nfd)
		return nil, false
	}
	conn.Close()
	return os.NewFile(uintptr(nfd), "attach"), true
}

// closeUnpolled ends a read blocked in f (a socket in blocking mode, which closing alone
// does not wake) and closes f; the descriptor is released once such a read has returned.
func closeUnpolled(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	}
	f.Close()
}
