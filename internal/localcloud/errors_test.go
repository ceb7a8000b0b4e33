package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every error the package declares crosses the API with its kind, so that
// errors.Is on the client's side matches what the plane returned: one
// declared without a kind fails here.
func TestEveryErrorCrossesTheAPI(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	var declared []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok {
				for _, name := range v.Names {
					if strings.HasPrefix(name.Name, "Err") && ast.IsExported(name.Name) {
						declared = append(declared, name.Name)
					}
				}
			}
			return true
		})
	}
	if len(declared) < 10 {
		t.Fatalf("found only %v", declared)
	}
	byName := map[string]error{
		"ErrNotFound": ErrNotFound, "ErrNoAddresses": ErrNoAddresses, "ErrPortInUse": ErrPortInUse, "ErrAlreadyRunning": ErrAlreadyRunning,
		"ErrNotReady": ErrNotReady, "ErrMissingProgram": ErrMissingProgram, "ErrProtected": ErrProtected, "ErrSplitBrain": ErrSplitBrain,
		"ErrRolledBack": ErrRolledBack, "ErrPartitionUnsupported": ErrPartitionUnsupported, "ErrLivePrimary": ErrLivePrimary, "ErrNoBackup": ErrNoBackup,
	}
	for _, name := range declared {
		target, ok := byName[name]
		if !ok {
			t.Errorf("%s is new: add it to this test's list, and to errorKinds unless it never leaves the plane", name)
			continue
		}
		if slices.Contains(localOnlyErrors, target) {
			continue
		}
		kinded := false
		for _, e := range errorKinds {
			kinded = kinded || e == target
		}
		if !kinded {
			t.Errorf("%s has no kind in errorKinds: a client cannot match it with errors.Is", name)
		}
	}
}

// The client turns an error the plane answers with into one that matches
// the plane's own with errors.Is.
func TestClientMatchesThePlanesErrors(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "p.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets here:", err)
	}
	kind := ""
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(apiError{Error: "from the plane", Kind: kind})
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); _ = os.Remove(sock) })
	c := NewClient(dir)
	c.http = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for k, target := range errorKinds {
		kind = k
		err := c.do(context.Background(), http.MethodGet, "/v1/status", nil, nil)
		if !errors.Is(err, target) {
			t.Errorf("kind %s: the client's error %v does not match %v", k, err, target)
		}
	}
}
