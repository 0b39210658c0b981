package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tach-dev/tach/collectors"
	"github.com/tach-dev/tach/templates"
)

// Starting a sync: POST /api/v1/sync (202; 409 while one runs) and the
// "sync now" button of the sync page (POST /sync, back to the page). Both
// need the write role. The run belongs to the server's scheduler: it goes
// on after the request is answered, and the sync page follows it.

// scheduleStatus is the scheduler's state (*collectors.Scheduler), when the
// server's SyncStatus has one.
type scheduleStatus interface {
	Status() collectors.ScheduleStatus
}

// startSync starts a sync, and says "started", or "passed_on" when
// another replica on the database runs the syncs and was asked to.
func (s *Server) startSync(w http.ResponseWriter, r *http.Request) (string, error) {
	if s.sync == nil {
		if s.ops.NoSync != "" {
			return "", &httpError{status: http.StatusServiceUnavailable, msg: "This server runs no sync: " + s.ops.NoSync,
				hint: "Fix the config, then restart tach serve."}
		}
		return "", &httpError{status: http.StatusNotFound, msg: "This server does not run syncs: it was started without a config.",
			hint: "Run `tach serve --config tach.yaml`, or sync with `tach sync --config tach.yaml`."}
	}
	err := s.sync.Trigger(r.Context())
	status := "started"
	switch {
	case errors.Is(err, collectors.ErrSyncRunning):
		return "", &httpError{status: http.StatusConflict, msg: "A sync is already running.", hint: "Follow it on the sync page, or at GET /api/v1/sync."}
	case errors.Is(err, collectors.ErrSyncElsewhere):
		return "", &httpError{status: http.StatusConflict, msg: "Another tach serve on this database runs the syncs; this one does not.",
			hint: "It syncs on its schedule; its /readyz says \"sync lock: held\"."}
	case errors.Is(err, collectors.ErrSyncPassedOn):
		status = "passed_on"
	case errors.Is(err, collectors.ErrSchedulerStopped):
		return "", &httpError{status: http.StatusServiceUnavailable, msg: "The server is shutting down; no sync can start."}
	case err != nil:
		return "", err
	}
	p, _ := principalOf(r.Context())
	s.log.Info("sync requested", "by", p.Login, "status", status)
	return status, nil
}

// apiStartSync is POST /api/v1/sync.
// A replica without the sync lock passes the request on to the one that
// holds it (through the database), which starts it within seconds:
// "passed_on".
func (s *Server) apiStartSync(w http.ResponseWriter, r *http.Request) error {
	status, err := s.startSync(w, r)
	if err != nil {
		return err
	}
	return s.writeJSON(w, http.StatusAccepted, map[string]any{"status": status, "progress": "/api/v1/sync"})
}

// syncNow is POST /sync, the button: back to the page, which shows the
// run (or the one already running).
func (s *Server) syncNow(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.startSync(w, r); err != nil {
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusConflict {
			return err
		}
	}
	http.Redirect(w, r, "/sync", http.StatusSeeOther)
	return nil
}

// syncNowForm is the button the sync page shows, when the server runs
// syncs and the reader may start one.
func (s *Server) syncNowForm(r *http.Request, running bool) *templates.SyncNow {
	if s.sync == nil || s.ops == nil || !s.canWrite(r) {
		return nil
	}
	f := &templates.SyncNow{Action: "/sync", Running: running}
	if st, ok := s.sync.(scheduleStatus); ok {
		f.Schedule = scheduleText(st.Status(), s.now(), s.reports.Rules().Location)
	}
	return f
}

// scheduleText says when syncs run: "Syncs every 1h; the next at 14:05."
func scheduleText(st collectors.ScheduleStatus, now time.Time, loc *time.Location) string {
	out := "Syncs every " + shortDuration(st.Interval)
	switch {
	case st.Running:
		out += "; one is running since " + st.Current.Started.In(loc).Format("15:04:05")
	case !st.Next.IsZero():
		out += "; the next at " + st.Next.In(loc).Format("15:04") + " (in " + shortDuration(st.Next.Sub(now)) + ")"
	}
	if st.Last != nil {
		out += fmt.Sprintf("; the last finished at %s", st.Last.Finished.In(loc).Format("15:04:05"))
		if st.Last.Err != nil {
			out += " (it ended early)"
		}
	}
	return out + "."
}

// shortDuration writes 1h, 90m, 45s, 1h30m.
func shortDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	}
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}
