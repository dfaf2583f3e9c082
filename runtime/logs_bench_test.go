package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// BenchmarkLogPipeline measures lines per second through the whole capture pipeline, without
// the engine: a container's output as the engine sends it (attach: 32 KiB frames of stdout
// cut anywhere; logs endpoint: one timestamped frame per line) is parsed into lines, made
// terminal-safe and appended to a container's ring buffer, while a reader (as the plain
// printer and the TUI do) reads the buffer in batches of 1000 lines. Lines the reader missed
// because it fell behind count as not delivered.
func BenchmarkLogPipeline(b *testing.B) {
	const lines = 200000
	for _, bc := range []struct {
		name  string
		input []byte
		read  func(r *bytes.Reader, asm *assemblers) error
	}{
		{"attach", attachInput(lines, func(i int) string { return fmt.Sprintf("line %06d\n", i) }), func(r *bytes.Reader, asm *assemblers) error { return readAttachMux(r, asm, nil) }},
		{"attach-100B", attachInput(lines, func(i int) string { return fmt.Sprintf("line %06d %088d\n", i, 0) }), func(r *bytes.Reader, asm *assemblers) error { return readAttachMux(r, asm, nil) }},
		{"attach-colour", attachInput(lines, func(i int) string {
			return fmt.Sprintf("\x1b[32mINFO\x1b[0m line %06d served /api/v1/items\n", i)
		}), func(r *bytes.Reader, asm *assemblers) error { return readAttachMux(r, asm, nil) }},
		{"logs-endpoint", logsInput(lines), func(r *bytes.Reader, asm *assemblers) error { return readMuxEntries(r, asm.entry) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.input)))
			var delivered, missed uint64
			start := time.Now()
			for b.Loop() {
				hub := orchestrator.NewLogHub(orchestrator.DefaultLogLines, nil)
				buf := hub.Buffer("p", "c")
				r := hub.NewReader()
				stop := make(chan struct{})
				done := make(chan struct{})
				count := func() bool {
					evs, more := r.Read(1000)
					for _, e := range evs {
						switch e := e.(type) {
						case orchestrator.LogEvent:
							delivered++
						case orchestrator.LogsDroppedEvent:
							missed += e.Count
						}
					}
					return more
				}
				go func() {
					defer close(done)
					for {
						if count() {
							continue
						}
						select {
						case <-r.Notify():
						case <-stop:
							for count() {
							}
							return
						}
					}
				}()
				asm := newAssemblers(false, buf.Append)
				if err := bc.read(bytes.NewReader(bc.input), asm); err != nil {
					b.Fatal(err)
				}
				asm.flush()
				close(stop)
				<-done
				r.Close()
			}
			elapsed := time.Since(start).Seconds()
			total := float64(b.N) * lines
			b.ReportMetric(total/elapsed, "lines/s")
			b.ReportMetric(float64(missed)/total*100, "%missed")
			if delivered+missed != uint64(total) {
				b.Fatalf("%d lines delivered and %d missed of %.0f", delivered, missed, total)
			}
		})
	}
}

// attachInput is n lines as the attach endpoint sends them: stdout frames of up to 32 KiB.
func attachInput(n int, line func(int) string) []byte {
	var raw bytes.Buffer
	for i := 1; i <= n; i++ {
		raw.WriteString(line(i))
	}
	var out bytes.Buffer
	data := raw.Bytes()
	for len(data) > 0 {
		k := min(len(data), 32*1024)
		out.Write(muxFrame(1, data[:k]))
		data = data[k:]
	}
	return out.Bytes()
}

// logsInput is n lines as the logs endpoint sends them: one timestamped frame per line.
func logsInput(n int) []byte {
	var out bytes.Buffer
	for i := 1; i <= n; i++ {
		out.Write(muxFrame(1, []byte(fmt.Sprintf("2026-01-02T03:04:05.%09dZ line %06d\n", i, i))))
	}
	return out.Bytes()
}

func muxFrame(stream byte, payload []byte) []byte {
	hdr := make([]byte, 8, 8+len(payload))
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return append(hdr, payload...)
}
