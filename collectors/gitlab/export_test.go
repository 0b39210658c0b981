package gitlab

// CompareEveryRange makes a provider ask the compare API for every
// deployment range, for tests that hold the history walk to its rows.
func CompareEveryRange(o *Options) { o.compareEveryRange = true }
