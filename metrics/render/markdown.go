package render

import (
	"net/url"
	"strings"
)

// markdownEscaper turns everything Markdown or HTML could read as markup into
// text: HTML's < > & become entities (which every renderer shows as the
// characters), Markdown's punctuation gets a backslash, and line breaks
// become spaces so a title cannot start a block of its own.
var markdownEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"#", `\#`, "|", `\|`, "!", `\!`, "~", `\~`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// MarkdownText escapes user text for Markdown.
func MarkdownText(s string) string { return markdownEscaper.Replace(s) }

// MarkdownCode makes s safe inside a `code span`: backticks and line breaks
// are dropped.
func MarkdownCode(s string) string {
	return strings.NewReplacer("`", "", "\n", " ", "\r", " ").Replace(s)
}

// MarkdownLink is [text](url) for an http or https URL, else text alone.
// text must already be escaped. The URL is re-encoded so parentheses,
// spaces and angle brackets cannot end the link early.
func MarkdownLink(text, rawURL string) string {
	u := safeURL(rawURL)
	if u == "" {
		return text
	}
	safe := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", `"`, "%22").Replace(u)
	return "[" + text + "](" + safe + ")"
}

// safeURL is rawURL re-encoded when it is an http or https URL with a
// host, and "" for anything else (javascript:, relative).
func safeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
