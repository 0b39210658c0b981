package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// Copy moves a whole tach database from one engine to the other (or to
// another database of the same engine): `tach copy --from tach.db --to
// postgres://…` and back. It reads the source from one snapshot, writes
// each table in one transaction of the target (in batches: COPY on
// PostgreSQL, multi-row INSERTs on SQLite), keeps every row's id, and then
// reads both back to compare each table's row count and checksum.

// copyTables are the tables a copy writes, parents before children (their
// foreign keys). The rollups come last: writing rows of changes marks
// their repo's rollup stale, which must not happen to the copied rollups.
// schema_version is the same on both sides (both are migrated by this
// tach) and the rollup generation is a counter each database keeps.
var copyTables = []string{
	"repos", "changes", "reviews", "deployments", "deployment_commits", "deployment_changes",
	"incidents", "ci_runs", "paths", "change_files", "modules", "codeowners",
	"decisions", "decision_candidates", "teams", "team_repos", "sync_state", "meta",
	"users", "sessions", "webhook_deliveries", "derive_pending", "digest_sends",
	"rollup_repos", "rollup_periods",
}

// notCopied are the tables a copy leaves to each database.
var notCopied = []string{"schema_version", "rollup_generation"}

// TableCopy is what a copy found of one table, on both sides.
type TableCopy struct {
	Table    string
	Rows     int64
	Checksum string // of the rows, in any order (hex, 16 digits shown)
	Took     time.Duration
}

// CopyOptions tune a copy.
type CopyOptions struct {
	// Replace lets the copy empty a target that holds data; without it a
	// target that is not empty is refused (ErrTargetNotEmpty).
	Replace bool
	// Progress is told of each table once it is written and checked.
	Progress func(TableCopy)
}

