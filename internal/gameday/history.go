package gameday

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
)

// DefaultMaxGrowth is the share a median may grow by over the history's
// before the gate calls it a regression; GateRecords how many recorded
// game days the history's median is taken over.
const (
	DefaultMaxGrowth = 0.5
	GateRecords      = 5
)

// Record is what the history keeps of one game day.
type Record struct {
	Environment string           `json:"environment"`
	Time        time.Time        `json:"time"`
	Target      string           `json:"target,omitempty"`
	Runs        int              `json:"runs"`
	Passed      bool             `json:"passed"`
	Scenarios   []RecordScenario `json:"scenarios"`
}

// RecordScenario is one scenario's medians beside its estimate and target.
type RecordScenario struct {
	Key      string        `json:"key"`
	Label    string        `json:"label"`
	Measured int           `json:"measured_runs"`
	Median   drill.Numbers `json:"median"`
	Estimate drill.Numbers `json:"estimate"`
	Target   drill.Numbers `json:"target"`
	// Passed is the scenario's verdict: only those that passed make the
	// baseline of the gate.
	Passed bool `json:"passed"`
}

// Record is the report as the history keeps it.
func (r *Report) Record() Record {
	rec := Record{Environment: r.Environment, Time: r.Started.UTC(), Target: string(r.Target), Passed: r.Passed, Scenarios: []RecordScenario{}}
	if r.Plan != nil {
		rec.Runs = r.Plan.Runs
	}
	for _, s := range r.Scenarios {
		rec.Scenarios = append(rec.Scenarios, RecordScenario{Key: s.Key, Label: s.Label, Measured: s.RTO.N,
			Median:   drill.Numbers{RTOSeconds: s.RTO.Median, RPOSeconds: s.RPO.Median, Known: s.RTO.N > 0},
			Estimate: s.Estimate, Target: s.Target, Passed: s.Passed})
	}
	return rec
}

// HistoryDir is where an environment's game days are kept under the state directory.
func HistoryDir(stateDir, env string) string { return filepath.Join(stateDir, "gamedays", env) }

// Stamp is a game day's timestamp in its file and folder names.
func Stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// SaveRecord adds a record to the history in dir (<stamp>.json, stamp
// empty: Stamp(rec.Time); never overwriting one) and returns its path.
func SaveRecord(dir, stamp string, rec Record) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", err
	}
	for i := 1; i <= 100; i++ {
		name := stamp
		if name == "" {
			name = Stamp(rec.Time)
		}
		if i > 1 {
			name += fmt.Sprintf("-%d", i)
		}
		path := filepath.Join(dir, name+".json")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, werr := f.Write(append(b, '\n'))
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		return path, werr
	}
	return "", fmt.Errorf("%s: 100 records of the same second", dir)
}

// LoadHistory reads the records in dir, oldest first; files that are not
// records are skipped and named in skipped. A missing dir is an empty history.
func LoadHistory(dir string) (recs []Record, skipped []string, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil || rec.Time.IsZero() {
			skipped = append(skipped, p)
			continue
		}
		recs = append(recs, rec)
	}
	slices.SortStableFunc(recs, func(a, b Record) int { return a.Time.Compare(b.Time) })
	return recs, skipped, nil
}

// Gate is a scenario's regression check against the history.
type Gate struct {
	// Baseline is the median of the last GateRecords recorded medians of
	// the scenario that passed, over Records of them (0: no history).
	Baseline *drill.Numbers `json:"baseline,omitempty"`
	Records  int            `json:"records"`
	// RTOGrowth and RPOGrowth are the median's growth over the baseline, in % (nil: a baseline of 0).
	RTOGrowth *float64 `json:"rto_growth_percent,omitempty"`
	RPOGrowth *float64 `json:"rpo_growth_percent,omitempty"`
	Regressed bool     `json:"regressed"`
	// Reasons say why it regressed; Message is the check's line either way.
	Reasons []string `json:"reasons,omitempty"`
	Message string   `json:"message"`
}

// Gate runs the regression check of every scenario against the history
// (records of earlier game days, any order; records of other
// environments are ignored): a median past its target, or grown by more
// than maxGrowth (a share: 0.5 is 50 %) over the baseline. A growth under
// NoiseSeconds is noise; an RPO that grows from 0 is a regression.
func (r *Report) Gate(history []Record, maxGrowth float64) {
	r.GateChecked, r.MaxGrowth, r.History = true, maxGrowth, 0
	var hist []Record
	for _, h := range history {
		if h.Environment == r.Environment && (r.Started.IsZero() || h.Time.Before(r.Started)) {
			hist = append(hist, h)
		}
	}
	slices.SortStableFunc(hist, func(a, b Record) int { return a.Time.Compare(b.Time) })
	r.History = len(hist)
	for i := range r.Scenarios {
		r.Scenarios[i].Gate = gate(r.Scenarios[i], hist, maxGrowth)
	}
	r.judge()
}

