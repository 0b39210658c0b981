package gitlabtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// paginate cuts one page out of items as GitLab does: offset pagination
// (page, per_page; default 20, at most 100) answered with x-page,
// x-per-page, x-total, x-total-pages, x-next-page, x-prev-page and a Link
// header (HeadersOnly drops the Link); with LinkOnly (or pagination=keyset
// asked), keyset style: a cursor in the Link header's next URL and no x-*
// headers.
func (s *Server) paginate(r *http.Request, items []any) ([]any, http.Header) {
	return s.paginateWith(r, items, true)
}

// paginateWith is paginate, with totals false for a list GitLab answers
// without x-total, x-total-pages and the last page's Link.
func (s *Server) paginateWith(r *http.Request, items []any, totals bool) ([]any, http.Header) {
	q := r.URL.Query()
	per := 20
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	keyset := s.Pagination == LinkOnly || q.Get("pagination") == "keyset"
	offset := 0
	page := 1
	if keyset {
		if c := q.Get("cursor"); c != "" {
			offset, _ = strconv.Atoi(strings.TrimPrefix(c, "off"))
		}
	} else if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
		offset = (page - 1) * per
	}
	total := len(items)
	start, end := min(offset, total), min(offset+per, total)
	out := items[start:end]
	if out == nil {
		out = []any{}
	}

	h := http.Header{}
	link := func(set func(url.Values), rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		set(v)
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if keyset {
		if end < total {
			links = append(links, link(func(v url.Values) { v.Del("page"); v.Set("cursor", "off"+strconv.Itoa(end)) }, "next"))
		}
		links = append(links, link(func(v url.Values) { v.Del("cursor"); v.Del("page") }, "first"))
	} else {
		pages := max(1, (total+per-1)/per)
		next, prev := "", ""
		if page < pages {
			next = strconv.Itoa(page + 1)
			links = append(links, link(func(v url.Values) { v.Set("page", next) }, "next"))
		}
		if page > 1 {
			prev = strconv.Itoa(page - 1)
			links = append(links, link(func(v url.Values) { v.Set("page", prev) }, "prev"))
		}
		links = append(links, link(func(v url.Values) { v.Set("page", "1") }, "first"))
		if totals {
			links = append(links, link(func(v url.Values) { v.Set("page", strconv.Itoa(pages)) }, "last"))
			h.Set("X-Total", strconv.Itoa(total))
			h.Set("X-Total-Pages", strconv.Itoa(pages))
		}
		h.Set("X-Page", strconv.Itoa(page))
		h.Set("X-Per-Page", strconv.Itoa(per))
		h.Set("X-Next-Page", next)
		h.Set("X-Prev-Page", prev)
	}
	if len(links) > 0 && s.Pagination != HeadersOnly {
		h.Set("Link", strings.Join(links, ", "))
	}
	return out, h
}
