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
//	smoke resolve NAME          prints the addresses NAME resolves to (the pod's resolver)
//	smoke get URL [N]           N (default 1) GETs, each on a new connection: one line each,
//	                            the status and the body (at most 300 bytes); fails on an
//	                            error below HTTP
//	smoke serve ADDR TEXT       an HTTP server on ADDR answering TEXT to every request
//	smoke mlflow URI EXPERIMENT logs a run with a model file to MLflow at URI through its REST
//	                            API and artifact proxy (what a client's log_model sends):
//	                            prints the run id
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	case "resolve":
		if len(args) != 1 {
			fail("usage: smoke resolve NAME")
		}
		addrs, err := net.LookupHost(args[0])
		if err != nil {
			fail("%v", err)
		}
		fmt.Printf("%s: %s\n", args[0], strings.Join(addrs, " "))
	case "get":
		n := 1
		if len(args) == 2 {
			if _, err := fmt.Sscan(args[1], &n); err != nil {
				fail("N: %v", err)
			}
		} else if len(args) != 1 {
			fail("usage: smoke get URL [N]")
		}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for i := 0; i < n; i++ {
			status, body := request(client, "GET", args[0], nil)
			fmt.Printf("%d %s\n", status, body)
		}
	case "serve":
		if len(args) != 2 {
			fail("usage: smoke serve ADDR TEXT")
		}
		fail("%v", http.ListenAndServe(args[0], http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, args[1])
		})))
	case "mlflow":
		if len(args) != 2 {
			fail("usage: smoke mlflow URI EXPERIMENT")
		}
		fmt.Println(mlflowLog(args[0], args[1]))
	default:
		fail("unknown command %q", os.Args[1])
	}
}

// request sends one request and returns the status and the body (at most 300 bytes, one
// line); an error below HTTP fails.
func request(client *http.Client, method, url string, body []byte) (int, string) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		fail("%v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		fail("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return resp.StatusCode, strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", " ")
}

// call sends a JSON request to MLflow and decodes the JSON answer; any status but 200 fails.
func call(client *http.Client, method, url string, in any, out any) {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		fail("%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		fail("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		fail("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			fail("%s %s: %v in %s", method, url, err, b)
		}
	}
}

// mlflowLog creates EXPERIMENT, a run in it, uploads model/MLmodel through the server's
// artifact proxy to the run's artifact location, and finishes the run: the requests an
// MLflow client's log_model makes. Returns the run id.
func mlflowLog(uri, experiment string) string {
	client := &http.Client{Timeout: 30 * time.Second}
	api := strings.TrimRight(uri, "/") + "/api/2.0/mlflow"
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	call(client, "POST", api+"/experiments/create", map[string]string{"name": experiment}, &exp)
	var run struct {
		Run struct {
			Info struct {
				RunID       string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	call(client, "POST", api+"/runs/create", map[string]any{"experiment_id": exp.ExperimentID, "start_time": time.Now().UnixMilli()}, &run)
	info := run.Run.Info
	const scheme = "mlflow-artifacts:/"
	if !strings.HasPrefix(info.ArtifactURI, scheme) {
		fail("run %s: artifact location %q is not the server's artifact proxy", info.RunID, info.ArtifactURI)
	}
	path := strings.TrimPrefix(info.ArtifactURI, scheme)
	model := []byte("artifact_path: model\nflavors: {}\nrun_id: " + info.RunID + "\n")
	req, err := http.NewRequest("PUT", strings.TrimRight(uri, "/")+"/api/2.0/mlflow-artifacts/artifacts/"+strings.TrimLeft(path, "/")+"/model/MLmodel", bytes.NewReader(model))
	if err != nil {
		fail("%v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		fail("artifact upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail("artifact upload: %d %s", resp.StatusCode, b)
	}
	call(client, "POST", api+"/runs/update", map[string]any{"run_id": info.RunID, "status": "FINISHED", "end_time": time.Now().UnixMilli()}, nil)
	return info.RunID
}
