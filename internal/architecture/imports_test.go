package architecture

// The rules here are ARCHITECTURE.md's "Imports that must never exist";
// change both together.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/bulwark-dev/bulwark"

// levels places every package of the module on the flow (ARCHITECTURE.md,
// "Levels"): a package imports only packages of a strictly lower level, so
// nothing imports upward and packages of one level never import each other.
// A new package gets a line here and in ARCHITECTURE.md.
var levels = [][]string{
	// 0: vocabulary and utilities: import no bulwark package.
	{"internal/contract", "internal/clock", "internal/steps", "internal/pgbin",
		"internal/imagemanifest", "internal/envgen", "internal/architecture", "internal/teamstate/s3url", "internal/hostile",
		"internal/pricing", "pricing/aws"},
	// 1: the model, the local control plane's wire API, the team state's
	// object store client, and the test doubles.
	{"internal/topology", "internal/localapi", "internal/awsfake", "internal/pgtest", "internal/teamstate"},
	// 2: read from the model; the environment lock (on the object store
	// for team state).
	{"internal/slo", "internal/project", "internal/layers", "internal/envlock", "internal/teamstate/miniotest"},
	// 3: the targets' runtimes (the local control plane, the AWS operator
	// steps) and the engine's driver (which clears a lapsed holder's locks).
	{"internal/localcloud", "internal/awsrunbook", "internal/engine"},
	// 4: the targets' modules and the local provider plugin.
	{"modules/aws", "modules/local", "internal/localprovider"},
	// 5: the program.
	{"stacks"},
	// 6: planning and running the program.
	{"internal/plan", "internal/orchestrate", "internal/drift"},
	// 7: judging a plan: its policies, its API constraints, its monthly
	// bill, and whether a preview needs the engine (its receipts).
	{"policies", "internal/awsconstraints", "internal/cost", "internal/receipt"},
	// 8: operations.
	{"internal/drill", "internal/status", "internal/review", "internal/imagerelease", "internal/ladder"},
	// 9: what the operations need of a target, and the game day (drills
	// in turn through its caller's callbacks).
	{"internal/target", "internal/gameday", "internal/calibration"},
	// 10: each target's seam.
	{"internal/awstarget", "internal/localtarget"},
	// 11: commands.
	{"cmd/bulwark", "cmd/pulumi-program", "cmd/pulumi-resource-bulwark",
		"bench", "bench/scalestack", "images/shop"},
}

var levelNames = []string{
	"vocabulary and utilities", "the model and test doubles", "read from the model",
	"target runtimes", "target modules", "the program", "planning and running",
	"judging a plan", "operations", "the target seam's interface", "the targets' seams", "commands",
}

// targets lists the packages that belong to one target; every other package
// is target-neutral.
var targets = map[string][]string{
	"aws": {"modules/aws", "internal/awsrunbook", "internal/awsfake",
		"internal/awsconstraints", "internal/imagerelease", "internal/awstarget"},
	"local": {"modules/local", "internal/localcloud", "internal/localapi", "internal/localprovider",
		"internal/localtarget", "cmd/pulumi-resource-bulwark"},
}

// seams are the target-neutral packages' imports of a target's package that
// are there by design.
var seams = map[edge]string{
	{"stacks", "modules/aws"}:               "the program picks each target's modules by the environment's target",
	{"stacks", "modules/local"}:             "the program picks each target's modules by the environment's target",
	{"cmd/bulwark", "internal/awstarget"}:   "the CLI picks the environment's target by name (cmd/bulwark/target.go)",
	{"cmd/bulwark", "internal/localtarget"}: "the CLI picks the environment's target by name (cmd/bulwark/target.go)",
	{"bench", "internal/localcloud"}:        "the benchmarks measure the local target's control plane",
	{"bench", "internal/localapi"}:          "the benchmarks measure the local target's control plane through its API",
}

// knownExceptions are imports that break the target rule today and are to
// be removed. The test fails when one of them no longer exists: delete its
// line here and in ARCHITECTURE.md.
var knownExceptions = map[edge]string{}

// Packages that only tests may import.
var testOnly = []string{"internal/awsfake", "internal/pgtest", "internal/hostile", "internal/teamstate/miniotest"}

// What the AWS fakes may import, tests included: they behave as AWS's API
// references say, never as the code they serve (awsrunbook, imagerelease,
// the modules) expects.
var fakeMayImport = map[string][]string{"internal/awsfake": {"internal/clock"}}