// ErrTargetNotEmpty is wrapped by CopyTo's error for a target that holds
// rows, without CopyOptions.Replace.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// CopyTo copies every row of s into dst, table by table, and checks that
// dst then holds, table by table, as many rows with the same checksum.
func (s *Store) CopyTo(ctx context.Context, dst *Store, opt CopyOptions) ([]TableCopy, error) {
	if err := sameSchema(ctx, s, dst); err != nil {
		return nil, err
	}
	full, err := dst.nonEmptyTables(ctx)
	if err != nil {
		return nil, err
	}
	if len(full) > 0 {
		if !opt.Replace {
			return nil, fmt.Errorf("copy: %w: %s holds rows in %s; copy into a new database, or give --replace to delete them first",
				ErrTargetNotEmpty, dst.Path(), strings.Join(full, ", "))
		}
		if err := dst.Empty(ctx); err != nil {
			return nil, fmt.Errorf("copy: %w", err)
		}
	}
	restore, err := dst.LoadMode(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer restore()

	// One snapshot of the source for every table: a copy of a database in
	// use is the database at one moment.
	src, err := s.read.BeginTx(ctx, s.d.snapshot())
	if err != nil {
		return nil, fmt.Errorf("copy: read %s: %w", s.Path(), err)
	}
	defer src.Rollback()
	snap := &snapshotTx{src, s.d}

	var out []TableCopy
	for _, table := range copyTables {
		start := time.Now()
		cols, err := s.d.columns(ctx, snap, table)
		if err != nil {
			return out, fmt.Errorf("copy: columns of %s: %w", table, err)
		}
		dcols, err := dst.d.columns(ctx, dst.read, table)
		if err != nil {
			return out, fmt.Errorf("copy: columns of %s in %s: %w", table, dst.Path(), err)
		}
		if !sameNames(cols, dcols) {
			return out, fmt.Errorf("copy: %s has columns %s in %s but %s in %s", table, names(cols), s.Path(), names(dcols), dst.Path())
		}
		var want tableSum
		err = dst.Write(ctx, func(tx *Tx) error {
			rows, err := snap.QueryContext(ctx, `SELECT `+strings.Join(names(cols), ", ")+` FROM `+table)
			if err != nil {
				return err
			}
			defer rows.Close()
			next := rowReader(rows, len(cols), func(vals []any) []any {
				want.add(vals)
				return convert(vals, dcols)
			})
			if err := tx.d.copyIn(ctx, tx, table, names(dcols), next); err != nil {
				return err
			}
			if hasIntID(dcols) {
				return tx.d.explicitIDs(ctx, tx, table)
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("copy: %s: %w", table, err)
		}
		got, err := checksumTable(ctx, dst.read, table, dcols)
		if err != nil {
			return out, fmt.Errorf("copy: check %s: %w", table, err)
		}
		if got != want {
			return out, fmt.Errorf("copy: %s differs after the copy: %d rows (checksum %s) in %s, %d rows (checksum %s) in %s",
				table, want.rows, want.hex(), s.Path(), got.rows, got.hex(), dst.Path())
		}
		tc := TableCopy{Table: table, Rows: want.rows, Checksum: want.hex(), Took: time.Since(start)}
		out = append(out, tc)
		if opt.Progress != nil {
			opt.Progress(tc)
		}
	}
	// The target's caches of reports (a replica serving it) start afresh.
	err = dst.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE rollup_generation SET gen = gen + 1`)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("copy: %w", err)
	}
	return out, restore()
}

// Empty deletes every row tach keeps (the schema stays), for a database
// about to be written afresh: a copy with --replace, a demo written again
// into PostgreSQL.
func (s *Store) Empty(ctx context.Context) error {
	if err := s.Write(ctx, func(tx *Tx) error { return tx.d.emptyTables(ctx, tx, copyTables) }); err != nil {
		return fmt.Errorf("empty %s: %w", s.Path(), err)
	}
	return nil
}

// sameSchema checks that both databases are at the same schema version
// and hold the tables a copy knows.
func sameSchema(ctx context.Context, a, b *Store) error {
	va, err := a.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	vb, err := b.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if va != vb {
		return fmt.Errorf("copy: %s is at schema version %d and %s at %d; open both with the same tach first (tach migrate)", a.Path(), va, b.Path(), vb)
	}
	want := slices.Sorted(slices.Values(append(append([]string{}, copyTables...), notCopied...)))
	for _, st := range []*Store{a, b} {
		have, err := st.d.tables(ctx, st.read)
		if err != nil {
			return fmt.Errorf("copy: tables of %s: %w", st.Path(), err)
		}
		slices.Sort(have)
		if !slices.Equal(have, want) {
			return fmt.Errorf("copy: %s has the tables %s; this tach copies %s", st.Path(), strings.Join(have, ", "), strings.Join(want, ", "))
		}
	}
	return nil
}

// nonEmptyTables lists the tables a copy writes that hold rows.
func (s *Store) nonEmptyTables(ctx context.Context) ([]string, error) {
	var full []string
	for _, t := range copyTables {
		var one int
		err := s.read.QueryRowContext(ctx, `SELECT 1 FROM `+t+` LIMIT 1`).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("copy: read %s: %w", t, err)
		default:
			full = append(full, t)
		}
	}
	return full, nil
}

// rowReader reads rows of width columns one at a time, through each.
func rowReader(rows *sql.Rows, width int, each func([]any) []any) func() ([]any, bool, error) {
	return func() ([]any, bool, error) {
		if !rows.Next() {
			return nil, false, rows.Err()
		}
		vals := make([]any, width)
		ptrs := make([]any, width)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, false, err
		}
		return each(vals), true, nil
	}
}

// convert turns values into what the target's columns hold: text and bytes
// are the same values, held as the column's kind (a rollup's version is
// TEXT in SQLite, BYTEA in PostgreSQL).
func convert(vals []any, cols []column) []any {
	for i, v := range vals {
		switch x := v.(type) {
		case string:
			if cols[i].kind == "bytes" {
				vals[i] = []byte(x)
			}
		case []byte:
			if cols[i].kind == "text" {
				vals[i] = string(x)
			}
		}
	}
	return vals
}

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

func sameNames(a, b []column) bool { return slices.Equal(names(a), names(b)) }

func hasIntID(cols []column) bool {
	for _, c := range cols {
		if c.name == "id" {
			return c.kind == "int"
		}
	}
	return false
}

// tableSum is a table's row count and a checksum of its rows that does
// not depend on their order: the sum, modulo 2^256, of each row's SHA-256.
// A value is hashed as its kind and bytes, so a text and a blob of the
// same bytes count alike (the two engines keep some columns as different
// kinds), and an integer as its 64 bits.
type tableSum struct {
	rows int64
	sum  [4]uint64
}

func (t *tableSum) add(vals []any) {
	h := sha256.New()
	var buf [binary.MaxVarintLen64 + 1]byte
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			h.Write([]byte{0})
		case int64:
			buf[0] = 1
			binary.BigEndian.PutUint64(buf[1:9], uint64(x))
			h.Write(buf[:9])
		case float64:
			buf[0] = 3
			binary.BigEndian.PutUint64(buf[1:9], math.Float64bits(x))
			h.Write(buf[:9])
		case bool:
			buf[0] = 1
			n := uint64(0)
			if x {
				n = 1
			}
			binary.BigEndian.PutUint64(buf[1:9], n)
			h.Write(buf[:9])
		case string:
			buf[0] = 2
			n := binary.PutUvarint(buf[1:], uint64(len(x)))
			h.Write(buf[:1+n])
			h.Write([]byte(x))
		case []byte:
			buf[0] = 2
			n := binary.PutUvarint(buf[1:], uint64(len(x)))
			h.Write(buf[:1+n])
			h.Write(x)
		default:
			fmt.Fprintf(h, "\x04%T:%v", x, x)
		}
	}
	var d [32]byte
	h.Sum(d[:0])
	var carry uint64
	for i := 3; i >= 0; i-- {
		t.sum[i], carry = bits.Add64(t.sum[i], binary.BigEndian.Uint64(d[i*8:]), carry)
	}
	t.rows++
}

func (t tableSum) hex() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], t.sum[0])
	return hex.EncodeToString(b[:])
}

// checksumTable reads a table whole and sums it.
func checksumTable(ctx context.Context, q queryer, table string, cols []column) (tableSum, error) {
	var sum tableSum
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(names(cols), ", ")+` FROM `+table)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	next := rowReader(rows, len(cols), func(vals []any) []any { sum.add(vals); return vals })
	for {
		_, ok, err := next()
		if err != nil {
			return sum, err
		}
		if !ok {
			return sum, nil
		}
	}
}
