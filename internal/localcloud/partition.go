package localcloud

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// A region partition on the local target.
//
// Every process the control plane starts is placed, at its creation
// (clone3 with CLONE_INTO_CGROUP), in a cgroup v2 group of its region:
// <cgroup2>/bulwark/<plane>/<env>/r-<region>; the environment's DNS server
// is in its pseudo-region "global"; the control plane itself moves to
// <cgroup2>/bulwark/<plane>/plane. Every loopback client connects from
// 127.0.0.1, so addresses alone cannot tell who sends; the socket's cgroup
// can. A partition of region R is one nftables table that drops, per packet:
//
//   - on output, a packet to R's 127.0.R.0/24 from a socket neither in R's
//     group nor the control plane's (the sender is known on output), and a
//     packet from a socket of R's group to anything outside R;
//   - on input, a reply from R's range to a socket outside R's group and the
//     control plane's (the receiver is known on input).
//
// So R's processes keep running and talk among themselves, nothing else
// reaches them nor they anything else, and the control plane (the cloud's
// API, which reaches every region out of band) still health-checks them
// and can fence them. Healing deletes the table. Connections open across
// the border stall rather than reset, as in a real partition.
type cgroupTree struct {
	mount string // where cgroup v2 is mounted (/sys/fs/cgroup or /sys/fs/cgroup/unified)
	id    string // this plane's folder under bulwark/
	depth int    // depth of the mount's root in the hierarchy (a bind of a subtree)
	err   error  // why partitions are not available
}

// nftCgroupRoot is where nft resolves a cgroupv2 path given in a rule.
const nftCgroupRoot = "/sys/fs/cgroup"

func newCgroupTree(planeDir string) *cgroupTree {
	abs, _ := filepath.Abs(planeDir)
	sum := sha256.Sum256([]byte(abs))
	t := &cgroupTree{id: hex.EncodeToString(sum[:])[:12]}
	if os.Geteuid() != 0 {
		t.err = fmt.Errorf("%w: the control plane does not run as root", localapi.ErrPartitionUnsupported)
		return t
	}
	mount, root, err := cgroup2Mount()
	if err != nil {
		t.err = fmt.Errorf("%w: %w", localapi.ErrPartitionUnsupported, err)
		return t
	}
	if mount != nftCgroupRoot && !strings.HasPrefix(mount, nftCgroupRoot+"/") {
		t.err = fmt.Errorf("%w: cgroup v2 is mounted at %s; nft resolves cgroup paths under %s", localapi.ErrPartitionUnsupported, mount, nftCgroupRoot)
		return t
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.err = fmt.Errorf("%w: nft: %w (apt-get install nftables)", localapi.ErrPartitionUnsupported, err)
		return t
	}
	t.mount = mount
	if root != "/" {
		t.depth = strings.Count(strings.Trim(root, "/"), "/") + 1
	}
	return t
}

// cgroup2Mount finds the cgroup v2 mount and the hierarchy path it shows.
func cgroup2Mount() (mount, root string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// id parent major:minor root mountpoint options... - fstype source superopts
		fields := strings.Fields(s.Text())
		for i, f := range fields {
			if f == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], fields[3], nil
			}
		}
	}
	return "", "", errors.New("no cgroup v2 mount in /proc/self/mountinfo")
}

// rel is a group's path below the mount.
func (t *cgroupTree) regionRel(env, region string) string {
	return filepath.Join("bulwark", t.id, env, "r-"+region)
}
func (t *cgroupTree) planeRel() string { return filepath.Join("bulwark", t.id, "plane") }

// level is a group's depth in the hierarchy, as nft's "socket cgroupv2 level" counts.
func (t *cgroupTree) level(rel string) int { return t.depth + strings.Count(rel, "/") + 1 }

// nftPath is a group's path as an nft rule names it.
func (t *cgroupTree) nftPath(rel string) string {
	return strings.TrimPrefix(filepath.Join(t.mount, rel), nftCgroupRoot+"/")
}

// ensure creates a group (once) and returns its folder.
func (t *cgroupTree) ensure(rel string) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	dir := filepath.Join(t.mount, rel)
	// made each time, not once: another plane's sweep removes a group that
	// is empty for a moment (a region whose processes were all stopped)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: cgroup %s: %w", localapi.ErrPartitionUnsupported, dir, err)
	}
	return dir, nil
}

// placement is the group a process of env/region starts in ("" when cgroups
// are unavailable: the process runs, but its region cannot be partitioned).
func (p *Plane) placement(env, region string) string {
	dir, err := p.cgroups.ensure(p.cgroups.regionRel(env, region))
	if err != nil {
		return ""
	}
	return dir
}

// EnterPlaneGroup moves the calling process (the control plane daemon) into
// its own group, the one partitions let through; then it removes the empty
// groups of control planes that are gone.
func (p *Plane) EnterPlaneGroup() error {
	dir, err := p.cgroups.ensure(p.cgroups.planeRel())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("enter %s: %w", dir, err)
	}
	p.cgroups.sweep()
	return nil
}

// LeavePlaneGroup moves the calling process back to the hierarchy's root
// and removes this plane's groups (at the daemon's exit, once its
// processes are stopped).
func (p *Plane) LeavePlaneGroup() {
	t := p.cgroups
	if t.err != nil || t.mount == "" {
		return
	}
	_ = os.WriteFile(filepath.Join(t.mount, "cgroup.procs"), []byte(fmt.Sprint(os.Getpid())), 0o644)
	removeEmptyGroups(filepath.Join(t.mount, "bulwark", t.id))
}