// The topology is what the environment file said: it knows the names
// (contract) and the image manifests the file refers to, nothing else.
var topologyMayImport = []string{"internal/contract", "internal/imagemanifest"}

// Packages that declare or judge resources: they run under the engine or
// under Pulumi mocks and never drive the engine, order stacks or run
// Terraform.
var programPackages = []string{"stacks", "modules/aws", "modules/local",
	"internal/plan", "policies", "internal/awsconstraints"}
var drivers = []string{"internal/engine", "internal/orchestrate", "internal/layers"}

// What a target's modules may import besides their own target's packages.
var modulesMayImport = []string{"internal/contract", "internal/topology",
	"internal/imagemanifest", "internal/slo"}

type edge struct{ from, to string }

func (e edge) String() string { return e.from + " -> " + e.to }

type pkg struct {
	ImportPath   string
	Name         string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// graph is the module's packages and their imports of each other, keyed by
// path relative to the module (cmd/bulwark), from the default build and the
// aws build tag together.
type graph struct {
	pkgs map[string]*pkg
	// imports: non-test imports; testImports: those of _test.go files.
	imports, testImports map[string]map[string]bool
	// errs are the packages go list could not load (an import cycle, a
	// syntax error); their imports are still in the graph.
	errs []string
}

var (
	loadOnce sync.Once
	loaded   *graph
	loadErr  error
)

func load(t *testing.T) *graph {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = list() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func list() (*graph, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	g := &graph{pkgs: map[string]*pkg{}, imports: map[string]map[string]bool{}, testImports: map[string]map[string]bool{}}
	for _, tags := range []string{"", "aws"} {
		cmd := exec.Command("go", "list", "-e", "-tags="+tags,
			"-json=ImportPath,Name,Dir,Imports,TestImports,XTestImports,Error", "./...")
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list in %s: %v\n%s", root, err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p pkg
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("go list output: %v", err)
			}
			if p.Error != nil {
				g.errs = append(g.errs, fmt.Sprintf("%s (tags %q): %s", p.ImportPath, tags, p.Error.Err))
			}
			name, ok := rel(p.ImportPath)
			if !ok {
				continue
			}
			if g.pkgs[name] == nil {
				g.pkgs[name] = &p
				g.imports[name] = map[string]bool{}
				g.testImports[name] = map[string]bool{}
			}
			add(g.imports[name], p.Imports)
			add(g.testImports[name], p.TestImports)
			add(g.testImports[name], p.XTestImports)
			delete(g.testImports[name], name) // an external test imports its package
		}
	}
	if len(g.pkgs) == 0 {
		return nil, fmt.Errorf("go list in %s found no package of %s", root, module)
	}
	return g, nil
}

func rel(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	return strings.CutPrefix(path, module+"/")
}

func add(into map[string]bool, paths []string) {
	for _, p := range paths {
		if r, ok := rel(p); ok {
			into[r] = true
		}
	}
}

// edges are the graph's non-test imports, sorted.
func (g *graph) edges() []edge {
	var es []edge
	for from, tos := range g.imports {
		for to := range tos {
			es = append(es, edge{from, to})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].String() < es[j].String() })
	return es
}

func levelOf() map[string]int {
	m := map[string]int{}
	for l, ps := range levels {
		for _, p := range ps {
			m[p] = l
		}
	}
	return m
}

func targetOf(p string) string {
	for t, ps := range targets {
		if slices.Contains(ps, p) {
			return t
		}
	}
	return ""
}

func TestEveryPackageLoads(t *testing.T) {
	for _, e := range load(t).errs {
		t.Errorf("go list: %s", e)
	}
}

func TestEveryPackageIsOnALevel(t *testing.T) {
	g, lv := load(t), levelOf()
	for p := range g.pkgs {
		if _, ok := lv[p]; !ok {
			t.Errorf("package %s is on no level of the flow: add it to levels here and to ARCHITECTURE.md", p)
		}
	}
	for p := range lv {
		if g.pkgs[p] == nil {
			t.Errorf("levels lists %s, which no longer exists: remove it here and from ARCHITECTURE.md", p)
		}
	}
	for _, ps := range targets {
		for _, p := range ps {
			if g.pkgs[p] == nil {
				t.Errorf("targets lists %s, which no longer exists", p)
			}
		}
	}
}

