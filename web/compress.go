package web

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// Responses are compressed with gzip when the client accepts it: pages,
// JSON, Markdown, CSV, CSS and scripts (the ECharts bundle is 1 MB, about
// 330 KB compressed). github.com/klauspost/compress/gzhttp does what a
// careful wrapper must: Vary: Accept-Encoding on every response, no
// compression of bodies under 1 KiB or already compressed (images,
// archives, a Content-Encoding set by the handler), no compression of
// partial content, Content-Length dropped, Flush passed on. An ETag gets
// "-gzip" on the compressed representation (RFC 9110: it is another
// representation), and the assets read it back (static.go).
//
// Compression and secrets: BREACH needs a secret in a compressed body next
// to text an attacker controls. tach's bodies carry no secret: sign-in is
// a cookie, cross-site writes are refused by origin (no CSRF token in
// forms), and /metrics' bearer token is only ever received. See
// docs/security.md.

// gzipSuffix is what the ETag of a compressed response ends with.
const gzipSuffix = "-gzip"

var compressResponses = func() func(http.Handler) http.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false), gzhttp.SuffixETag(gzipSuffix))
	if err != nil {
		panic(err) // the options above are constant
	}
	return wrap
}()

// etagOfGzip turns the ETag a client got with a compressed response back
// into the asset's own, so If-None-Match matches either representation.
func etagOfGzip(inm string) string {
	return strings.ReplaceAll(inm, gzipSuffix+`"`, `"`)
}
