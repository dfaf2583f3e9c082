// Command peek shows a container what it is: files (-cat, filtered with -grep), its
// environment (-env), its user and directory (-self), its hostname (-hostname), what names
// resolve to (-resolve); or appends one line to a file and exits (-append, for lifecycle hooks
// in an image with no shell); or GETs a URL and exits 0 on a 2xx or 3xx answer, 1 otherwise
// (-get, a HEALTHCHECK without curl). With -forever it then waits for SIGTERM or SIGINT and
// exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var cat, resolve list
	flag.Var(&cat, "cat", "print this file (repeatable)")
	grep := flag.String("grep", "", "print only the lines of -cat files that contain this text")
	env := flag.Bool("env", false, "print the environment, sorted")
	hostname := flag.Bool("hostname", false, "print the hostname")
	self := flag.Bool("self", false, "print its uid, gid and working directory")
	flag.Var(&resolve, "resolve", "print the addresses this name resolves to (repeatable)")
	appendTo := flag.String("append", "", "append -line to this file and exit")
	line := flag.String("line", "", "the line -append writes")
	get := flag.String("get", "", "GET this URL and exit 0 on a 2xx or 3xx answer, else 1")
	forever := flag.Bool("forever", false, "then wait for SIGTERM or SIGINT")
	prog.Parse("peek [flags]", "Shows the container's files, environment, hostname and name resolution.")
	sigs := prog.Signals()

	if *get != "" {
		c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(*get)
		if err != nil {
			fmt.Println("peek:", err)
			os.Exit(1)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
		if resp.StatusCode < 200 || resp.StatusCode > 399 {
			os.Exit(1)
		}
		return
	}
	if *appendTo != "" {
		f, err := os.OpenFile(*appendTo, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o666)
		if err == nil {
			_, err = fmt.Fprintln(f, *line)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Println("peek:", err)
			os.Exit(1)
		}
		return
	}
	code := 0
	for _, path := range cat {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Println("peek:", err)
			code = 1
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if strings.Contains(l, *grep) {
				fmt.Println(l)
			}
		}
	}
	if *env {
		vars := os.Environ()
		sort.Strings(vars)
		for _, v := range vars {
			fmt.Println(v)
		}
	}
	if *self {
		wd, err := os.Getwd()
		if err != nil {
			fmt.Println("peek:", err)
			code = 1
		}
		fmt.Printf("uid=%d gid=%d cwd=%s\n", os.Getuid(), os.Getgid(), wd)
	}
	if *hostname {
		h, err := os.Hostname()
		if err != nil {
			fmt.Println("peek:", err)
			code = 1
		}
		fmt.Println(h)
	}
	for _, name := range resolve {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		addrs, err := net.DefaultResolver.LookupHost(ctx, name)
		cancel()
		if err != nil {
			fmt.Printf("%s: %v\n", name, err)
			code = 1
			continue
		}
		sort.Strings(addrs)
		fmt.Println(name, strings.Join(addrs, " "))
	}
	if *forever {
		s := <-sigs
		fmt.Printf("peek: %v received, exiting\n", s)
		return
	}
	os.Exit(code)
}
