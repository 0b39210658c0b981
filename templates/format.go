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

// span is a piece of a sentence: text, or a link when Href is set.
type span struct{ Text, Href string }

// spans cuts text where the label of each link appears (its first
// occurrence), so a sentence like "record it on the decisions page" can
// carry its links in place. A label the text does not hold is left out.
func spans(text string, links []Link) []span {
	out := []span{{Text: text}}
	for _, l := range links {
		if l.Label == "" || l.Href == "" {
			continue
		}
		for i, sp := range out {
			at := strings.Index(sp.Text, l.Label)
			if sp.Href != "" || at < 0 {
				continue
			}
			parts := []span{}
			if at > 0 {
				parts = append(parts, span{Text: sp.Text[:at]})
			}
			parts = append(parts, span{Text: l.Label, Href: l.Href})
			if rest := sp.Text[at+len(l.Label):]; rest != "" {
				parts = append(parts, span{Text: rest})
			}
			out = append(out[:i], append(parts, out[i+1:]...)...)
			break
		}
	}
	return out
}

// columnLabel is the name of column i, or "" past the last.
func columnLabel(cols []Column, i int) string {
	if i < len(cols) {
		return cols[i].Label
	}
	return ""
}
