package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds tach's own CSS, script and icon, and — when the build fetched
// it (make assets, web/tools/fetch-echarts.sh) — ECharts under vendor/.
// vendor/ is not in git: third-party code is fetched at a pinned version
// and checked against its sha256, never committed. A build without it still
// serves every page, with tables instead of charts.
//
//go:embed static
var static embed.FS

// echartsPath is where the fetch script puts ECharts.
const echartsPath = "vendor/echarts.min.js"

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	hash  string // the first 16 hex digits of its sha256
	ctype string
}

// assets serves the embedded files. Pages link to them as
// /static/NAME?v=HASH; a request with the current hash may be cached for a
// year, anything else is revalidated by its ETag.
type assets struct {
	files   map[string]asset
	echarts string // the versioned URL of ECharts; "" when not embedded
}

func loadAssets() *assets {
	a := &assets{files: map[string]asset{}}
	fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.files[strings.TrimPrefix(p, "static/")] = asset{body: body, hash: hex.EncodeToString(sum[:8]), ctype: ctype}
		return nil
	})
	if _, ok := a.files[echartsPath]; ok {
		a.echarts = a.url(echartsPath)
	}
	return a
}

// url is the versioned URL of an embedded file.
func (a *assets) url(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := a.files[name]
	if !ok {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.hash+`"`)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		r.Header.Set("If-None-Match", etagOfGzip(inm))
	}
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
