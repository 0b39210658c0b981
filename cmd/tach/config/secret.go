package config

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret prints as, whichever way it is printed.
const redacted = "[redacted]"

// Secret holds a token or webhook secret. It prints, formats, logs and
// marshals as "[redacted]"; only Reveal returns the value. Use the value
// only where it is sent (an Authorization header, an HMAC key).
type Secret struct {
	value string
	src   *secretSource // where the value came from; nil for NewSecret
}

// secretSource records where a secret came from, so that CheckSync and
// CheckWebhooks can say what to fix without showing the value.
type secretSource struct {
	key      string   // e.g. github.token
	line     int      // line of the key's value; 0 when the key is absent
	refs     []string // environment variables referenced
	missing  []string // referenced variables that are not set
	implicit bool     // the key is absent and the value came from the default variable
}

// NewSecret returns a Secret holding value (for tests and programmatic use).
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return s.value }

// Empty reports whether the secret has no value.
func (s Secret) Empty() bool { return s.value == "" }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb and flag, so that no fmt verb
// (%x, %d, %q...) can reach the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprint(f, `"`+redacted+`"`)
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON returns the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalYAML returns "[redacted]", so that a Config written back as YAML
// carries no secret.
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// LogValue returns "[redacted]" (slog.LogValuer).
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