func TestNothingImportsUpTheFlow(t *testing.T) {
	g, lv := load(t), levelOf()
	for _, e := range g.edges() {
		if g.pkgs[e.to].Name == "main" {
			t.Errorf("%s: nothing imports a command", e)
		}
		from, ok1 := lv[e.from]
		to, ok2 := lv[e.to]
		if ok1 && ok2 && to >= from {
			t.Errorf("%s: a package of level %d (%s) imports one of level %d (%s); imports go only to lower levels",
				e, from, levelNames[from], to, levelNames[to])
		}
	}
}

func TestTopologyImportsOnlyTheNamesAndManifests(t *testing.T) {
	g := load(t)
	for to := range g.imports["internal/topology"] {
		if !slices.Contains(topologyMayImport, to) {
			t.Errorf("%s: the topology imports only %v", edge{"internal/topology", to}, topologyMayImport)
		}
	}
}

func TestTheProgramNeverDrivesTheEngine(t *testing.T) {
	g := load(t)
	for _, e := range g.edges() {
		if slices.Contains(programPackages, e.from) && slices.Contains(drivers, e.to) {
			t.Errorf("%s: what declares or judges resources never drives the engine, orders stacks or runs Terraform", e)
		}
	}
}

func TestModulesImportOnlyTheModelAndTheirTarget(t *testing.T) {
	g := load(t)
	for _, e := range g.edges() {
		if !strings.HasPrefix(e.from, "modules/") {
			continue
		}
		if slices.Contains(modulesMayImport, e.to) || targetOf(e.to) == targetOf(e.from) {
			continue
		}
		t.Errorf("%s: a target's modules import only %v and their own target's packages", e, modulesMayImport)
	}
}

func TestPoliciesDoNotImportTheModules(t *testing.T) {
	g := load(t)
	for _, from := range []string{"policies", "internal/awsconstraints"} {
		for to := range g.imports[from] {
			if to == "stacks" || strings.HasPrefix(to, "modules/") {
				t.Errorf("%s: policies judge the planned graph, not the code that declares it", edge{from, to})
			}
		}
	}
}

func TestTestDoublesOnlyInTests(t *testing.T) {
	g := load(t)
	for _, e := range g.edges() {
		if slices.Contains(testOnly, e.to) {
			t.Errorf("%s: %s is for tests only (import it from _test.go files)", e, e.to)
		}
	}
}

func TestFakesDoNotImportWhatTheyFakeFor(t *testing.T) {
	g := load(t)
	for fake, may := range fakeMayImport {
		for _, tos := range []map[string]bool{g.imports[fake], g.testImports[fake]} {
			for to := range tos {
				if !slices.Contains(may, to) {
					t.Errorf("%s: a fake (tests included) imports only %v, never the code it serves", edge{fake, to}, may)
				}
			}
		}
	}
}

func TestTargetsStayInTheirPackages(t *testing.T) {
	g := load(t)
	for _, e := range g.edges() {
		ft, tt := targetOf(e.from), targetOf(e.to)
		switch {
		case tt == "" || ft == tt:
		case ft != "":
			t.Errorf("%s: a package of the %s target imports one of the %s target", e, ft, tt)
		case seams[e] != "" || knownExceptions[e] != "":
		default:
			t.Errorf("%s: a target-neutral package imports a package of the %s target; go through the target's seam (ARCHITECTURE.md)", e, tt)
		}
	}
}

func TestKnownExceptionsStillExist(t *testing.T) {
	g := load(t)
	for _, list := range []map[edge]string{seams, knownExceptions} {
		for e := range list {
			if !g.imports[e.from][e.to] {
				t.Errorf("%s is listed as a seam or known exception but no longer exists: delete it here and from ARCHITECTURE.md", e)
			}
		}
	}
}

func TestEveryPackageHasADocGo(t *testing.T) {
	g := load(t)
	for name, p := range g.pkgs {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, "doc.go"), nil, parser.PackageClauseOnly|parser.ParseComments)
		if errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s has no doc.go saying what it is and what it is not", name)
			continue
		} else if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "Command "
		}
		if f.Doc == nil || !strings.HasPrefix(f.Doc.Text(), want) {
			t.Errorf("%s/doc.go: the package comment starts %q", name, want)
		}
	}
}
