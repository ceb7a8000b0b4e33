package receipt

import (
	"crypto/sha256"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// fakeState stands in for the engine's file backend: the preview inputs
// it returns are whatever the test sets, and it can fail as a backend the
// receipts cannot read (ErrNoPreviewInputs).
type fakeState struct {
	in  engine.PreviewInputs
	err error
}

func (f *fakeState) PreviewInputs(stack string, reads []string) (engine.PreviewInputs, error) {
	if f.err != nil {
		return engine.PreviewInputs{}, f.err
	}
	in := f.in
	in.States = maps.Clone(f.in.States)
	return in, nil
}

func setup(t *testing.T, trustUp bool) (*Keeper, *fakeState, *topology.Topology, stacks.Ref) {
	t.Helper()
	topo, err := (&topology.Loader{}).LoadFile("../topology/testdata/valid/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	state := &fakeState{in: engine.PreviewInputs{
		Builds:   []string{"/bin/bulwark dev 1 ino 2 size 3 mtime 4 ctime 5.6"},
		States:   map[string][sha256.Size]byte{"dev.east": sha256.Sum256([]byte("state v1"))},
		Settings: []byte("project shopco\n"),
	}}
	k := &Keeper{Book: Open(t.TempDir()), Engine: state, Topology: topo, Project: "shopco", TrustUp: trustUp,
		Now: func() time.Time { return time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC) }}
	return k, state, topo, stacks.Ref{Env: topo.Environment.Name, Region: topo.Regions[0].Name}
}

// answer is a preview's check of ref: its answer, if the receipt holds.
func answer(k *Keeper, ref stacks.Ref) (map[string]int, bool) {
	a, ok := k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Answer()
	return a.Changes, ok
}

// An engine preview that found nothing to change writes a receipt, and the
// next preview is answered from it, with the engine's counts and a step
// per resource; each kind of change a preview must see makes the next
// preview run the engine instead: a changed input, a secret's value, a
// build, the settings, the stack's state, a state the program reads, the
// passphrase.
func TestAPreviewIsAnsweredOnlyWhileNothingItReadsChanged(t *testing.T) {
	k, state, topo, ref := setup(t, false)
	if _, ok := answer(k, ref); ok {
		t.Fatal("a preview was answered before any receipt was written")
	}
	k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Done(map[string]int{"same": 9})
	a, ok := k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Answer()
	if !ok || a.Changes["same"] != 9 || len(a.Changes) != 1 {
		t.Fatalf("after the engine's no-change preview: answered %v, changes %v; want same 9", ok, a.Changes)
	}
	if len(a.Steps) == 0 || a.Steps[0].Op != "same" || a.Note == "" {
		t.Fatalf("the answer has steps %v and note %q", a.Steps, a.Note)
	}

	kinds := []struct {
		name         string
		change, undo func()
	}{
		{"an input", func() { topo.Services[0].Parameters = map[string]string{"LOG_LEVEL": "debug"} }, func() { topo.Services[0].Parameters = nil }},
		{"a secret's value", func() {
			topo.Services[0].SecretParameters = []string{"TOKEN"}
			t.Setenv(topology.SecretParameterEnv(topo.Services[0].Name, "TOKEN"), "b")
		}, func() { t.Setenv(topology.SecretParameterEnv(topo.Services[0].Name, "TOKEN"), "a") }},
		{"a build", func() { state.in.Builds = []string{"/bin/bulwark dev 1 ino 99 size 3 mtime 4 ctime 5.7"} }, func() {}},
		{"the settings", func() { state.in.Settings = []byte("project shopco\nenv GOGC=50\n") }, func() {}},
		{"the stack's state", func() { state.in.States["dev.east"] = sha256.Sum256([]byte("state v2")) }, func() {}},
		{"a state the program reads", func() { state.in.States["dev.west"] = sha256.Sum256([]byte("west v2")) }, func() {}},
		{"the passphrase", func() { state.in.Passphrase = "correct horse" }, func() {}},
	}
	for _, kind := range kinds {
		// the baseline as the engine found it
		kind.undo()
		k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Done(map[string]int{"same": 9})
		if _, ok := answer(k, ref); !ok {
			t.Fatalf("before changing %s: not answered from the receipt just written", kind.name)
		}
		kind.change()
		if changes, ok := answer(k, ref); ok {
			t.Errorf("after changing %s: answered %v from the receipt; the engine must run", kind.name, changes)
		}
	}
}

// Only the engine's finding that nothing changes writes a receipt: a
// preview with a change does not, an up only where the keeper trusts it,
// an up forgets the receipt before it runs, and a backend the receipts
// cannot read answers nothing.
func TestOnlyTheEnginesNoChangeWritesAReceipt(t *testing.T) {
	k, state, _, ref := setup(t, false)
	k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Done(map[string]int{"same": 8, "update": 1})
	if _, ok := answer(k, ref); ok {
		t.Error("a preview that found an update wrote a receipt")
	}
	k.Begin(engine.OpUp, ref, stacks.RunInputs{}, nil).Done(map[string]int{"create": 9})
	if _, ok := answer(k, ref); ok {
		t.Error("an up wrote a receipt although the keeper does not trust ups (aws)")
	}

	k.TrustUp = true
	k.Begin(engine.OpUp, ref, stacks.RunInputs{}, nil).Done(map[string]int{"create": 6, "update": 1, "same": 2, "delete": 3})
	changes, ok := answer(k, ref)
	if !ok || changes["same"] != 9 || len(changes) != 1 {
		t.Errorf("after a trusted up of create 6, update 1, same 2, delete 3: answered %v with %v; want same 9", ok, changes)
	}

	up := k.Begin(engine.OpUp, ref, stacks.RunInputs{}, nil) // an up starts, and fails: no Done
	_ = up
	if _, ok := answer(k, ref); ok {
		t.Error("a preview was answered from the receipt of before an up that did not finish")
	}

	k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Done(map[string]int{"same": 9})
	state.err = engine.ErrNoPreviewInputs
	if _, ok := answer(k, ref); ok {
		t.Error("answered although the preview's inputs cannot be read")
	}
}

// The key is the receipts' own: made once, only its owner may read it, and
// one readable by others is refused (no receipt answers).
func TestTheKeyIsPrivate(t *testing.T) {
	k, _, _, ref := setup(t, false)
	k.Begin(engine.OpPreview, ref, stacks.RunInputs{}, nil).Done(map[string]int{"same": 9})
	key := filepath.Join(k.Book.dir, keyFile)
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key %s: %v, %v", key, fi, err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := Open(k.Book.dir)
	if _, err := fresh.Fingerprint("dev.east", nil, engine.PreviewInputs{}); !errors.Is(err, ErrKey) {
		t.Errorf("a key others can read: %v, want ErrKey", err)
	}
}
