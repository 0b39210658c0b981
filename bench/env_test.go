package bench

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tach-dev/tach/metrics"
)

// env is what every part shares: where things are, the tach binary, the
// datasets.
type env struct {
	root, cache, bin string
	machine          string
	scales           []int
	key              string // of the sources the demos depend on, as this run found them

	pg string // TACH_BENCH_DB: the PostgreSQL database the store-dependent parts use, or ""

	mu       sync.Mutex
	datasets map[int]*dataset
	copies   map[int]*pgCopy // of the datasets into pg
}

func newEnv(b *testing.B) *env {
	b.Helper()
	wd, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Dir(wd) // bench/ is at the repository's root
	e := &env{root: root, datasets: map[int]*dataset{}, copies: map[int]*pgCopy{}, pg: benchDB(b)}
	if e.pg != "" || strings.HasPrefix(os.Getenv("TACH_BENCH_WEB_DB"), "postgres://") {
		engineName = enginePostgres
	}
	e.cache = os.Getenv("TACH_BENCH_CACHE")
	if e.cache == "" {
		e.cache = filepath.Join(root, ".cache", "bench")
	}
	if err := os.MkdirAll(e.cache, 0o755); err != nil {
		b.Fatal(err)
	}
	e.scales = intList(os.Getenv("TACH_BENCH_SCALES"), []int{10000, 100000, 1000000})
	e.bin = filepath.Join(e.cache, "tach")
	gobin := os.Getenv("GO")
	if gobin == "" {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", e.bin, "./cmd/tach")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	e.machine = machine()
	e.key = e.sourcesKey()
	runInfo.cache, runInfo.machine, runInfo.scale = e.cache, e.machine, e.largest()
	return e
}

func intList(s string, def []int) []int {
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err == nil && n > 0 {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func (e *env) largest() int { return e.scales[len(e.scales)-1] }

// machine describes the hardware: CPUs, model, memory, disk.
func machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				kb, _ := strconv.Atoi(strings.Fields(l)[1])
				mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = "load " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d CPUs (%s), %s, %s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// dataset is a generated demo organisation kept in the cache.
type dataset struct {
	Key         string    `json:"key"`
	Scale       int       `json:"scale"`
	Path        string    `json:"path"`
	End         time.Time `json:"end"` // the demo's End: its last whole week ends here
	Summary     string    `json:"summary"`
	Rows        int       `json:"rows"`
	Seconds     float64   `json:"seconds"`     // the whole `tach demo`
	GenSeconds  float64   `json:"gen_seconds"` // writing the rows
	DeriveSecs  float64   `json:"derive_seconds"`
	SizeBytes   int64     `json:"size_bytes"`
	GeneratedAt time.Time `json:"generated_at"`
	PeakRSSKB   int64     `json:"peak_rss_kb"`
	Reused      bool      `json:"-"`
}

// sourcesKey hashes the sources that decide a demo's rows: the generator,
// the store, the migrations and the metrics (derived columns, rollups).
func (e *env) sourcesKey() string {
	h := sha256.New()
	for _, dir := range []string{"collectors/demo", "store", "store/migrations", "metrics", "metrics/engine", "cmd/tach"} {
		entries, _ := os.ReadDir(filepath.Join(e.root, dir))
		for _, en := range entries {
			n := en.Name()
			if en.IsDir() || strings.HasSuffix(n, "_test.go") || !(strings.HasSuffix(n, ".go") || strings.HasSuffix(n, ".sql")) {
				continue
			}
			if dir == "cmd/tach" && n != "demo.go" {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(e.root, dir, n))
			fmt.Fprintf(h, "%s/%s %d\n", dir, n, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// staleKept is the scale from which a demo made by other sources is kept
// until TACH_BENCH_STALE says what to do with it.
const staleKept = 1000000

var wroteLine = regexp.MustCompile(`Generated (\d+) rows in (\S+) \(\d+ rows/s\), derived in (\S+)\.`)
var summaryLine = regexp.MustCompile(`Wrote .* in (\S+) \(\d+ rows/s\): (.*)\.`)

// dataset returns the demo of a scale, from the cache or generated now
// with `tach demo --scale N --no-serve`.
func (e *env) dataset(b *testing.B, scale int) *dataset {
	b.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if d := e.datasets[scale]; d != nil {
		return d
	}
	key := e.key
	path := filepath.Join(e.cache, fmt.Sprintf("demo-%d-%s.db", scale, key))
	side := path + ".json"
	var d dataset
	if body, err := os.ReadFile(side); err == nil && json.Unmarshal(body, &d) == nil && d.Key == key {
		if _, err := os.Stat(path); err == nil {
			d.Reused = true
			e.datasets[scale] = &d
			return &d
		}
	}
	// Other versions of this scale only take disk space — but a large one
	// took an hour or more to make, and a change to the sources it is
	// keyed by need not touch its rows: it is replaced only when asked
	// (TACH_BENCH_STALE=replace), or measured as it is (=use).
	old, _ := filepath.Glob(filepath.Join(e.cache, fmt.Sprintf("demo-%d-*.db", scale)))
	if len(old) > 0 && scale >= staleKept {
		switch os.Getenv("TACH_BENCH_STALE") {
		case "use":
			var od dataset
			if body, err := os.ReadFile(old[0] + ".json"); err == nil && json.Unmarshal(body, &od) == nil {
				b.Logf("measuring on %s, made by other sources (key %s; now %s): TACH_BENCH_STALE=use", old[0], od.Key, key)
				od.Reused = true
				e.datasets[scale] = &od
				return &od
			}
		case "replace":
		default:
			b.Fatalf("the demo at scale %d in %s was made by other sources (now %s): set TACH_BENCH_STALE=use to measure on it anyway, or TACH_BENCH_STALE=replace to make it anew (at this scale, an hour or more)", scale, old[0], key)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(e.cache, fmt.Sprintf("demo-%d-*", scale)))
	for _, f := range stale {
		os.Remove(f)
	}
	b.Logf("generating the demo at scale %d (kept in %s)", scale, path)
	end := metrics.WeekStart(time.Now(), time.UTC)
	start := time.Now()
	out, _, _, peak := run(b, e.bin, "demo", "--scale", strconv.Itoa(scale), "--db", path, "--no-serve")
	d = dataset{Key: key, Scale: scale, Path: path, End: end, Seconds: time.Since(start).Seconds(), GeneratedAt: time.Now().UTC(), PeakRSSKB: peak}
	if m := wroteLine.FindSubmatch(out); m != nil {
		d.Rows, _ = strconv.Atoi(string(m[1]))
		g, _ := time.ParseDuration(string(m[2]))
		dv, _ := time.ParseDuration(string(m[3]))
		d.GenSeconds, d.DeriveSecs = g.Seconds(), dv.Seconds()
	}
	if m := summaryLine.FindSubmatch(out); m != nil {
		d.Summary = string(m[2])
	}
	if st, err := os.Stat(path); err == nil {
		d.SizeBytes = st.Size()
	}
	body, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(side, body, 0o644); err != nil {
		b.Fatal(err)
	}
	e.datasets[scale] = &d
	return &d
}
