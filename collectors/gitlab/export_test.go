package gitlab

// CompareEveryRange makes a provider ask the compare API for every
// deployment range, for tests that hold the history walk to its rows.
func CompareEveryRange(o *Options) { o.compareEveryRange = true }

// SingleWalk makes a provider read a first sync's merge requests in one
// walk instead of two halves at once, for tests that hold the halves to
// its rows.
func SingleWalk(o *Options) { o.singleWalk = true }
