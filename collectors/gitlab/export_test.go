package gitlab

// CompareEveryRange makes a provider ask the compare API for every
// deployment range, for tests that hold the history walk to its rows.
func CompareEveryRange(o *Options) { o.compareEveryRange = true }

// SingleWalk makes a provider read a first sync's merge requests and
// pipelines in one walk each instead of parts at once, for tests that hold
// the parts to its rows.
func SingleWalk(o *Options) { o.singleWalk = true }

// MRParts sets how many parts a first sync reads its merge requests in,
// for tests of two halves.
func MRParts(n int) func(*Options) { return func(o *Options) { o.mrParts = n } }
