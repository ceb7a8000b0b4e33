package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// fileBackend is the folder of a file backend (ok false for another kind).
func (r *Runner) fileBackend() (root string, ok bool) {
	u, err := url.Parse(r.cfg.Backend)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	return u.Path, true
}

// stateFile is where a file backend keeps a stack's state, with a suffix
// (".json", ".json.gz", ".json.bak"...).
func (r *Runner) stateFile(root, stack, suffix string) string {
	return filepath.Join(root, ".pulumi", "stacks", r.cfg.Project, stack+suffix)
}

// repairAfterCrash undoes what a killed update can leave in a file backend
// that would stop the next one: a lock whose process is gone, and a state
// file's metadata sidecar (.attrs, which the backend's storage layer
// truncates and then writes, not atomically) left empty or cut short, which
// fails every later read of the stack with "failed to load checkpoint:
// EOF". A missing sidecar is read as the defaults, so removing a broken one
// loses nothing. It returns what it did.
func (r *Runner) repairAfterCrash(ctx context.Context, stack string) []string {
	notes := r.clearStaleLocks(ctx, stack)
	root, ok := r.fileBackend()
	if !ok {
		return notes
	}
	for _, name := range []string{".json", ".json.gz", ".json.bak", ".json.gz.bak"} {
		attrs := r.stateFile(root, stack, name+".attrs")
		b, err := os.ReadFile(attrs)
		if err != nil || json.Valid(b) {
			continue
		}
		if os.Remove(attrs) == nil {
			notes = append(notes, fmt.Sprintf("removed %s, the metadata of the stack's state, which an interrupted write left broken (%d bytes)", filepath.Base(attrs), len(b)))
		}
	}
	return notes
}

// clearStaleLocks removes a stack's locks left in a file backend by an
// update whose process died on this machine (a kill -9, a power loss): its
// lock names the host and the PID of the pulumi process that took it. A
// lock of another host, or of a process that runs, is left alone (the
// operation then fails with ErrLocked). In an s3:// backend it removes
// those that lapsed holders of the environment's lease left
// (clearLapsedLocks). It returns what it removed.
func (r *Runner) clearStaleLocks(ctx context.Context, stack string) []string {
	if strings.HasPrefix(r.cfg.Backend, "s3://") {
		return r.clearLapsedLocks(ctx, stack)
	}
	root, ok := r.fileBackend()
	if !ok {
		return nil
	}
	host, err := os.Hostname()
	if err != nil {
		return nil
	}
	locks := filepath.Join(root, ".pulumi", "locks")
	files, _ := filepath.Glob(filepath.Join(locks, "*", r.cfg.Project, stack, "*.json"))
	legacy, _ := filepath.Glob(filepath.Join(locks, stack, "*.json"))
	var notes []string
	for _, f := range append(files, legacy...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var lock struct {
			PID       int       `json:"pid"`
			Hostname  string    `json:"hostname"`
			Timestamp time.Time `json:"timestamp"`
		}
		if json.Unmarshal(b, &lock) != nil || lock.Hostname != host || lock.PID <= 0 || processRuns(lock.PID) {
			continue
		}
		if os.Remove(f) == nil {
			_ = os.Remove(f + ".attrs") // the file backend's sidecar of the lock
			notes = append(notes, fmt.Sprintf("removed the lock left by update process %d (taken %s), which no longer runs", lock.PID, lock.Timestamp.Format(time.RFC3339)))
		}
	}
	return notes
}

// inFileBackend reports whether a stack exists, when the backend is a file
// backend (known): it keeps a stack as .pulumi/stacks/<project>/<stack>.json
// (gzipped: .json.gz), so a look at the folder answers, not a CLI run.
func (r *Runner) inFileBackend(stack string) (exists, known bool) {
	root, ok := r.fileBackend()
	if !ok {
		return false, false
	}
	for _, suffix := range []string{".json", ".json.gz"} {
		if _, err := os.Stat(r.stateFile(root, stack, suffix)); err == nil {
			return true, true
		}
	}
	return false, true
}

// StateOutputs reads a stack's outputs from a file backend's state, without
// the CLI (ok is false when the backend is not a file backend, the stack has
// no state, or an output is secret: those take the CLI, which decrypts).
// The global stack's program gets its regions' outputs so on the local
// target: reading them through stack references costs the engine a key
// derivation of the passphrase secrets manager per region.
func (r *Runner) StateOutputs(stack string) (map[string]any, bool) {
	resources, ok := r.checkpointResources(stack)
	if !ok {
		return nil, false
	}
	for _, res := range resources {
		if res.Type == "pulumi:pulumi:Stack" {
			if hasSecret(res.Outputs) {
				return nil, false
			}
			if res.Outputs == nil {
				res.Outputs = map[string]any{}
			}
			return res.Outputs, true
		}
	}
	return nil, false
}

// StateResources counts the resources a stack's state holds, read from a
// file backend without the CLI (ok false: another backend, or no state
// the runner can read). A stack an earlier destroy emptied holds none.
func (r *Runner) StateResources(stack string) (int, bool) {
	resources, ok := r.checkpointResources(stack)
	return len(resources), ok
}

// checkpointResource is what the runner reads of a resource in a
// stack's checkpoint.
type checkpointResource struct {
	Type    string         `json:"type"`
	Outputs map[string]any `json:"outputs"`
}

// checkpointResources are the resources of a stack's checkpoint in a file
// backend (ok false: another backend, a stack without state, or a
// compressed one, which the CLI reads).
func (r *Runner) checkpointResources(stack string) ([]checkpointResource, bool) {
	root, ok := r.fileBackend()
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(r.stateFile(root, stack, ".json"))
	if err != nil {
		return nil, false
	}
	var state struct {
		Checkpoint struct {
			Latest struct {
				Resources []checkpointResource `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if json.Unmarshal(b, &state) != nil {
		return nil, false
	}
	return state.Checkpoint.Latest.Resources, true
}

// hasSecret reports whether a value from a state file holds a secret (or
// another of the engine's special values, all marked by sig.Key).
func hasSecret(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[sig.Key]; ok {
			return true
		}
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasSecret(e) {
				return true
			}
		}
	}
	return false
}

// knownStacks is a workspace that selects a stack the file backend already
// holds without running the CLI: every operation names its stack
// (--stack), so selecting one only checks that it exists, and a CLI run
// per stack and operation costs a few hundred milliseconds of CPU.
type knownStacks struct {
	auto.Workspace
	r *Runner
}

func (k knownStacks) SelectStack(ctx context.Context, stack string) error {
	if exists, _ := k.r.inFileBackend(stack); exists {
		return nil
	}
	return k.Workspace.SelectStack(ctx, stack)
}

// processRuns reports whether a process with that PID exists.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
