package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// A kind the plane does not know, declared here as a new kind would be in
// localapi: its ID, spec and object types and one Kind value.
type (
	noteID   struct{ Env, Name string }
	noteSpec struct {
		Env  string `json:"env"`
		Name string `json:"name"`
		Text string `json:"text"`
	}
	note struct {
		noteSpec
		Length int `json:"length"`
	}
)

func (id noteID) String() string { return id.Env + "/" + id.Name }

func parseNoteID(s string) (noteID, error) {
	env, name, ok := strings.Cut(s, "/")
	if !ok || env == "" || name == "" || strings.Contains(name, "/") {
		return noteID{}, fmt.Errorf("note %q: %w", s, localapi.ErrBadRequest)
	}
	return noteID{env, name}, nil
}

var (
	notes = localapi.Kind[noteID, noteSpec, note]{Name: "notes",
		ID: func(s noteSpec) noteID { return noteID{s.Env, s.Name} }, Parse: parseNoteID}
	shout = localapi.Action[noteID, localapi.None, note]{Kind: "notes", Name: "shout", Parse: parseNoteID}
)

// noteStore is the kind's server side: its put, get and delete.
type noteStore struct {
	mu    sync.Mutex
	notes map[noteID]note
}

func (s *noteStore) put(_ context.Context, spec noteSpec) (note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := note{noteSpec: spec, Length: len(spec.Text)}
	s.notes[noteID{spec.Env, spec.Name}] = n
	return n, nil
}

func (s *noteStore) get(_ context.Context, id noteID) (note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(id.Name, "fail-") { // a note named after a wire code fails with its sentinel
		code := strings.TrimPrefix(id.Name, "fail-")
		return note{}, fmt.Errorf("note %s: %w", id, localapi.Codes()[code])
	}
	n, ok := s.notes[id]
	if !ok {
		return note{}, fmt.Errorf("note %s: %w", id, localapi.ErrNotFound)
	}
	return n, nil
}

func (s *noteStore) delete(_ context.Context, id noteID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.notes[id]; !ok {
		return fmt.Errorf("note %s: %w", id, localapi.ErrNotFound)
	}
	delete(s.notes, id)
	return nil
}

