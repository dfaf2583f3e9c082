//go:build !unix

package runtime

import (
	"net"
	"os"
)

// unpolled leaves conn in the network poller where sockets cannot be moved out of it.
func unpolled(net.Conn) (*os.File, bool) { return nil, false }

func closeUnpolled(f *os.File) { f.Close() }
