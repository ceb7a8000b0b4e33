package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/review"
	"github.com/bulwark-dev/bulwark/internal/target"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// fixtureSide plans one side of a review fixture: plan.json as written, or
// a small project (environments/*.hcl, images/) planned in process.
func fixtureSide(t *testing.T, dir, label string) *review.Side {
	t.Helper()
	if doc, err := os.ReadFile(filepath.Join(dir, "plan.json")); err == nil {
		s, err := review.ParseSide(label, doc)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	project := t.TempDir()
	if err := os.CopyFS(project, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	pulumiYAML, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "Pulumi.yaml"), pulumiYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	// the local target's image is the shop program: its folder must be there
	if err := os.MkdirAll(filepath.Join(project, "images", "shop"), 0o755); err != nil {
		t.Fatal(err)
	}
	// the bill's prices: the project's shipped extract
	if err := os.CopyFS(filepath.Join(project, "pricing", "aws"), os.DirFS("../../pricing/aws")); err != nil {
		t.Fatal(err)
	}
	envs := environmentNames(project)
	if len(envs) != 1 {
		t.Fatalf("%s: want one environment, have %v", dir, envs)
	}
	var errOut bytes.Buffer
	r := &reviewer{working: project, errOut: &errOut}
	s, code := r.side(context.Background(), revision{label: label, dir: project, inProcess: true}, envs[0])
	if code != exitOK {
		t.Fatalf("%s: plan exit %d:\n%s", dir, code, errOut.String())
	}
	return s
}

// Golden reviews over fixture pairs: testdata/review/<case>/{base,head}
// against expected.md (rewrite with -update).
func TestReviewGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/review/*")
	if err != nil || len(cases) < 7 {
		t.Fatalf("fixtures: %v %v", cases, err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			base, head := fixtureSide(t, filepath.Join(dir, "base"), "base"), fixtureSide(t, filepath.Join(dir, "head"), "head")
			rv := review.Diff(base, head, targetNamed(topology.Target(head.Target), target.Options{}).ReplaceKeys)
			losses := reviewDataLoss(base, head, rv)
			got := reviewMarkdown([]reviewed{{Review: rv, DataLoss: losses}})
			golden := filepath.Join(dir, "expected.md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("review differs from %s (go test ./cmd/bulwark -run TestReviewGolden -update):\n%s", golden, got)
			}
			checkReviewCase(t, filepath.Base(dir), rv, losses, got)
		})
	}
}

// checkReviewCase states what each fixture is for, so a regenerated golden
// file cannot quietly lose it.
func checkReviewCase(t *testing.T, name string, rv *review.Review, losses []plan.DataLoss, md string) {
	t.Helper()
	n := rv.Counts()
	if name != "replacement" && name != "copy-to-dropped" && len(losses) > 0 {
		t.Errorf("%s destroys no data, yet the review says it does: %+v", name, losses)
	}
	switch name {
	case "copy-to-dropped":
		// prod keeps its backups in us-west-2 only: eu-west-1's vault goes,
		// with its recovery points, and the key that encrypts them
		var lost []string
		for _, l := range losses {
			lost = append(lost, l.Stack+" "+l.Op+" "+l.Type+": "+l.Lost)
		}
		want := []string{
			"prod.eu-west-1 delete aws:backup/vault:Vault: the recovery points in backup vault bulwark-prod-shop in eu-west-1",
			`prod.eu-west-1 delete aws:kms/key:Key: what KMS key "bulwark-prod-shop backups in eu-west-1" in eu-west-1 encrypts: unreadable once its 30-day deletion window ends`,
		}
		if strings.Join(lost, "\n") != strings.Join(want, "\n") {
			t.Errorf("data lost:\n%s\nwant:\n%s", strings.Join(lost, "\n"), strings.Join(want, "\n"))
		}
		first := strings.Index(md, "### Data that this change would destroy")
		if first < 0 || first > strings.Index(md, "### bulwark review") || !strings.Contains(md, "--allow-data-loss") {
			t.Errorf("the warning does not come first, or does not name the flag:\n%s", md)
		}
	case "replacement":
		// moving the primary replaces both members of the database and
		// deletes east's backup plan, with the backups in west's vault
		var lost []string
		for _, l := range losses {
			lost = append(lost, l.Stack+" "+l.Op+" "+l.Type)
		}
		if strings.Join(lost, ", ") != "dev.east delete bulwark:local:BackupPlan, dev.east replace bulwark:local:Database, dev.west replace bulwark:local:Database" {
			t.Errorf("data lost: %v", lost)
		}
		var replaced []string
		for _, s := range rv.Stacks {
			for _, c := range s.Changes {
				if c.Action == review.Replace {
					replaced = append(replaced, s.Stack+" "+c.Type)
				}
			}
		}
		if len(replaced) == 0 || !strings.Contains(md, "`primary` (forces replacement)") {
			t.Errorf("moving the primary replaces no database: %v", replaced)
		}
	case "new-violation":
		if len(rv.Policies.New) == 0 || rv.Policies.New[0].Policy != "min-capacity" || n[review.Update] == 0 {
			t.Errorf("new violations %+v, changes %v", rv.Policies.New, n)
		}
	case "rto-change":
		changed := false
		for _, e := range rv.Estimates {
			changed = changed || e.Disruption == "region" && e.Before != nil && e.After != nil && e.After.RTOSeconds > e.Before.RTOSeconds
		}
		if !changed {
			t.Errorf("a longer TTL changes no region RTO: %+v", rv.Estimates)
		}
	case "secret":
		for _, leak := range []string{"correct-horse", "tr0ub4dor", "s3cr3t"} {
			if strings.Contains(md, leak) {
				t.Errorf("the review shows a secret (%s)", leak)
			}
		}
		b, _ := json.Marshal(rv)
		if strings.Contains(string(b), "tr0ub4dor") || strings.Contains(string(b), "s3cr3t") {
			t.Error("the JSON review shows a secret")
		}
		if !strings.Contains(md, "`backupRetentionPeriod`") || !strings.Contains(md, "*(secret, changed)*") {
			t.Errorf("the review should show the plain change and say the secrets changed:\n%s", md)
		}
	case "image":
		if len(rv.Images) != 1 || rv.Images[0].SameBuild || rv.Images[0].BuildAfter != "shop-42" {
			t.Errorf("images: %+v", rv.Images)
		}
		if !strings.Contains(md, "Not every region gets the same build") {
			t.Error("the comment does not warn that us-west-2 keeps the old build")
		}
	case "layer":
		var layerChanges []string
		for _, s := range rv.Stacks {
			if s.Stack == review.LayerStack("bootstrap") {
				for _, c := range s.Changes {
					layerChanges = append(layerChanges, c.Action+" "+c.Name)
				}
			}
		}
		if strings.Join(layerChanges, ", ") != "create terraform_data.lock_table, update terraform_data.state_bucket" {
			t.Errorf("the Terraform layer's changes: %v", layerChanges)
		}
	default:
		t.Errorf("fixture %s: say what it is for in checkReviewCase", name)
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// End to end on a real temporary git repository: an environments-only
// project (the Go programs are bulwark's own) reviewed against a commit,
// the working tree and another commit.
func TestReviewGitRepository(t *testing.T) {
	repo := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "environments/dev.hcl", "environments/dev-async.hcl", "images/shop/main.go", "layers/bootstrap/main.tf"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		_ = os.MkdirAll(filepath.Join(repo, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(repo, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(repo, "pricing", "aws"), os.DirFS("../../pricing/aws")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, repo, "init", "-q", "-b", "main")
	gitIn(t, repo, "add", ".")
	gitIn(t, repo, "commit", "-q", "-m", "base")
	bulwark := func(args ...string) (int, string, string) {
		wd, _ := os.Getwd()
		if err := os.Chdir(repo); err != nil {
			t.Fatal(err)
		}
		defer os.Chdir(wd)
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	// nothing changed: one comment that says so
	code, out, errOut := bulwark("review", "--env", "dev", "--base", "main")
	if code != exitOK || !strings.Contains(out, review.Marker) || !strings.Contains(out, "No change to the infrastructure") {
		t.Fatalf("review of an unchanged tree = %d:\n%s%s", code, out, errOut)
	}

	// the working tree lowers dev's minimum capacity
	path := filepath.Join(repo, "environments", "dev.hcl")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "min     = 2", "min     = 1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = bulwark("review", "--env", "all", "--base", "main")
	if code != exitOK || !strings.Contains(errOut, "touch 1 of 2 environments: dev") {
		t.Fatalf("review --env all = %d:\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "`min-capacity`") || strings.Contains(out, "`dev-async`") || strings.Count(out, review.Marker) != 1 {
		t.Errorf("the comment should review dev alone and show the new violation:\n%s", out)
	}
	if strings.Contains(errOut, "other code") {
		t.Errorf("a project without code of its own was planned by a built bulwark:\n%s", errOut)
	}

	// commit it: review commit against commit, as JSON
	gitIn(t, repo, "commit", "-q", "-am", "lower capacity")
	code, out, errOut = bulwark("review", "--env", "dev", "--base", "main~1", "--head", "main", "--format", "json")
	if code != exitOK {
		t.Fatalf("review of two commits = %d:\n%s", code, errOut)
	}
	var reviews []review.Review
	if err := json.Unmarshal([]byte(out), &reviews); err != nil || len(reviews) != 1 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rv := reviews[0]; len(rv.Policies.New) != 2 || rv.Counts()[review.Update] == 0 || !strings.HasPrefix(rv.Base, "main~1 (") {
		t.Errorf("review: base %q, new %+v, counts %v", rv.Base, rv.Policies.New, rv.Counts())
	}
	if wt := gitIn(t, repo, "worktree", "list"); strings.Count(wt, "\n") != 0 {
		t.Errorf("worktrees left behind:\n%s", wt)
	}

	// bad input: an unknown revision, a broken environment at head
	if code, _, errOut := bulwark("review", "--env", "dev", "--base", "no-such-branch"); code != exitBadInput || !strings.Contains(errOut, `revision "no-such-branch"`) {
		t.Errorf("unknown base = %d: %s", code, errOut)
	}
	if err := os.WriteFile(path, []byte("environment \"dev\" {\n  target = \"moon\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := bulwark("review", "--env", "dev", "--base", "main"); code != exitBadInput || !strings.Contains(errOut, "dev.hcl") {
		t.Errorf("a broken head = %d: %s", code, errOut)
	}
}

// The pull-request workflow reviews every touched environment against the
// base branch, needs no cloud credentials, and updates one marked comment.
func TestReviewWorkflow(t *testing.T) {
	wf, text := loadWorkflow(t, "review.yml")
	if !strings.Contains(text, "\non:\n  pull_request:") {
		t.Error("the workflow does not run on pull requests")
	}
	if wf.Permissions["id-token"] != "" || strings.Contains(text, "configure-aws-credentials") || strings.Contains(text, "secrets.") {
		t.Error("the review asks for cloud credentials or secrets")
	}
	var reviews, comments bool
	for _, s := range wf.Jobs["review"].Steps {
		reviews = reviews || strings.Contains(s.Run, "bulwark review --env all --base")
		comments = comments || strings.Contains(s.With["script"], review.Marker) && strings.Contains(s.With["script"], "updateComment")
	}
	if !reviews || !comments {
		t.Errorf("reviews every touched environment: %t; updates its marked comment: %t", reviews, comments)
	}
}

// --live puts the engine's preview into the comment, collapsed; a failed
// preview says so; aws environments are not previewed (no credentials).
func TestReviewLivePreview(t *testing.T) {
	rv := &review.Review{Environment: "dev", Target: "local", Base: "main", Head: "working tree"}
	var asked []string
	preview := func(_ context.Context, env string) (string, int) {
		asked = append(asked, env)
		return "Previewing update (dev.east)\n  ~ bulwark:local:InstanceGroup shop update [diff: ~max]\n", exitOK
	}
	var errOut bytes.Buffer
	rv.Live = livePreview(context.Background(), "dev", targetNamed(topology.TargetLocal, target.Options{}), preview, &errOut)
	md := review.Markdown([]*review.Review{rv})
	if len(asked) != 1 || asked[0] != "dev" || !strings.Contains(md, "<summary>Engine preview of <code>every stack</code>") || !strings.Contains(md, "[diff: ~max]") {
		t.Errorf("asked %v; comment:\n%s", asked, md)
	}
	failed := livePreview(context.Background(), "dev", targetNamed(topology.TargetLocal, target.Options{}), func(context.Context, string) (string, int) { return "no state", exitFailed }, &errOut)
	if !strings.Contains(failed["every stack"], "preview failed (exit 1)") || !strings.Contains(errOut.String(), "preview of dev failed") {
		t.Errorf("a failed preview: %v / %s", failed, errOut.String())
	}
	aws := livePreview(context.Background(), "prod", targetNamed(topology.TargetAWS, target.Options{}), func(context.Context, string) (string, int) { t.Error("previewed aws"); return "", 0 }, &errOut)
	if !strings.Contains(aws["(none)"], "needs cloud credentials") {
		t.Errorf("aws: %v", aws)
	}
}
