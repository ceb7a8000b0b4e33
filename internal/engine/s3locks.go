package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/envlock"
	"github.com/bulwark-dev/bulwark/internal/teamstate"
)

// s3Client is the client of an s3:// backend's bucket, opened once.
func (r *Runner) s3Client(ctx context.Context) (*teamstate.Client, error) {
	r.s3.once.Do(func() { r.s3.c, r.s3.err = teamstate.Open(ctx, r.cfg.Backend) })
	return r.s3.c, r.s3.err
}

// clearLapsedLocks removes a stack's locks in an s3:// backend that an
// update took on the host of a holder of the environment's lease whose
// lease then lapsed (internal/envlock records them), while it held it: a
// `bulwark up` killed there, or whose machine died, left them, and the
// engine would refuse every later update of the stack ("the stack is
// currently locked"). The lease says the holder is gone where a PID
// cannot (the lock may be another machine's). Any other lock is left
// alone: the operation then fails with ErrLocked. It returns what it
// removed.
func (r *Runner) clearLapsedLocks(ctx context.Context, stack string) []string {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	env, _, ok := strings.Cut(stack, ".")
	if !ok {
		return nil
	}
	c, err := r.s3Client(ctx)
	if err != nil {
		return nil
	}
	lapsed, err := envlock.ReadLapsed(ctx, c, env)
	if err != nil || len(lapsed) == 0 {
		return nil
	}
	var notes []string
	// the DIY backend's lock files: .pulumi/locks/organization/<project>/<stack>/<id>.json,
	// and .pulumi/locks/<stack>/<id>.json for a backend without projects
	for _, dir := range []string{path.Join(".pulumi/locks/organization", r.cfg.Project, stack) + "/", ".pulumi/locks/" + stack + "/"} {
		keys, err := c.List(ctx, dir)
		if err != nil {
			continue
		}
		for _, key := range keys {
			if strings.Contains(key[len(dir):], "/") || !strings.HasSuffix(key, ".json") {
				continue
			}
			body, _, err := c.Get(ctx, key)
			if err != nil {
				continue
			}
			var lock struct {
				PID       int       `json:"pid"`
				Hostname  string    `json:"hostname"`
				Timestamp time.Time `json:"timestamp"`
			}
			if json.Unmarshal(body, &lock) != nil {
				continue
			}
			for _, h := range lapsed {
				if lock.Hostname != h.Host || lock.Timestamp.Before(h.Since) || lock.Timestamp.After(h.Expires) {
					continue
				}
				if c.Delete(ctx, key) == nil {
					notes = append(notes, fmt.Sprintf("removed the lock left by update process %d on %s (taken %s) of %s",
						lock.PID, lock.Hostname, lock.Timestamp.Format(time.RFC3339), h))
				}
				break
			}
		}
	}
	return notes
}
