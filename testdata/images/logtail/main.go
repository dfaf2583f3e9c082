// Command logtail follows a file and prints each new line with a prefix: a log-shipper
// sidecar reading a volume shared with the main container. It waits for the file to appear
// and survives truncation and replacement. SIGTERM or SIGINT: log a line and exit 0.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
)

func main() {
	path := flag.String("path", "", "file to follow (required)")
	prefix := flag.String("prefix", "shipped: ", "text printed before each line")
	prog.Parse("logtail -path FILE [flags]", "Follows FILE and prints each new line with a prefix.")
	if *path == "" {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(*path, *prefix))
}

const poll = 100 * time.Millisecond

func run(path, prefix string) int {
	sigs := prog.Signals()
	tick := time.NewTicker(poll)
	defer tick.Stop()

	fmt.Printf("logtail: following %s\n", path)
	var (
		f       *os.File
		info    os.FileInfo
		offset  int64
		partial []byte
		buf     = make([]byte, 64*1024)
		waiting bool
	)
	for {
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				if !waiting {
					fmt.Printf("logtail: waiting for %s\n", path)
					waiting = true
				}
			} else {
				info, _ = f.Stat()
				offset, partial, waiting = 0, nil, false
			}
		}
		if f != nil {
			// Replaced (another inode at the path) or truncated: start again from the top.
			if cur, err := os.Stat(path); err == nil && info != nil && !os.SameFile(cur, info) {
				f.Close()
				f = nil
				continue
			} else if err == nil && cur.Size() < offset {
				fmt.Printf("logtail: %s was truncated\n", path)
				offset, partial = 0, nil
			}
			for {
				n, err := f.ReadAt(buf, offset)
				offset += int64(n)
				partial = append(partial, buf[:n]...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					os.Stdout.Write(append([]byte(prefix), partial[:i+1]...))
					partial = partial[i+1:]
				}
				if err == io.EOF || n == 0 || err != nil {
					break
				}
			}
		}
		select {
		case <-tick.C:
		case <-sigs:
			fmt.Println("logtail: signal received, exiting")
			return 0
		}
	}
}
