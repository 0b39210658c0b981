// Package deploy holds tach's deploy files (Dockerfile, compose.yaml, a
// systemd unit) and the tests that check them where Docker is not at hand:
// the Dockerfile's build command is run as it is written and its binary
// must be static; the compose file must wire tach to its PostgreSQL as
// docs/deploy.md says; the unit must be hardened and pass systemd-analyze.
package deploy

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tach-dev/tach/cmd/tach/config"
	"github.com/tach-dev/tach/store"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	op, args string
	stage    int // index of the FROM it follows
}

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	stage := -1
	line := ""
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if line == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(l, `\`); ok {
			line += rest + " "
			continue
		}
		line += l
		op, args, _ := strings.Cut(line, " ")
		op = strings.ToUpper(op)
		if op == "FROM" {
			stage++
		}
		out = append(out, instruction{op, strings.TrimSpace(args), stage})
		line = ""
	}
	return out
}

func find(ins []instruction, op string, stage int) []instruction {
	var out []instruction
	for _, i := range ins {
		if i.op == op && (stage < 0 || i.stage == stage) {
			out = append(out, i)
		}
	}
	return out
}

// The image: a build stage that fetches ECharts (as make build does) and
// then builds without cgo, a distroless final stage with only the binary,
// run as a non-root user, health-checked by tach itself (no shell there).
func TestDockerfileShape(t *testing.T) {
	ins := dockerfile(t)
	froms := find(ins, "FROM", -1)
	if len(froms) != 2 || !strings.HasPrefix(froms[0].args, "golang:1.26") {
		t.Fatalf("stages: %v; want a golang:1.26 build stage and a final one", froms)
	}
	final := froms[1].args
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final image %q: want distroless/static or scratch", final)
	}
	if v, _ := goVersion(t); !strings.HasPrefix(froms[0].args, "golang:"+v) {
		t.Errorf("build image %q does not match go.mod's go %s", froms[0].args, v)
	}

	runs := find(ins, "RUN", 0)
	fetch, build := -1, -1
	for i, r := range runs {
		if strings.Contains(r.args, "web/tools/fetch-echarts.sh") {
			fetch = i
		}
		if strings.Contains(r.args, "go build") {
			build = i
		}
	}
	if fetch < 0 || build < 0 || fetch > build {
		t.Errorf("RUN order: fetch-echarts.sh at %d, go build at %d; ECharts must be in web/static/vendor before go build embeds it", fetch, build)
	}
	if st, err := os.Stat("../web/tools/fetch-echarts.sh"); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("web/tools/fetch-echarts.sh is not an executable file: %v", err)
	}
	if len(find(ins, "RUN", 1)) != 0 {
		t.Errorf("the final stage runs commands: it has no shell")
	}

	users := find(ins, "USER", 1)
	if len(users) != 1 {
		t.Fatalf("final stage USER: %v; want one", users)
	}
	if u, _, _ := strings.Cut(users[0].args, ":"); u == "0" || u == "root" || u == "" {
		t.Errorf("USER %q: want a non-root user", users[0].args)
	}
	entry := find(ins, "ENTRYPOINT", 1)
	if len(entry) != 1 || entry[0].args != `["/usr/local/bin/tach"]` {
		t.Errorf("ENTRYPOINT %v; want the exec form of /usr/local/bin/tach", entry)
	}
	copied := false
	for _, c := range find(ins, "COPY", 1) {
		copied = copied || strings.HasSuffix(c.args, "/out/tach /usr/local/bin/tach")
	}
	if !copied {
		t.Errorf("the final stage does not copy the built /out/tach to /usr/local/bin/tach")
	}
	health := find(ins, "HEALTHCHECK", 1)
	if len(health) != 1 || !strings.Contains(health[0].args, `CMD ["/usr/local/bin/tach", "health"`) {
		t.Errorf("HEALTHCHECK %v; want the exec form of tach health (no shell in the image)", health)
	}
}

func goVersion(t *testing.T) (string, error) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1]), nil
}

// The Dockerfile's go build line, run here as written (the repository as
// its context): it must build, and the binary must be static — no
// interpreter, no shared library — to run on distroless/static.
func TestDockerfileBuildIsStatic(t *testing.T) {
	// A whole static build of tach (minutes on a cold cache): outside the
	// default suite, run by make deploy-check (and so by CI).
	if os.Getenv("TACH_DEPLOY_BUILD") == "" {
		t.Skip("builds tach statically: run it with make deploy-check (TACH_DEPLOY_BUILD=1)")
	}
	var build string
	for _, r := range find(dockerfile(t), "RUN", 0) {
		if strings.Contains(r.args, "go build") {
			build = r.args
		}
	}
	if !strings.HasPrefix(build, "CGO_ENABLED=0 go build ") || !strings.Contains(build, "-o /out/tach ./cmd/tach") {
		t.Fatalf("build command %q: want CGO_ENABLED=0 go build … -o /out/tach ./cmd/tach", build)
	}
	bin := filepath.Join(t.TempDir(), "tach")
	cmdline := strings.ReplaceAll(strings.Replace(build, "/out/tach", bin, 1), "${VERSION}", "v0.0.0-deploytest")
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}

	// The version comes from the build argument, and the health check's
	// command is in this binary: asked of nothing listening, it fails.
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(out), "v0.0.0-deploytest") {
		t.Errorf("tach version: %q, %v", out, err)
	}
	var stderr bytes.Buffer
	health := exec.Command(bin, "health", "--url", "http://127.0.0.1:1/readyz", "--timeout", "2s")
	health.Stderr = &stderr
	if err := health.Run(); err == nil || !strings.Contains(stderr.String(), "does not answer") {
		t.Errorf("tach health on a closed port: %v, %q; want a failure", err, stderr.String())
	}
}

type composeFile struct {
	Services map[string]struct {
		Image       string         `yaml:"image"`
		Build       map[string]any `yaml:"build"`
		Command     []string       `yaml:"command"`
		Environment map[string]string
		Volumes     []string `yaml:"volumes"`
		Ports       []string `yaml:"ports"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// compose.yaml: tach built from deploy/Dockerfile, started once its
// PostgreSQL is healthy, health-checked by tach health, reading the
// mounted tach.yaml, whose database is that PostgreSQL with the password
// from the environment — in no file but .env.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	db, ok := c.Services["db"]
	if !ok || !strings.HasPrefix(db.Image, "postgres:") {
		t.Fatalf("service db: %+v; want a postgres image", db)
	}
	if !slices.Contains(db.Healthcheck.Test, "pg_isready") {
		t.Errorf("db healthcheck %v; want pg_isready", db.Healthcheck.Test)
	}
	if _, ok := c.Volumes["db"]; !ok || !slices.Contains(db.Volumes, "db:/var/lib/postgresql/data") {
		t.Errorf("db's data is not on the named volume db: %v", db.Volumes)
	}
	tach, ok := c.Services["tach"]
	if !ok {
		t.Fatal("no service tach")
	}
	if tach.Build["context"] != ".." || tach.Build["dockerfile"] != "deploy/Dockerfile" {
		t.Errorf("tach build %v; want context .. and deploy/Dockerfile", tach.Build)
	}
	if tach.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("tach depends_on %+v; want db: service_healthy", tach.DependsOn)
	}
	if hc := tach.Healthcheck.Test; len(hc) < 3 || hc[0] != "CMD" || hc[1] != "/usr/local/bin/tach" || hc[2] != "health" {
		t.Errorf("tach healthcheck %v; want [CMD /usr/local/bin/tach health …]", hc)
	}
	for _, svc := range []string{"db", "tach"} {
		for k, v := range c.Services[svc].Environment {
			if strings.Contains(k, "PASSWORD") && !strings.HasPrefix(v, "${TACH_DB_PASSWORD:?") {
				t.Errorf("%s: %s=%q; want ${TACH_DB_PASSWORD:?…} from .env", svc, k, v)
			}
		}
	}
	if c.Services["db"].Environment["POSTGRES_PASSWORD"] == "" || tach.Environment["TACH_DB_PASSWORD"] == "" {
		t.Errorf("the password does not reach both services")
	}
	if !slices.Equal(tach.Command, []string{"serve", "--config", "/etc/tach/tach.yaml"}) || !slices.Contains(tach.Volumes, "./tach.yaml:/etc/tach/tach.yaml:ro") {
		t.Errorf("tach command %v, volumes %v; want serve --config /etc/tach/tach.yaml, mounted from ./tach.yaml", tach.Command, tach.Volumes)
	}
	if !slices.Contains(tach.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("tach ports %v; want 127.0.0.1:8080:8080", tach.Ports)
	}

	// The mounted config, as tach reads it with the environment compose
	// gives it.
	raw, err := os.ReadFile("tach.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TACH_DB_PASSWORD": "s3cret", "GITHUB_TOKEN": "ghp_x"}
	cfg, err := config.ParseWith(raw, "tach.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("deploy/tach.yaml: %v", err)
	}
	if !config.IsPostgres(cfg.Database) || !strings.Contains(cfg.Database, "tach:s3cret@db:5432/tach") {
		t.Errorf("database %q; want the compose service db, with the password from the environment", store.RedactURL(cfg.Database))
	}
	if !strings.Contains(string(raw), "${TACH_DB_PASSWORD}") {
		t.Errorf("deploy/tach.yaml does not take the password from ${TACH_DB_PASSWORD}")
	}
	if cfg.Listen != ":8080" {
		t.Errorf("listen %q; want :8080, every interface of the container", cfg.Listen)
	}
}

// The systemd unit: a user of its own, its state in /var/lib/tach, the
// rest of the system read-only; and systemd-analyze finds nothing to say
// about it (when installed).
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("tach.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			keys[k] = v
		}
	}
	for k, want := range map[string]string{
		"ExecStart": "/usr/local/bin/tach serve --config /etc/tach/tach.yaml", "DynamicUser": "yes",
		"StateDirectory": "tach", "ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes",
		"PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "", "KillSignal": "SIGTERM",
	} {
		if got, ok := keys[k]; !ok || got != want {
			t.Errorf("%s=%q; want %q", k, got, want)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit's keys were checked, not the unit")
	}
	// verify wants ExecStart's binary to exist: point it at one that does.
	unit := filepath.Join(t.TempDir(), "tach.service")
	tru, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand in for tach")
	}
	if err := os.WriteFile(unit, bytes.ReplaceAll(data, []byte("/usr/local/bin/tach"), []byte(tru)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
