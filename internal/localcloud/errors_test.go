package localcloud

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The errors that cross the API are declared in localapi, with their wire
// codes (its TestEverySentinelHasACode); the plane declares only those
// that never leave it. One declared here would not match with errors.Is
// on a client's side.
func TestOnlyLocalErrorsAreDeclaredHere(t *testing.T) {
	localOnly := map[string]bool{"ErrAlreadyRunning": true, "ErrNoCredentials": true} // ErrNoCredentials: read by the monitor and the instances, inside the plane
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
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
					if strings.HasPrefix(name.Name, "Err") && ast.IsExported(name.Name) && !localOnly[name.Name] {
						t.Errorf("%s: %s is declared here: declare it in localapi with a wire code, or list it here if it never leaves the plane", f, name.Name)
					}
				}
			}
			return true
		})
	}
}
