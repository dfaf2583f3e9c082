// Command proxy forwards TCP connections from -listen to -upstream over the pod's localhost,
// logging each connection. Its admin port answers GET /ready with 200 once it listens.
// SIGTERM or SIGINT: log a line and exit 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
)

func main() {
	listen := flag.String("listen", ":15001", "address to accept connections on")
	upstream := flag.String("upstream", "127.0.0.1:8080", "address to forward connections to")
	admin := flag.String("admin", ":9901", "admin HTTP address (GET /ready)")
	prog.Parse("proxy [flags]", "A TCP proxy with an admin /ready endpoint.")
	os.Exit(run(*listen, *upstream, *admin))
}

func run(listen, upstream, admin string) int {
	ctx, stop := prog.StopContext()
	defer stop()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Println("proxy:", err)
		return 1
	}
	adminLn, err := net.Listen("tcp", admin)
	if err != nil {
		fmt.Println("proxy:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ready")
	})
	adminSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go adminSrv.Serve(adminLn)
	fmt.Printf("proxy listening on %s, forwarding to %s, admin on %s\n", ln.Addr(), upstream, adminLn.Addr())

	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var n int
	for {
		conn, err := ln.Accept()
		if err != nil {
			break
		}
		n++
		wg.Add(1)
		go func(id int, c net.Conn) {
			defer wg.Done()
			forward(ctx, id, c, upstream)
		}(n, conn)
	}
	fmt.Println("proxy: signal received, shutting down")
	adminSrv.Close()
	wg.Wait()
	return 0
}

func forward(ctx context.Context, id int, c net.Conn, upstream string) {
	defer c.Close()
	fmt.Printf("proxy: connection %d from %s\n", id, c.RemoteAddr())
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", upstream)
	if err != nil {
		fmt.Printf("proxy: connection %d: upstream %s: %v\n", id, upstream, err)
		return
	}
	defer up.Close()
	stop := context.AfterFunc(ctx, func() { c.Close(); up.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
	fmt.Printf("proxy: connection %d closed\n", id)
}
