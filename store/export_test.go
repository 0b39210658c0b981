package store

// GenerationWatchPID is the server process of s's generation watch's
// connection (0 before it connects).
func GenerationWatchPID(s *Store) int {
	if w := s.gen.Load(); w != nil {
		return int(w.pid.Load())
	}
	return 0
}
