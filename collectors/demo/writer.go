package demo

import (
	"context"
	"fmt"

	"github.com/tach-dev/tach/store"
)

// batchRows is about how many rows go into one write transaction.
const batchRows = 20000

// writer queues rows and commits them in transactions of about batchRows
// rows with the store's bulk inserts, so memory stays flat however large
// the demo is. Every row is new, so it takes its id here, in the order the
// simulation writes it: the rows and ids are what one upsert per row in
// that order would give.
type writer struct {
	ctx context.Context
	st  *store.Store
	sum *Summary
	ids store.IDs

	changes   []store.Change
	files     []store.ChangeFiles
	deps      []store.Deployment
	ranges    [][]string
	incidents []store.Incident
	runs      []store.CIRun
	ops       []func(tx *store.Tx) error
	rows      int
}

func newWriter(ctx context.Context, st *store.Store, sum *Summary) (*writer, error) {
	ids, err := st.NextIDs(ctx)
	if err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, st: st, sum: sum, ids: ids}, nil
}

func (w *writer) added(rows int) error {
	w.rows += rows
	if w.rows >= batchRows {
		return w.flush()
	}
	return nil
}

// add queues a write of anything else (decisions, meta).
func (w *writer) add(rows int, op func(tx *store.Tx) error) error {
	w.ops = append(w.ops, op)
	return w.added(rows)
}

func (w *writer) flush() error {
	if w.rows == 0 && len(w.ops) == 0 {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	err := w.st.Write(w.ctx, func(tx *store.Tx) error {
		if err := tx.InsertChanges(w.ctx, w.changes); err != nil {
			return err
		}
		if err := tx.InsertChangeFiles(w.ctx, w.files); err != nil {
			return err
		}
		if err := tx.InsertDeployments(w.ctx, w.deps, w.ranges); err != nil {
			return err
		}
		if err := tx.InsertIncidents(w.ctx, w.incidents); err != nil {
			return err
		}
		if err := tx.InsertCIRuns(w.ctx, w.runs); err != nil {
			return err
		}
		for _, op := range w.ops {
			if err := op(tx); err != nil {
				return err
			}
		}
		return nil
	})
	clear(w.ops)
	clear(w.changes)
	clear(w.files)
	clear(w.deps)
	clear(w.ranges)
	clear(w.incidents)
	clear(w.runs)
	w.changes, w.files, w.deps, w.ranges, w.incidents, w.runs, w.ops = w.changes[:0], w.files[:0], w.deps[:0], w.ranges[:0], w.incidents[:0], w.runs[:0], w.ops[:0]
	w.rows = 0
	if err != nil {
		return fmt.Errorf("write demo rows: %w", err)
	}
	return nil
}

// change writes a change with its reviews and files.
func (w *writer) change(c store.Change, files []store.ChangeFile) error {
	w.sum.Changes++
	w.sum.Reviews += len(c.Reviews)
	w.sum.ChangeFiles += len(files)
	c.ID = w.ids.Change
	w.ids.Change++
	w.changes = append(w.changes, c)
	w.files = append(w.files, store.ChangeFiles{ChangeID: c.ID, RepoID: c.RepoID, Files: files})
	return w.added(1 + len(c.Reviews) + len(files))
}

// deployment writes a deployment and, when shas is not nil, its commit range.
func (w *writer) deployment(d store.Deployment, shas []string) error {
	w.sum.Deployments++
	w.sum.DeploymentCommits += len(shas)
	d.ID = w.ids.Deployment
	w.ids.Deployment++
	w.deps = append(w.deps, d)
	w.ranges = append(w.ranges, shas)
	return w.added(1 + len(shas))
}

func (w *writer) incident(in store.Incident) error {
	w.sum.Incidents++
	in.ID = w.ids.Incident
	w.ids.Incident++
	w.incidents = append(w.incidents, in)
	return w.added(1)
}

func (w *writer) ciRun(r store.CIRun) error {
	w.sum.CIRuns++
	r.ID = w.ids.CIRun
	w.ids.CIRun++
	w.runs = append(w.runs, r)
	return w.added(1)
}
