// Package docs embeds the rules and methods documents, so tach serve
// shows them without the internet (/docs/metrics.md,
// /docs/decision-impact.md): an offline install reads the same words as
// the repository.
package docs

import "embed"

// Files holds the documents tach serves.
//
//go:embed metrics.md decision-impact.md
var Files embed.FS