// conditionedRTO is an earlier game day's median RTO as this one's
// conditions would have made it: where both estimates were conditioned on
// what the drills found (the DNS checks' phase, the WAL to replay), the
// earlier median scaled by the ratio of the estimates, so that the gate
// sees the system grow slower, not one game day's luck of the phase.
func conditionedRTO(rs RecordScenario, s Scenario) float64 {
	if rs.Estimate.How == "" || s.Estimate.How == "" || rs.Estimate.RTOSeconds <= 0 || s.Estimate.RTOSeconds <= 0 {
		return rs.Median.RTOSeconds
	}
	return rs.Median.RTOSeconds * s.Estimate.RTOSeconds / rs.Estimate.RTOSeconds
}

func gate(s Scenario, hist []Record, maxGrowth float64) Gate {
	var g Gate
	if s.RTO.N == 0 {
		g.Message = "no measurement to compare"
		return g
	}
	if s.Target.Known {
		if s.RTO.Median > s.Target.RTOSeconds {
			g.Reasons = append(g.Reasons, fmt.Sprintf("median RTO %s is past the target %s", Seconds(s.RTO.Median), Seconds(s.Target.RTOSeconds)))
		}
		if s.RPO.Median > s.Target.RPOSeconds {
			g.Reasons = append(g.Reasons, fmt.Sprintf("median RPO %s is past the target %s", Seconds(s.RPO.Median), Seconds(s.Target.RPOSeconds)))
		}
	}
	var rtos, rpos []float64
	for j := len(hist) - 1; j >= 0 && len(rtos) < GateRecords; j-- {
		for _, rs := range hist[j].Scenarios {
			if rs.Key == s.Key && rs.Passed && rs.Median.Known {
				rtos, rpos = append(rtos, conditionedRTO(rs, s)), append(rpos, rs.Median.RPOSeconds)
			}
		}
	}
	g.Records = len(rtos)
	if g.Records > 0 {
		slices.Sort(rtos)
		slices.Sort(rpos)
		base := drill.Numbers{RTOSeconds: median(rtos), RPOSeconds: median(rpos), Known: true}
		g.Baseline = &base
		var why string
		g.RTOGrowth, why = growth("RTO", s.RTO.Median, base.RTOSeconds, maxGrowth, false)
		if why != "" {
			g.Reasons = append(g.Reasons, why)
		}
		g.RPOGrowth, why = growth("RPO", s.RPO.Median, base.RPOSeconds, maxGrowth, true)
		if why != "" {
			g.Reasons = append(g.Reasons, why)
		}
	}
	g.Regressed = len(g.Reasons) > 0
	switch {
	case g.Regressed:
		g.Message = strings.Join(g.Reasons, "; ")
	case g.Records == 0:
		g.Message = "within the target; no earlier game day that passed to compare with"
	default:
		g.Message = fmt.Sprintf("within the target, and grew by no more than %s over the median of the last %d game day(s) that passed (RTO %s, RPO %s)",
			percent(maxGrowth*100), g.Records, Seconds(g.Baseline.RTOSeconds), Seconds(g.Baseline.RPOSeconds))
	}
	return g
}

// growth is cur's growth over base in % (nil for a base of 0) and, when it
// is a regression, why.
func growth(what string, cur, base, maxGrowth float64, fromZero bool) (*float64, string) {
	var pct *float64
	if base > 0 {
		p := (cur - base) / base * 100
		pct = &p
	}
	switch {
	case fromZero && base == 0 && cur > 0:
		return pct, fmt.Sprintf("median %s %s where the last game days lost nothing (0s)", what, Seconds(cur))
	case cur-base < NoiseSeconds:
		return pct, "" // noise, or better
	case base == 0 || (cur-base)/base > maxGrowth+1e-9:
		grew := "from 0s"
		if pct != nil {
			grew = fmt.Sprintf("by %s", percent(*pct))
		}
		return pct, fmt.Sprintf("median %s %s grew %s over the last game days' %s (more than %s)", what, Seconds(cur), grew, Seconds(base), percent(maxGrowth*100))
	}
	return pct, ""
}

// percent renders a percentage: "+12 %", "50 %".
func percent(p float64) string {
	if math.IsInf(p, 0) || math.IsNaN(p) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f %%", p)
}
