package templates

import (
	"fmt"
	"net/http"
	"strings"
)

// Small helpers of the components.

func orNone(s string) string { return orDefault(s, "none") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tierTitle is the tier table as one hover text.
func tierTitle(rows []TierRow) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = r.Rule
	}
	return strings.Join(lines, "\n")
}

func sortMark(dir string) string {
	switch dir {
	case "asc":
		return "▲"
	case "desc":
		return "▼"
	}
	return "↕"
}

// tagClass turns a tag into a class-name suffix: its first word, letters
// and digits only ("failed: incident" → "failed").
func tagClass(tag string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(tag) {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			break
		}
		b.WriteRune(r)
	}
	return orNone(b.String())
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// rowID is the id of a table's i-th row ("" for none).
func rowID(t Table, i int) string {
	if i < len(t.RowIDs) {
		return t.RowIDs[i]
	}
	return ""
}
