package localcloud

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// managed is the one long-running process of a load balancer, DNS server or
// database: started by the plane, or adopted from a previous plane by its
// recorded PID, and never restarted behind the user's back (a dead one is
// drift, repaired by the next Put).
type managed struct {
	mu   sync.Mutex
	proc *process
}

// adoptRecorded adopts the process recorded under name, if none runs yet and
// the recorded one is alive and runs program; callers hold m.mu.
func (m *managed) adoptRecorded(p *Plane, name, program string, term syscall.Signal) {
	if m.proc != nil {
		return
	}
	m.adoptRecordedPID(p.recordedPID(name), program, term)
}

// adoptRecordedPID adopts pid if none runs yet and pid is alive and runs
// program; callers hold m.mu.
func (m *managed) adoptRecordedPID(pid int, program string, term syscall.Signal) {
	if m.proc != nil || pid == 0 {
		return
	}
	if proc, ok := adopt(pid, program); ok {
		proc.term = term
		m.proc = proc
	}
}

// pid is the process's PID (0 if never started) and whether it runs.
func (m *managed) pid() (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return 0, false
	}
	return m.proc.PID, m.proc.running()
}

// stop stops the process, waiting up to grace before killing it.
func (m *managed) stop(grace time.Duration) {
	m.mu.Lock()
	proc := m.proc
	m.mu.Unlock()
	if proc != nil {
		_ = proc.stop(grace)
	}
}

// lookup finds an object's runner by ID under the plane's lock.
func lookup[K localapi.ID, T any](p *Plane, objects map[K]T, kind string, id K) (T, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := objects[id]
	if !ok {
		var zero T
		return zero, fmt.Errorf("%s %s: %w", kind, id, localapi.ErrNotFound)
	}
	return o, nil
}

// register returns the runner of id (created by create when there is none)
// and records its spec in the persisted state, under the plane's lock.
func register[K localapi.ID, R any, S any](p *Plane, runners map[K]R, specs map[K]S, id K, spec S, create func() R) (R, bool, error) {
	p.mu.Lock()
	r, exists := runners[id]
	if !exists {
		r = create()
		runners[id] = r
	}
	specs[id] = spec
	gen := p.changed()
	p.mu.Unlock()
	return r, exists, p.commit(gen)
}

// forget removes id's runner and spec, returning the runner and its spec if
// there was one; the caller stops it.
func forget[K localapi.ID, R any, S any](p *Plane, runners map[K]R, specs map[K]S, id K) (R, S, bool, error) {
	p.mu.Lock()
	r, ok := runners[id]
	spec := specs[id]
	delete(runners, id)
	delete(specs, id)
	gen := p.changed()
	p.mu.Unlock()
	return r, spec, ok, p.commit(gen)
}

// inRegion lists the values of m whose ID lies in region rid, in no
// particular order; callers hold the plane's lock.
func inRegion[V any](m map[localapi.ServiceID]V, rid localapi.RegionID) []V {
	var out []V
	for id, v := range m {
		if id.RegionID() == rid {
			out = append(out, v)
		}
	}
	return out
}

// idsInRegion lists the IDs of m that lie in region rid; callers hold the
// plane's lock.
func idsInRegion[V any](m map[localapi.ServiceID]V, rid localapi.RegionID) []localapi.ServiceID {
	var out []localapi.ServiceID
	for id := range m {
		if id.RegionID() == rid {
			out = append(out, id)
		}
	}
	return out
}
