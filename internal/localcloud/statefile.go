package localcloud

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// stateWriter serialises the writes of the plane's state file and lets
// concurrent changes share one (group commit): a change made under the
// plane's lock takes the next generation (Plane.changed), and its caller,
// once it has released the lock, waits in Plane.commit until a write of
// that generation or a later one is on disk. The first waiter writes the
// whole state as it is then, which holds every change made so far; the
// ones that arrive meanwhile wait for it and then, if their change came
// after its snapshot, one of them writes the next. So a put of 1,200
// parameters at 32 at a time costs tens of writes of the state, not 1,200,
// and no put answers before its change is durable.
//
// Only the holder of the token (writing) writes the file, so writes land
// in generation order and an older snapshot never replaces a newer one.
// The token is taken under the plane's lock (beginWrite) and its holder
// never takes that lock again before it gives the token back (endWrite),
// so waiting for the token while holding the plane's lock cannot deadlock.
type stateWriter struct {
	mu      sync.Mutex
	cond    *sync.Cond // broadcast when a write ends
	writing bool       // a write holds the file
	durable uint64     // the newest generation on disk
	failed  uint64     // the generation of the last write that failed
	err     error      // its error
	writes  int        // the writes made, for tests
}

func newStateWriter() *stateWriter {
	w := &stateWriter{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// changed notes a change of the persisted state and returns its
// generation, for commit; callers hold p.mu.
func (p *Plane) changed() uint64 {
	p.gen++
	return p.gen
}

// commit returns once the state of generation gen (or a later one) is on
// disk, writing it when no write already in progress holds it; callers do
// not hold p.mu. It returns the error of the write that should have held
// gen, if that write failed.
func (p *Plane) commit(gen uint64) error {
	w := p.writer
	for {
		w.mu.Lock()
		for w.writing && w.durable < gen {
			w.cond.Wait()
		}
		switch {
		case w.durable >= gen:
			w.mu.Unlock()
			return nil
		case w.err != nil && w.failed >= gen:
			err := w.err
			w.mu.Unlock()
			return err
		}
		w.mu.Unlock()
		// lead: write the state as it is now, gen and every change since
		p.mu.Lock()
		b, at, ok, err := p.beginWrite(gen)
		p.mu.Unlock()
		if !ok {
			continue // another write took gen with it
		}
		if err == nil {
			err = writeStateFile(p.statePath(), b)
		}
		p.endWrite(at, err)
		if err != nil {
			return err
		}
	}
}

// save writes the state now and returns once it is on disk; callers hold
// p.mu. The plane's rarer changes (a region, an image, a database) use it;
// the frequent ones (parameters, groups, balancers, records, PIDs) use
// changed and commit, so that concurrent ones share a write.
func (p *Plane) save() error {
	gen := p.changed()
	b, at, ok, err := p.beginWrite(gen)
	if !ok {
		return nil // cannot happen: gen is new and p.mu is held
	}
	if err == nil {
		err = writeStateFile(p.statePath(), b)
	}
	p.endWrite(at, err)
	return err
}

// beginWrite waits for the write token, then marshals the state and
// returns it with its generation; ok is false (and no token is held) when
// a write of generation need or later is already on disk. Callers hold
// p.mu; one that gets ok calls endWrite.
func (p *Plane) beginWrite(need uint64) (b []byte, gen uint64, ok bool, err error) {
	w := p.writer
	w.mu.Lock()
	for w.writing {
		w.cond.Wait()
	}
	if w.durable >= need {
		w.mu.Unlock()
		return nil, 0, false, nil
	}
	w.writing = true
	w.mu.Unlock()
	b, err = json.MarshalIndent(p.state, "", "  ")
	if err != nil {
		err = fmt.Errorf("control plane state: %w", err)
	}
	return b, p.gen, true, err
}

// endWrite gives the write token back, recording what the write made
// durable or why it failed.
func (p *Plane) endWrite(gen uint64, err error) {
	w := p.writer
	w.mu.Lock()
	w.writing = false
	if err == nil {
		w.durable = max(w.durable, gen)
		w.writes++
	} else {
		w.failed, w.err = gen, err
	}
	w.cond.Broadcast()
	w.mu.Unlock()
}

// writeStateFile replaces path with b atomically and durably: a temporary
// file, synced, renamed over it, and the folder synced.
func writeStateFile(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write control plane state: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write control plane state %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace control plane state %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the rename itself; best effort
		d.Close()
	}
	return nil
}
