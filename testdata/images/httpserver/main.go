// Command httpserver is a small HTTP server for sidecar's tests and demo.
//
// GET /healthz answers 200 "ok" once -ready-after has passed since start, 503 before.
// GET / answers "hello from NAME (HOSTNAME)"; with -www DIR, every path but /healthz is a file
// of DIR (GET / its index.html), read at each request. Every request is logged as one line
// on stdout (and appended to -log-file when given). SIGTERM or SIGINT: log a line and exit 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	readyAfter := flag.Duration("ready-after", 0, "answer /healthz with 503 until this long after start")
	logFile := flag.String("log-file", "", "also append each log line to this file (its directory is created)")
	name := flag.String("name", "httpserver", "name to greet with on GET /")
	www := flag.String("www", "", "serve the files of this directory (GET / is its index.html)")
	prog.Parse("httpserver [flags]", "An HTTP server: GET /healthz is 200 once ready, GET / greets.")
	os.Exit(run(*listen, *readyAfter, *logFile, *name, *www))
}

type logger struct {
	mu   sync.Mutex
	file *os.File
}

func (l *logger) printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	l.mu.Lock()
	defer l.mu.Unlock()
	os.Stdout.WriteString(line)
	if l.file != nil {
		l.file.WriteString(line)
	}
}

func run(listen string, readyAfter time.Duration, logFile, name, www string) int {
	log := &logger{}
	if logFile != "" {
		if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "httpserver:", err)
			return 1
		}
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpserver:", err)
			return 1
		}
		defer f.Close()
		log.file = f
	}
	start := time.Now()
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start) < readyAfter {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			log.printf("%s %s %d", r.Method, r.URL.Path, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
		log.printf("%s %s %d", r.Method, r.URL.Path, http.StatusOK)
	})
	files := http.FileServer(http.Dir(www))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if www != "" {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			files.ServeHTTP(rec, r)
			log.printf("%s %s %d", r.Method, r.URL.Path, rec.status)
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			log.printf("%s %s %d", r.Method, r.URL.Path, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, "hello from %s (%s)\n", name, host)
		log.printf("%s %s %d", r.Method, r.URL.Path, http.StatusOK)
	})

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		log.printf("httpserver: %v", err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := prog.StopContext()
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.printf("httpserver %s listening on %s", name, ln.Addr())

	select {
	case err := <-served:
		log.printf("httpserver: %v", err)
		return 1
	case <-ctx.Done():
	}
	log.printf("httpserver %s: signal received, shutting down", name)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.printf("httpserver: shutdown: %v", err)
	}
	return 0
}

// statusRecorder remembers the status a handler answered with, for the log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
