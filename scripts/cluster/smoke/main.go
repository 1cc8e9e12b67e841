// Command smoke is the one program of the embedded cluster's smoke image: a pod, a Job and
// the steps of an Argo Workflow run it (tests/cluster.test.ts). Standard library only and
// static, so the image is this file FROM scratch.
//
//	smoke echo TEXT...          prints TEXT
//	smoke write PATH TEXT ...   writes each TEXT to its PATH (parents created)
//	smoke expect PATH TEXT ...  fails unless each file at PATH holds exactly TEXT
//	smoke equal A B             fails unless A and B are the same string
//	smoke dial ADDR open|unreachable
//	                            connects to ADDR (host:port) over TCP; fails unless the
//	                            connection opens, or unless the pod has no route to ADDR
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "smoke: "+format+"\n", args...)
	os.Exit(1)
}

func pairs(args []string) [][2]string {
	if len(args) == 0 || len(args)%2 != 0 {
		fail("want PATH TEXT pairs, got %q", args)
	}
	var out [][2]string
	for i := 0; i < len(args); i += 2 {
		out = append(out, [2]string{args[i], args[i+1]})
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: smoke echo|write|expect|equal ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "echo":
		fmt.Println(strings.Join(args, " "))
	case "write":
		for _, p := range pairs(args) {
			if err := os.MkdirAll(filepath.Dir(p[0]), 0o755); err != nil {
				fail("%v", err)
			}
			if err := os.WriteFile(p[0], []byte(p[1]), 0o644); err != nil {
				fail("%v", err)
			}
			fmt.Printf("wrote %s\n", p[0])
		}
	case "expect":
		for _, p := range pairs(args) {
			got, err := os.ReadFile(p[0])
			if err != nil {
				fail("%v", err)
			}
			if string(got) != p[1] {
				fail("%s holds %q, want %q", p[0], got, p[1])
			}
			fmt.Printf("%s holds %q\n", p[0], got)
		}
	case "equal":
		if len(args) != 2 || args[0] != args[1] {
			fail("not equal: %q", args)
		}
		fmt.Printf("equal: %q\n", args[0])
	case "dial":
		if len(args) != 2 {
			fail("usage: smoke dial ADDR open|unreachable")
		}
		conn, err := net.DialTimeout("tcp", args[0], 5*time.Second)
		switch {
		case err == nil:
			conn.Close()
			if args[1] != "open" {
				fail("%s: connected, want %s", args[0], args[1])
			}
			fmt.Printf("%s: open\n", args[0])
		case errors.Is(err, syscall.ENETUNREACH):
			if args[1] != "unreachable" {
				fail("%s: %v, want %s", args[0], err, args[1])
			}
			fmt.Printf("%s: unreachable (no route)\n", args[0])
		default:
			fail("%s: %v, want %s", args[0], err, args[1])
		}
	default:
		fail("unknown command %q", os.Args[1])
	}
}
