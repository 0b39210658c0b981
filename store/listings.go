package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A Listing is what an organisation entry (github_org) yielded at its
// last sync: the repos synced, those left out and why, and those an
// earlier listing yielded that this one no longer does (removed,
// archived or filtered out: no longer synced, their rows kept). It is
// kept in the meta table, one key per entry, for the sync page.
type Listing struct {
	Provider string       `json:"provider"`
	Entry    string       `json:"entry"` // the org's name as configured
	At       time.Time    `json:"at"`
	Repos    []string     `json:"repos"`
	Skipped  []ListedSkip `json:"skipped,omitempty"`
	Gone     []string     `json:"gone,omitempty"`
}

// ListedSkip is a listed repo left out, and why (archived, fork,
// excluded, not included, no listed topic).
type ListedSkip struct {
	Repo string `json:"repo"`
	Why  string `json:"why"`
}

const listingPrefix = "listing:"

func listingKey(provider, entry string) string {
	return listingPrefix + provider + ":" + strings.ToLower(entry)
}

// RecordListing writes an entry's listing; Gone becomes the repos of the
// earlier listings that this one does not yield.
func (s *Store) RecordListing(ctx context.Context, l Listing) error {
	return s.Write(ctx, func(tx *Tx) error {
		key := listingKey(l.Provider, l.Entry)
		prev, err := s.listing(ctx, key)
		if err != nil {
			return err
		}
		now := map[string]bool{}
		for _, r := range l.Repos {
			now[strings.ToLower(r)] = true
		}
		l.Gone = nil
		for _, r := range append(prev.Repos, prev.Gone...) {
			if !now[strings.ToLower(r)] && !slices.Contains(l.Gone, r) {
				l.Gone = append(l.Gone, r)
			}
		}
		slices.Sort(l.Gone)
		b, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("record listing %s: %w", l.Entry, err)
		}
		return tx.SetMeta(ctx, key, string(b))
	})
}

func (s *Store) listing(ctx context.Context, key string) (Listing, error) {
	var l Listing
	v, err := s.Meta(ctx, key)
	if err != nil || v == "" {
		return l, err
	}
	if err := json.Unmarshal([]byte(v), &l); err != nil {
		return l, fmt.Errorf("read listing %s: %w", key, err)
	}
	return l, nil
}

// Listings returns the organisation entries' last listings, by entry.
func (s *Store) Listings(ctx context.Context) ([]Listing, error) {
	values, err := s.metaWithPrefix(ctx, listingPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Listing, 0, len(values))
	for _, v := range values {
		var l Listing
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			return nil, fmt.Errorf("read listings: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}
