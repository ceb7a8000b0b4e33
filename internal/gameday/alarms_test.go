package gameday

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

// monitoring is a fake of the environment's paging alerts, as the
// targets' stop conditions print them ("name region/service (page) since
// hh:mm:ss"): an alert of no region is outside every region.
type monitoring struct {
	mu     sync.Mutex
	firing map[string]string // alarm → region
	down   bool
}

func (m *monitoring) set(alarms map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.firing = alarms
}

func (m *monitoring) Breached(ctx context.Context, outside []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errors.New("prometheus unreachable")
	}
	var out []string
	for a, region := range m.firing {
		if region == "" || !slices.Contains(outside, region) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out, nil
}

const (
	before  = "DatabaseDown west/shop (page) since 09:58:00"
	burn    = "ErrorBudgetBurn east/shop (page) since 10:00:05"
	dns     = "DNSProbe shop (page) since 10:00:06"
	refired = "DatabaseDown west/shop (page) since 10:03:00"
)

func TestAlarmsSetAsideOnlyTheGameDaysOwn(t *testing.T) {
	mon := &monitoring{firing: map[string]string{before: "west"}}
	a := NewAlarms(newFakeClock())
	if a.Wrap(nil) != nil {
		t.Error("no stop conditions became some")
	}

	// the first drill's preflight: what fires already fired before the game day
	a.During("region-loss east run 1")
	first := a.Wrap(mon)
	if got, _ := first.Breached(context.Background(), nil); !slices.Equal(got, []string{before}) {
		t.Fatalf("preflight of the first drill sees %v, want the alarm from before %q", got, before)
	}
	// it clears; the drill runs and burns the budget; the DNS probe pages
	mon.set(map[string]string{burn: "east", dns: ""})
	if got, _ := first.Breached(context.Background(), []string{"east"}); len(got) != 0 {
		t.Errorf("the drill's own alarms abort it: %v", got)
	}
	// the next drill, with stop conditions of its own, is neither refused nor aborted by them
	a.During("region-loss west run 1")
	next := a.Wrap(mon)
	if got, _ := next.Breached(context.Background(), nil); len(got) != 0 {
		t.Errorf("the next drill's preflight is refused by the game day's own alarms: %v", got)
	}
	// the alarm from before fires again: a new episode, the game day's own
	mon.set(map[string]string{burn: "east", refired: "west"})
	if got, _ := next.Breached(context.Background(), []string{"west"}); len(got) != 0 {
		t.Errorf("aborted by %v", got)
	}
	own := a.Own()
	var got []string
	for _, o := range own {
		got = append(got, o.Alarm+" @ "+o.During)
	}
	want := []string{dns + " @ region-loss east run 1", burn + " @ region-loss east run 1", refired + " @ region-loss west run 1"}
	if !slices.Equal(got, want) {
		t.Errorf("own alarms\n got %q\nwant %q", got, want)
	}
	if b := a.Baseline(); !slices.Equal(b, []string{before}) {
		t.Errorf("baseline %v", b)
	}
}

// An alarm that fired before the game day and keeps firing stops every
// drill; an unreachable monitoring at the first check is its error, and
// the baseline is taken at the next.
func TestAlarmsFromBeforeStillStop(t *testing.T) {
	mon := &monitoring{firing: map[string]string{before: "west"}, down: true}
	a := NewAlarms(nil)
	w := a.Wrap(mon)
	if _, err := w.Breached(context.Background(), nil); err == nil {
		t.Fatal("an unreachable monitoring read as no alarm")
	}
	mon.down = false
	for i := 0; i < 3; i++ {
		if got, _ := a.Wrap(mon).Breached(context.Background(), []string{"east"}); !slices.Equal(got, []string{before}) {
			t.Errorf("check %d: %v, want %q still stopping the drill", i, got, before)
		}
	}
	if len(a.Own()) != 0 {
		t.Errorf("own: %v", a.Own())
	}
}

// The runner names the drill under way and the report lists the alarms.
func TestRunnerReportsItsOwnAlarms(t *testing.T) {
	p := regionLossPlan(t, 1)
	mon := &monitoring{}
	r := &Runner{Plan: p, Topology: devLike(), Clock: newFakeClock(),
		Drill: func(ctx context.Context, d Drill, run int, alarms *Alarms) (*drill.Report, error) {
			stop := alarms.Wrap(mon)
			if got, _ := stop.Breached(ctx, nil); len(got) > 0 {
				return fakeReport(d, outcome{preflight: "alarms fire: " + strings.Join(got, "; ")}, drill.Numbers{}, regionTarget), drill.ErrPreflight
			}
			mon.set(map[string]string{burn: "east"}) // the drill burns the budget
			return fakeReport(d, outcome{rto: 1}, drill.Numbers{}, regionTarget), nil
		},
		Settle: func(context.Context, Drill) error { return nil }}
	rep, err := r.Run(context.Background())
	if err != nil || rep.Stopped != "" || len(rep.OwnAlarms) != 1 || rep.OwnAlarms[0].During != "region-loss west run 1" {
		t.Fatalf("err %v stopped %q own %+v", err, rep.Stopped, rep.OwnAlarms)
	}
	if md := rep.Markdown(); !strings.Contains(md, "## Alarms the game day caused itself") || !strings.Contains(md, burn) {
		t.Errorf("markdown:\n%s", md)
	}
}
