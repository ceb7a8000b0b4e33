package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Every error the package declares has a wire code, so a client's
// errors.Is matches the sentinel the plane's error wrapped; codes are
// unique.
func TestEverySentinelHasACode(t *testing.T) {
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
	if len(declared) != len(codes) {
		t.Errorf("%d errors declared (%v), %d with a code: give each a code in codes", len(declared), declared, len(codes))
	}
	// each sentinel once: with as many codes as declared errors (above),
	// every declared error then has its code
	sentinels := map[error]bool{}
	for _, c := range codes {
		if sentinels[c.err] {
			t.Errorf("%v has two codes", c.err)
		}
		sentinels[c.err] = true
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c.code] {
			t.Errorf("code %s twice", c.code)
		}
		seen[c.code] = true
		if c.status < 400 {
			t.Errorf("code %s answers %d", c.code, c.status)
		}
	}
	if len(Codes()) != len(codes) {
		t.Errorf("Codes() has %d of %d", len(Codes()), len(codes))
	}
}

// The client turns a failure the plane answers with into an error that
// matches the plane's sentinel with errors.Is and reads as the plane wrote
// it; an error without a code is no sentinel.
func TestTheClientMatchesThePlanesErrors(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "p.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets here:", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := ParseEnvID(strings.TrimPrefix(r.URL.Path, "/v1/monitors/"))
		var err error = fmt.Errorf("monitor %s: boom", id)
		if s, ok := Codes()[string(id)]; ok {
			err = fmt.Errorf("monitor %s: %w", id, s)
		}
		code, f := FailureOf(err)
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(f)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	c := NewClient(sock)
	for code, sentinel := range Codes() {
		_, err := Get(context.Background(), c, Monitors, EnvID(code))
		if !errors.Is(err, sentinel) || err.Error() != fmt.Sprintf("monitor %s: %v", code, sentinel) {
			t.Errorf("code %s: the client's error %v does not match %v", code, err, sentinel)
		}
	}
	_, err = Get(context.Background(), c, Monitors, EnvID("other"))
	for code, sentinel := range Codes() {
		if errors.Is(err, sentinel) {
			t.Errorf("an error without a code matches %s", code)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "monitor other: boom") {
		t.Errorf("an error without a code: %v", err)
	}
}
