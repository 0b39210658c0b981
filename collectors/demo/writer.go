package demo

import (
	"context"
	"fmt"

	"github.com/tach-dev/tach/store"
)

// batchRows is how many rows go into one write transaction.
const batchRows = 1000

// writer queues writes and commits them in transactions of about batchRows
// rows, so memory stays flat however large the demo is.
type writer struct {
	ctx  context.Context
	st   *store.Store
	ops  []func(tx *store.Tx) error
	rows int
	sum  *Summary
}

func (w *writer) add(rows int, op func(tx *store.Tx) error) error {
	w.ops = append(w.ops, op)
	w.rows += rows
	if w.rows >= batchRows {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.ops) == 0 {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	ops := w.ops
	err := w.st.Write(w.ctx, func(tx *store.Tx) error {
		for _, op := range ops {
			if err := op(tx); err != nil {
				return err
			}
		}
		return nil
	})
	clear(w.ops)
	w.ops, w.rows = w.ops[:0], 0
	if err != nil {
		return fmt.Errorf("write demo rows: %w", err)
	}
	return nil
}

func (w *writer) change(c store.Change) error {
	w.sum.Changes++
	w.sum.Reviews += len(c.Reviews)
	return w.add(1+len(c.Reviews), func(tx *store.Tx) error {
		_, _, err := tx.UpsertChange(w.ctx, c)
		return err
	})
}

// deployment writes a deployment and, when shas is not nil, its commit range.
func (w *writer) deployment(d store.Deployment, shas []string) error {
	w.sum.Deployments++
	w.sum.DeploymentCommits += len(shas)
	return w.add(1+len(shas), func(tx *store.Tx) error {
		id, _, err := tx.UpsertDeployment(w.ctx, d)
		if err != nil || shas == nil {
			return err
		}
		return tx.SetDeploymentRange(w.ctx, id, shas)
	})
}

func (w *writer) incident(in store.Incident) error {
	w.sum.Incidents++
	return w.add(1, func(tx *store.Tx) error {
		_, _, err := tx.UpsertIncident(w.ctx, in)
		return err
	})
}

func (w *writer) ciRun(r store.CIRun) error {
	w.sum.CIRuns++
	return w.add(1, func(tx *store.Tx) error {
		_, _, err := tx.UpsertCIRun(w.ctx, r)
		return err
	})
}
