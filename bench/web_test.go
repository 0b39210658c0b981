package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clients is how many clients load the server at once.
const clients = 20

// benchWeb serves the largest demo with `tach serve` and loads the
// overview, then a measure page, with 20 clients at once, each sending its
// next request as soon as the last is answered. The server's own time per
// request comes from its request log; the clients' time includes the
// loopback HTTP. The server's peak memory is its VmHWM.
//
// TACH_BENCH_WEB_DB serves a database already made instead (a file, or a
// postgres:// URL with its search_path), with TACH_BENCH_WEB_END its
// demo's end (YYYY-MM-DD): the organisation of ten million changes lives
// on in its PostgreSQL copy after its SQLite file is gone.
func benchWeb(b *testing.B, e *env) {
	seconds := 20
	if s, err := strconv.Atoi(os.Getenv("TACH_BENCH_LOAD")); err == nil && s > 0 {
		seconds = s
	}
	db, end := os.Getenv("TACH_BENCH_WEB_DB"), time.Time{}
	if db == "" {
		d := e.dataset(b, e.largest())
		db, end = e.storeDB(b, d), d.End
	} else {
		var err error
		if end, err = time.Parse(time.DateOnly, os.Getenv("TACH_BENCH_WEB_END")); err != nil {
			b.Fatalf("TACH_BENCH_WEB_DB needs TACH_BENCH_WEB_END=YYYY-MM-DD, its demo's end: %v", err)
		}
	}
	port := freePort(b)
	cmd := exec.Command(e.bin, "serve", "--db", db, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	logs := newRequestLog(stderr)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitUp(b, base+"/healthz")

	window := fmt.Sprintf("from=%s&to=%s", end.AddDate(0, 0, -84).Format(time.DateOnly), end.Format(time.DateOnly))
	pages := []struct{ name, path string }{
		{"overview", "/?" + window},
		{"measure page (lead time)", "/measures/lead-time?" + window},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}, Timeout: 2 * time.Minute}
	for _, p := range pages {
		// The first request computes the page's reports (nothing is
		// cached yet); the others find them computed.
		logs.reset()
		cold := get(b, client, base+p.path)
		coldServer := logs.wait(b, 1)[0]
		logs.reset()
		var mu sync.Mutex
		var clientTimes []time.Duration
		deadline := time.Now().Add(time.Duration(seconds) * time.Second)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					t := get(b, client, base+p.path)
					mu.Lock()
					clientTimes = append(clientTimes, t)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		server := logs.wait(b, len(clientTimes))
		slices.Sort(server)
		slices.Sort(clientTimes)
		q := func(xs []time.Duration, p float64) time.Duration { return xs[min(len(xs)-1, int(p*float64(len(xs))))] }
		med, p99 := q(server, 0.5), q(server, 0.99)
		recordNum("web", p.name+": median server time, 20 clients", ms(med.Seconds()), "≤ 100 ms", verdict(med <= 100*time.Millisecond),
			fmt.Sprintf("%d requests in %d s (%.0f/s); clients saw median %s, p99 %s", len(server), seconds, float64(len(server))/float64(seconds),
				ms(q(clientTimes, 0.5).Seconds()), ms(q(clientTimes, 0.99).Seconds())), med.Seconds(), false)
		recordNum("web", p.name+": p99 server time, 20 clients", ms(p99.Seconds()), "≤ 300 ms", verdict(p99 <= 300*time.Millisecond),
			fmt.Sprintf("first request (computes the page): %s server, %s client", ms(coldServer.Seconds()), ms(cold.Seconds())), p99.Seconds(), false)
		recordNum("web", p.name+": requests/s, 20 clients", fmt.Sprintf("%.0f/s", float64(len(server))/float64(seconds)), "", "", "", float64(len(server))/float64(seconds), true)
		recordNum("web", p.name+": first request (computes the page), server time", ms(coldServer.Seconds()), "", "", "", coldServer.Seconds(), false)
	}
	hwm := vmHWM(cmd.Process.Pid)
	note := "VmHWM of the server process"
	if e.pg != "" {
		note += " (PostgreSQL's own processes not counted)"
	}
	recordNum("web", "tach serve peak memory under that load", fmt.Sprintf("%.0f MB", float64(hwm)/1024), "≤ 300 MB", verdict(hwm <= 300*1024),
		note, float64(hwm)/1024, false)
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitUp(b *testing.B, url string) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("%s did not answer", url)
}

func get(b *testing.B, c *http.Client, url string) time.Duration {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
	return time.Since(start)
}

// vmHWM is a process's peak resident set size in KB.
func vmHWM(pid int) int64 { return procStatusKB(pid, "VmHWM") }

// requestLog collects the durations tach serve logs for page requests.
type requestLog struct {
	mu    sync.Mutex
	times []time.Duration
}

var durationField = regexp.MustCompile(`msg=request .*path=(\S+).* status=200 .*duration=(\S+)`)

func newRequestLog(r io.Reader) *requestLog {
	l := &requestLog{}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			m := durationField.FindStringSubmatch(sc.Text())
			if m == nil || strings.HasPrefix(m[1], "/healthz") || strings.HasPrefix(m[1], "/static") {
				continue
			}
			d, err := time.ParseDuration(m[2])
			if err != nil {
				continue
			}
			l.mu.Lock()
			l.times = append(l.times, d)
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.times = nil
	l.mu.Unlock()
}

// wait returns the durations logged once there are n of them.
func (l *requestLog) wait(b *testing.B, n int) []time.Duration {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		if len(l.times) >= n {
			out := slices.Clone(l.times)
			l.mu.Unlock()
			return out
		}
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("the server logged fewer than %d requests", n)
	return nil
}
