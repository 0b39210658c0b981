package config

// ParseWith is Parse with the environment given as lookup: `tach init`
// checks the file it writes without the variables the file refers to.
func ParseWith(data []byte, name string, lookup func(string) (string, bool)) (*Config, error) {
	return parse(data, name, lookup)
}
