package engine

import (
	"github.com/tach-dev/tach/metrics/query"
)

// ParseScope reads a scope written as one value: a decision's
// before_scope or after_scope (query.Surface.ScopeValue).
func ParseScope(s string) (Scope, error) {
	sc, err := query.Params.ScopeValue("scope", s)
	return Scope(sc), err
}

// FormatScope writes a scope as one value (ParseScope reads it back).
func FormatScope(sc Scope) string { return query.FormatScope(query.Scope(sc)) }