// sweep removes the groups of other planes that are gone: those whose own
// group holds no daemon and whose groups hold no process (a group with a
// process refuses rmdir). A live plane's groups stay, empty or not.
func (t *cgroupTree) sweep() {
	base := filepath.Join(t.mount, "bulwark")
	planes, _ := os.ReadDir(base)
	for _, pl := range planes {
		if !pl.IsDir() || pl.Name() == t.id {
			continue
		}
		if procs, err := os.ReadFile(filepath.Join(base, pl.Name(), "plane", "cgroup.procs")); err == nil && len(strings.TrimSpace(string(procs))) > 0 {
			continue // its daemon runs
		}
		removeEmptyGroups(filepath.Join(base, pl.Name()))
	}
}

// removeEmptyGroups removes a group tree bottom-up; non-empty groups stay.
func removeEmptyGroups(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeEmptyGroups(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir)
}

// removeGroups removes this plane's region groups once their processes are
// gone (at shutdown); the plane's own group goes with the next plane's sweep.
func (t *cgroupTree) removeGroups() {
	if t.err != nil {
		return
	}
	base := filepath.Join(t.mount, "bulwark", t.id)
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if e.IsDir() && e.Name() != "plane" {
			removeEmptyGroups(filepath.Join(base, e.Name()))
		}
	}
	_ = os.Remove(base) // unless the plane's own group is in it
}

var nftNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_]`)

// partitionTable is the nftables table that cuts env/region off.
func (t *cgroupTree) partitionTable(env, region string) string {
	return nftNameUnsafe.ReplaceAllString("bulwark_"+t.id+"_"+env+"_"+region, "_")
}

// partitionRules renders the table for a region whose range is cidr.
func (t *cgroupTree) partitionRules(table, cidr, env, region string) string {
	in, plane := t.regionRel(env, region), t.planeRel()
	inMatch := fmt.Sprintf("socket cgroupv2 level %d %q", t.level(in), t.nftPath(in))
	planeMatch := fmt.Sprintf("socket cgroupv2 level %d %q", t.level(plane), t.nftPath(plane))
	var b strings.Builder
	// add, then delete, then define: one transaction, idempotent
	fmt.Fprintf(&b, "add table inet %s\ndelete table inet %s\n", table, table)
	fmt.Fprintf(&b, "table inet %s {\n", table)
	fmt.Fprintf(&b, "  chain border_out {\n    type filter hook output priority filter; policy accept;\n")
	fmt.Fprintf(&b, "    ip daddr %s %s accept\n", cidr, inMatch)
	fmt.Fprintf(&b, "    ip daddr %s %s accept\n", cidr, planeMatch)
	fmt.Fprintf(&b, "    ip daddr %s drop\n", cidr)
	fmt.Fprintf(&b, "    ip saddr %s accept\n", cidr) // a reply from R: judged on input, where its receiver is known
	fmt.Fprintf(&b, "    %s drop\n  }\n", inMatch)
	fmt.Fprintf(&b, "  chain border_in {\n    type filter hook input priority filter; policy accept;\n")
	fmt.Fprintf(&b, "    ip saddr %s ip daddr != %s %s accept\n", cidr, cidr, inMatch)
	fmt.Fprintf(&b, "    ip saddr %s ip daddr != %s %s accept\n", cidr, cidr, planeMatch)
	fmt.Fprintf(&b, "    ip saddr %s ip daddr != %s drop\n  }\n}\n", cidr, cidr)
	return b.String()
}

// nft runs nft with a script on its standard input.
func nft(script string) error {
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// PartitionRegion cuts a region off while its processes keep running (see
// cgroupTree). It is idempotent.
func (p *Plane) PartitionRegion(rid localapi.RegionID) (string, error) {
	env, region := rid.Env, rid.Region
	r, err := p.regionOf(rid)
	if err != nil {
		return "", err
	}
	t := p.cgroups
	for _, rel := range []string{t.regionRel(env, region), t.planeRel()} {
		if _, err := t.ensure(rel); err != nil {
			return "", err
		}
	}
	table := t.partitionTable(env, region)
	if err := nft(t.partitionRules(table, r.CIDR(), env, region)); err != nil {
		return "", fmt.Errorf("partition %s/%s: %w", env, region, err)
	}
	p.log.Printf("region %s/%s partitioned (nft table inet %s)", env, region, table)
	return table, nil
}

// HealRegion removes a region's partition; it reports whether there was
// one (the nftables table is the only record of it).
func (p *Plane) HealRegion(rid localapi.RegionID) (bool, error) {
	env, region := rid.Env, rid.Region
	if p.cgroups.err != nil {
		return false, nil
	}
	err := nft("delete table inet " + p.cgroups.partitionTable(env, region) + "\n")
	if err != nil && strings.Contains(err.Error(), "No such file or directory") {
		return false, nil
	}
	return err == nil, err
}

// healAll removes every partition table of this plane (at start, a crashed
// plane's; at shutdown, its own).
func (p *Plane) healAll() {
	if p.cgroups.err != nil {
		return
	}
	out, err := exec.Command("nft", "list", "tables").Output()
	if err != nil {
		return
	}
	prefix := "bulwark_" + p.cgroups.id + "_"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line) // table inet NAME
		if len(f) == 3 && f[1] == "inet" && strings.HasPrefix(f[2], prefix) {
			_ = nft("delete table inet " + f[2] + "\n")
		}
	}
}
