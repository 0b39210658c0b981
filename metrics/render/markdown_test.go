package render_test

import (
	"testing"

	"github.com/tach-dev/tach/metrics/render"
)

func TestMarkdownKeepsUserTextAsText(t *testing.T) {
	for in, want := range map[string]string{
		"<script>alert(1)</script> Fix XSS": `&lt;script&gt;alert\(1\)&lt;/script&gt; Fix XSS`,
		"[click](javascript:x)":             `\[click\]\(javascript:x\)`,
		"a | b\n# heading":                  `a \| b \# heading`,
		"**bold** _it_ `code` ![i](x)":      "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\!\\[i\\]\\(x\\)",
	} {
		if got := render.MarkdownText(in); got != want {
			t.Errorf("MarkdownText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := render.MarkdownLink("t", "javascript:alert(1)"); got != "t" {
		t.Errorf("a javascript: link survived: %q", got)
	}
	if got := render.MarkdownLink("t", "https://example.com/a (b)"); got != "[t](https://example.com/a%20%28b%29)" {
		t.Errorf("link = %q", got)
	}
}