// servePlane serves a plane's API, and the test kind, on a unix socket and
// returns a client of it.
func servePlane(t *testing.T, store *noteStore) (*Plane, *localapi.Client) {
	t.Helper()
	p, err := NewPlane(t.TempDir(), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	kinds := append(p.kinds(), serveKind(notes, store.put, store.get, store.delete))
	actions := append(p.actions(), serveAction(shout, func(ctx context.Context, id noteID, _ localapi.None) (note, error) {
		n, err := store.get(ctx, id)
		n.Text = strings.ToUpper(n.Text)
		return n, err
	}))
	mux := newMux(kinds, actions)
	sock := filepath.Join(t.TempDir(), "p.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets here:", err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p, localapi.NewClient(sock)
}

// A new kind is its types, one Kind value and one registration: the same
// route and the same generic client serve its PUT, GET and DELETE, and an
// action on it, with no new route or client method.
func TestANewKindIsServedByTheGenericPath(t *testing.T) {
	ctx := context.Background()
	store := &noteStore{notes: map[noteID]note{}}
	_, c := servePlane(t, store)

	n, err := localapi.Put(ctx, c, notes, noteSpec{Env: "dev", Name: "hello", Text: "hi there"})
	if err != nil || n.Length != 8 || n.Text != "hi there" {
		t.Fatalf("put: %+v, %v", n, err)
	}
	id := noteID{"dev", "hello"}
	if got, err := localapi.Get(ctx, c, notes, id); err != nil || got != n {
		t.Fatalf("get: %+v, %v; want %+v", got, err, n)
	}
	if got, err := localapi.Do(ctx, c, shout, id, localapi.None{}); err != nil || got.Text != "HI THERE" {
		t.Fatalf("shout: %+v, %v", got, err)
	}
	if err := localapi.Delete(ctx, c, notes, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := localapi.Get(ctx, c, notes, id); !errors.Is(err, localapi.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if err := localapi.Delete(ctx, c, notes, id); !errors.Is(err, localapi.ErrNotFound) {
		t.Fatalf("delete again: %v, want ErrNotFound", err)
	}
	// an action the kind does not have, and an ID its kind cannot read
	unknown := localapi.Action[noteID, localapi.None, note]{Kind: "notes", Name: "whisper", Parse: parseNoteID}
	if _, err := localapi.Do(ctx, c, unknown, id, localapi.None{}); !errors.Is(err, localapi.ErrBadRequest) {
		t.Errorf("unknown action: %v, want ErrBadRequest", err)
	}
	if _, err := localapi.Get(ctx, c, notes, noteID{"dev", "a/b"}); !errors.Is(err, localapi.ErrBadRequest) {
		t.Errorf("malformed ID: %v, want ErrBadRequest", err)
	}
}

// Every error the plane can answer with matches its sentinel with
// errors.Is on the client's side, and reads as the plane wrote it.
func TestEverySentinelCrossesTheSocket(t *testing.T) {
	ctx := context.Background()
	_, c := servePlane(t, &noteStore{notes: map[noteID]note{}})
	codes := localapi.Codes()
	if len(codes) < 12 {
		t.Fatalf("only %d codes: %v", len(codes), codes)
	}
	for code, sentinel := range codes {
		id := noteID{"dev", "fail-" + code}
		_, err := localapi.Get(ctx, c, notes, id)
		if !errors.Is(err, sentinel) {
			t.Errorf("%s: the client's error %v does not match %v", code, err, sentinel)
		}
		if want := fmt.Sprintf("note %s: %v", id, sentinel); err == nil || err.Error() != want {
			t.Errorf("%s: the client's error reads %q, want %q", code, err, want)
		}
		for other, s := range codes {
			if other != code && errors.Is(err, s) {
				t.Errorf("%s: the client's error also matches %s", code, other)
			}
		}
	}
}

// The plane's own kinds are served by the same route: a parameter (it
// needs no program) is put, read, listed and deleted through the client.
func TestThePlanesKindsAreServedByTheGenericPath(t *testing.T) {
	ctx := context.Background()
	p, c := servePlane(t, &noteStore{notes: map[noteID]note{}})
	spec := localapi.ParameterSpec{Env: "dev", Region: "east", Service: "shop", Name: "GREETING", Value: "hello"}
	if _, err := localapi.Put(ctx, c, localapi.Parameters, spec); err != nil {
		t.Fatal(err)
	}
	if got, err := p.GetParameter(ctx, spec.ID()); err != nil || got != spec {
		t.Fatalf("the plane holds %+v, %v", got, err)
	}
	if got, err := localapi.Get(ctx, c, localapi.Parameters, spec.ID()); err != nil || got != spec {
		t.Fatalf("get: %+v, %v", got, err)
	}
	bad := spec
	bad.Name = "A=B"
	if _, err := localapi.Put(ctx, c, localapi.Parameters, bad); err == nil || !strings.Contains(err.Error(), "without '='") {
		t.Errorf("a bad parameter was stored: %v", err)
	}
	if err := localapi.Delete(ctx, c, localapi.Parameters, spec.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Get(ctx, c, localapi.Parameters, spec.ID()); !errors.Is(err, localapi.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	if _, err := localapi.Get(ctx, c, localapi.Groups, localapi.ServiceID{Env: "dev", Region: "east", Service: "shop"}); !errors.Is(err, localapi.ErrNotFound) {
		t.Errorf("a group the plane does not hold: %v, want ErrNotFound", err)
	}
	// an image's ID is assigned by the plane: its PUT goes to the collection
	missing := filepath.Join(t.TempDir(), "nothing-here")
	if _, err := localapi.Put(ctx, c, localapi.Images, localapi.ImageSpec{Name: "x", Source: missing}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("an image of a missing source: %v, want the plane's error naming it", err)
	}
}

// Every kind and action of localapi is served, once.
func TestEveryKindAndActionIsServed(t *testing.T) {
	p, err := NewPlane(t.TempDir(), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	for _, k := range p.kinds() {
		served[k.name]++
	}
	for _, name := range []string{localapi.Regions.Name, localapi.Images.Name, localapi.Groups.Name, localapi.Balancers.Name,
		localapi.DNSServers.Name, localapi.DNSRecords.Name, localapi.Parameters.Name, localapi.Databases.Name,
		localapi.Backups.Name, localapi.Monitors.Name, localapi.RestoreCopies.Name, localapi.Queues.Name, localapi.Caches.Name, localapi.Links.Name} {
		if served[name] != 1 {
			t.Errorf("kind %s is served %d times", name, served[name])
		}
	}
	actions := map[string]int{}
	for _, a := range p.actions() {
		actions[a.kind+":"+a.name]++
		if served[a.kind] != 1 {
			t.Errorf("action %s acts on %s, which is not a kind", a.name, a.kind)
		}
	}
	for key, n := range actions {
		if n != 1 {
			t.Errorf("action %s is served %d times", key, n)
		}
	}
	if len(actions) != 15 {
		t.Errorf("%d actions served: %v", len(actions), actions)
	}
}

// The state on disk keys objects by their IDs' string forms, as it did
// when IDs were strings: a plane reads a state an older one wrote.
func TestStateOnDiskKeysObjectsByID(t *testing.T) {
	dir := t.TempDir()
	old := `{"regions": {"dev/east": {"env": "dev", "name": "east", "index": 7}},
		"groups": {"dev/east/shop": {"env": "dev", "region": "east", "service": "shop", "port": 8080}},
		"parameters": {"dev/east/shop/GREETING": {"env": "dev", "region": "east", "service": "shop", "name": "GREETING", "value": "hi"}},
		"monitors": {"dev": {"env": "dev"}}, "pids": {}}`
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := NewPlane(dir, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r, err := p.GetRegion(ctx, localapi.RegionID{Env: "dev", Region: "east"}); err != nil || r.Index != 7 {
		t.Errorf("region: %+v, %v", r, err)
	}
	if g := p.state.Groups[localapi.ServiceID{Env: "dev", Region: "east", Service: "shop"}]; g.Port != 8080 {
		t.Errorf("group: %+v", g)
	}
	if got := p.parameterEnv("dev", "east", "shop"); len(got) != 1 || got[0] != "GREETING=hi" {
		t.Errorf("parameters: %v", got)
	}
	p.mu.Lock()
	err = p.save()
	p.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]map[string]json.RawMessage
	b, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for kind, id := range map[string]string{"regions": "dev/east", "groups": "dev/east/shop", "parameters": "dev/east/shop/GREETING", "monitors": "dev"} {
		if _, ok := back[kind][id]; !ok {
			t.Errorf("%s: %s not written as %q: %s", kind, id, id, back[kind])
		}
	}
}
