package contract

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	tagKeyForm    = regexp.MustCompile(`^(bulwark:[a-z][a-z0-9-]*|[a-z][a-z0-9-]*)$`)
	outputKeyForm = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	typeTokenForm = regexp.MustCompile(`^bulwark:(topology|aws|local):[A-Z][A-Za-z0-9]*$`)
)

// unique fails the test for a name listed twice or not of the form.
func unique(t *testing.T, what string, names []string, form *regexp.Regexp) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s %q is listed twice", what, n)
		}
		seen[n] = true
		if !form.MatchString(n) {
			t.Errorf("%s %q is not of the form %s", what, n, form)
		}
	}
}

func TestTagKeysAreUniqueAndWellFormed(t *testing.T) {
	unique(t, "tag key", TagKeys(), tagKeyForm)
	for _, k := range TagKeys() {
		// AWS: 1-128 characters; aws: is reserved
		if len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			t.Errorf("tag key %q is not one AWS allows", k)
		}
	}
}

func TestOutputKeysAreUniqueAndWellFormed(t *testing.T) {
	unique(t, "regional stack output", RegionalOutputKeys(), outputKeyForm)
	unique(t, "service output", ServiceOutputKeys(), outputKeyForm)
	unique(t, "blue-green output", BlueGreenOutputKeys(), outputKeyForm)
	unique(t, "global stack output", GlobalOutputKeys(), outputKeyForm)
	// a regional stack's own keys and its services' keys share no name, so
	// a reader never mistakes one level for the other
	for _, k := range RegionalOutputKeys() {
		for _, s := range ServiceOutputKeys() {
			if k == s {
				t.Errorf("output %q is both a regional stack's and a service's", k)
			}
		}
	}
}

func TestTypeTokensAreUniqueAndWellFormed(t *testing.T) {
	unique(t, "type token", TypeTokens(), typeTokenForm)
	if LocalType("Region") != TypeLocalRegion {
		t.Errorf("LocalType(Region) = %s", LocalType("Region"))
	}
}

// TestEveryNameIsListed parses this package's sources: each Tag*, Output*
// and Type* constant is in its list, so the checks above see it.
func TestEveryNameIsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, l := range [][]string{TagKeys(), RegionalOutputKeys(), ServiceOutputKeys(), BlueGreenOutputKeys(), GlobalOutputKeys(), TypeTokens()} {
		for _, n := range l {
			listed[n] = true
		}
	}
	fset := token.NewFileSet()
	for _, file := range []string{"tags.go", "outputs.go", "types.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					n := name.Name
					if !strings.HasPrefix(n, "Tag") && !strings.HasPrefix(n, "Output") && !strings.HasPrefix(n, "Type") {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: not a string literal", n)
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if !listed[v] {
						t.Errorf("%s (%q) is in no list", n, v)
					}
				}
			}
		}
	}
}

// contractLiteral reports whether a string literal is one this package
// owns: a bulwark tag key (bulwark:<lower-case-with-hyphens>), a resource
// type token of bulwark's, or a tag key listed here. Other strings that
// start with "bulwark:" (messages, Prometheus recording rules) are not.
func contractLiteral(v string) bool {
	if regexp.MustCompile(`^bulwark:[a-z][a-z0-9-]*$`).MatchString(v) || strings.HasPrefix(v, "bulwark:topology:") ||
		strings.HasPrefix(v, "bulwark:aws:") || strings.HasPrefix(v, "bulwark:local:") {
		return true
	}
	for _, k := range TagKeys() {
		if v == k {
			return true
		}
	}
	return false
}

// TestTheContractIsTheOnePlace scans the repository's Go sources (not
// tests, not testdata) for a tag key or a type token written as a
// literal outside this package: a writer and its reader must name it
// here, or they drift apart unnoticed.
func TestTheContractIsTheOnePlace(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	self, _ := filepath.Abs(".")
	fset := token.NewFileSet()
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || path == self) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		scanned++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && contractLiteral(v) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: %s is the contract's: use internal/contract's name for it", rel, fset.Position(lit.Pos()).Line, lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned %d files: is %s the repository?", scanned, root)
	}
}

func TestContractLiteralTellsKeysFromOtherStrings(t *testing.T) {
	for v, want := range map[string]bool{
		"bulwark:env": true, "bulwark:parameters-digest": true, "managed-by": true, "bulwark:local:Region": true,
		"bulwark:aws:Network": true, "bulwark:topology:Service": true,
		"bulwark: %v\n": false, "bulwark:http_requests:rate": false, "bulwark/dev/shop/database": false, "bulwark": false,
	} {
		if got := contractLiteral(v); got != want {
			t.Errorf("contractLiteral(%q) = %v, want %v", v, got, want)
		}
	}
}
