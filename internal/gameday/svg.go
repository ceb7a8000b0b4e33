package gameday

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
	"time"
)

// palette colours the scenarios of the history's picture.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// esc escapes text for SVG.
func esc(s string) string { return html.EscapeString(s) }

// niceStep is a round step that splits span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// domain is the scale's top: the largest value, past which a target more
// than 3 times the rest does not stretch the picture (it is drawn off scale).
func domain(values []float64, targets []float64) float64 {
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	rest := top
	for _, t := range targets {
		if t <= 3*rest || rest == 0 && t <= 1 {
			top = math.Max(top, t)
		}
	}
	if top <= 0 {
		top = 1
	}
	step := niceStep(top*1.05, 5)
	return math.Ceil(top*1.05/step) * step
}

// SVG is the picture of the game day: per scenario, for RTO and for RPO,
// the measured median as a bar, the minimum to maximum as a whisker, the
// estimate as a diamond and the target as a dashed red line (an arrow at
// the edge when it lies far off the scale).
func (r *Report) SVG() string {
	const w, labelW, rowH, top, panelGap = 960, 250, 36, 70, 40
	panelW := (w - labelW - 20 - panelGap) / 2
	h := top + rowH*max(len(r.Scenarios), 1) + 70
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", esc(fmt.Sprintf("Game day of %s: %s", r.Environment, r.Verdict())))
	fmt.Fprintf(&b, `<text x="10" y="40" fill="#555">%s</text>`+"\n", esc(fmt.Sprintf("%s · %d run(s) per scenario · bar: measured median, whisker: min–max, ◆ estimate, red dashed: target",
		r.Started.Format("2006-01-02 15:04"), planRuns(r.Plan))))
	for p, panel := range []struct {
		name string
		get  func(Scenario) (Stats, float64, bool, float64, bool)
	}{
		{"RTO", func(s Scenario) (Stats, float64, bool, float64, bool) {
			return s.RTO, s.Estimate.RTOSeconds, s.Estimate.Known, s.Target.RTOSeconds, s.Target.Known
		}},
		{"RPO", func(s Scenario) (Stats, float64, bool, float64, bool) {
			return s.RPO, s.Estimate.RPOSeconds, s.Estimate.Known, s.Target.RPOSeconds, s.Target.Known
		}},
	} {
		x0 := float64(labelW + p*(panelW+panelGap))
		var values, targets []float64
		for _, s := range r.Scenarios {
			st, est, estOK, tgt, tgtOK := panel.get(s)
			if st.N > 0 {
				values = append(values, st.Max)
			}
			if estOK {
				values = append(values, est)
			}
			if tgtOK {
				targets = append(targets, tgt)
			}
		}
		dom := domain(values, targets)
		x := func(v float64) float64 { return x0 + math.Min(v, dom)/dom*float64(panelW) }
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-weight="bold">%s (seconds)</text>`+"\n", x0, top-12, panel.name)
		bottom := top + rowH*max(len(r.Scenarios), 1)
		step := niceStep(dom, 5)
		for v := 0.0; v <= dom+1e-9; v += step {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e3e3e3"/>`+"\n", x(v), top, x(v), bottom)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#555" text-anchor="middle">%s</text>`+"\n", x(v), bottom+15, esc(Seconds(v)))
		}
		for i, s := range r.Scenarios {
			st, est, estOK, tgt, tgtOK := panel.get(s)
			cy := float64(top + i*rowH + rowH/2)
			if p == 0 {
				fmt.Fprintf(&b, `<text x="10" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", cy, esc(s.Label))
			}
			fill := "#2e9e44"
			if !s.Passed || s.Gate.Regressed {
				fill = "#d7263d"
			}
			if st.N > 0 {
				tip := fmt.Sprintf("%s %s: median %s, min %s, max %s over %d run(s)", s.Label, panel.name, Seconds(st.Median), Seconds(st.Min), Seconds(st.Max), st.N)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="14" fill="%s" fill-opacity="0.75"><title>%s</title></rect>`+"\n",
					x0, cy-7, math.Max(x(st.Median)-x0, 1), fill, esc(tip))
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.5"/>`+"\n", x(st.Min), cy, x(st.Max), cy)
				for _, v := range []float64{st.Min, st.Max} {
					fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" stroke-width="1.5"/>`+"\n", x(v), cy-6, x(v), cy+6)
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#222" font-size="10">%s</text>`+"\n", math.Max(x(st.Max), x(st.Median))+4, cy-8, esc(Seconds(st.Median)))
			} else {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#d7263d" dominant-baseline="middle">not measured</text>`+"\n", x0+4, cy)
			}
			if estOK {
				ex := x(est)
				fmt.Fprintf(&b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="#1f4e9e"><title>%s</title></polygon>`+"\n",
					ex, cy-6, ex+6, cy, ex, cy+6, ex-6, cy, esc(fmt.Sprintf("estimate %s", Seconds(est))))
			}
			if tgtOK {
				if tgt <= dom {
					fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d7263d" stroke-width="2" stroke-dasharray="4 3"><title>%s</title></line>`+"\n",
						x(tgt), cy-13, x(tgt), cy+13, esc("target "+Seconds(tgt)))
				} else {
					xe := x0 + float64(panelW)
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#d7263d" text-anchor="end" font-size="10">%s</text>`+"\n", xe, cy+14, esc("target "+Seconds(tgt)+" →"))
				}
			}
		}
	}
	ly := h - 20
	fmt.Fprintf(&b, `<rect x="10" y="%d" width="14" height="10" fill="#2e9e44" fill-opacity="0.75"/><text x="28" y="%d">passed</text>`+"\n", ly-9, ly)
	fmt.Fprintf(&b, `<rect x="90" y="%d" width="14" height="10" fill="#d7263d" fill-opacity="0.75"/><text x="108" y="%d">failed or regressed</text>`+"\n", ly-9, ly)
	fmt.Fprintf(&b, `<polygon points="250,%d 256,%d 250,%d 244,%d" fill="#1f4e9e"/><text x="262" y="%d">estimate</text>`+"\n", ly-10, ly-4, ly+2, ly-4, ly)
	fmt.Fprintf(&b, `<line x1="340" y1="%d" x2="340" y2="%d" stroke="#d7263d" stroke-width="2" stroke-dasharray="4 3"/><text x="348" y="%d">target</text>`+"\n", ly-11, ly+3, ly)
	b.WriteString("</svg>\n")
	return b.String()
}

func planRuns(p *Plan) int {
	if p == nil {
		return 0
	}
	return p.Runs
}

// HistorySVG draws the trend of an environment's game days: per scenario
// the median RTO of each recorded game day as a solid line (a filled dot
// where the scenario passed, a hollow one where it did not) and the
// estimate at the time as a dashed line of the same colour.
func HistorySVG(env string, recs []Record) string {
	const w, h, left, right, top, bottom = 960, 440, 60, 290, 50, 70
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	var keys, labels []string
	var values []float64
	for _, rec := range recs {
		for _, s := range rec.Scenarios {
			if !slices.Contains(keys, s.Key) {
				keys, labels = append(keys, s.Key), append(labels, s.Label)
			}
			if s.Median.Known {
				values = append(values, s.Median.RTOSeconds)
			}
			if s.Estimate.Known {
				values = append(values, s.Estimate.RTOSeconds)
			}
		}
	}
	dom := domain(values, nil)
	x := func(i int) float64 {
		if len(recs) <= 1 {
			return left + plotW/2
		}
		return left + float64(i)/float64(len(recs)-1)*plotW
	}
	y := func(v float64) float64 { return top + plotH - math.Min(v, dom)/dom*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="10" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", esc(fmt.Sprintf("Game days of %s: median RTO per scenario (%d game day(s))", env, len(recs))))
	step := niceStep(dom, 5)
	for v := 0.0; v <= dom+1e-9; v += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e3e3e3"/>`+"\n", left, y(v), w-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#555" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y(v), esc(Seconds(v)))
	}
	every := max(1, (len(recs)+7)/8)
	for i, rec := range recs {
		if i%every == 0 || i == len(recs)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#555" text-anchor="middle">%s</text>`+"\n", x(i), h-bottom+18, esc(rec.Time.Format("01-02 15:04")))
		}
	}
	if len(recs) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">no game day recorded yet</text>`+"\n", left+plotW/2, top+plotH/2)
	}
	for k, key := range keys {
		colour := palette[k%len(palette)]
		var med, est []string
		var dots strings.Builder
		for i, rec := range recs {
			for _, s := range rec.Scenarios {
				if s.Key != key {
					continue
				}
				if s.Median.Known {
					med = append(med, fmt.Sprintf("%.1f,%.1f", x(i), y(s.Median.RTOSeconds)))
					fill := colour
					if !s.Passed {
						fill = "white"
					}
					fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="2"><title>%s</title></circle>`+"\n",
						x(i), y(s.Median.RTOSeconds), fill, colour, esc(fmt.Sprintf("%s %s: median RTO %s, estimate %s, passed %t", rec.Time.Format(time.DateTime), s.Label, Seconds(s.Median.RTOSeconds), estimateText(s), s.Passed)))
				}
				if s.Estimate.Known {
					est = append(est, fmt.Sprintf("%.1f,%.1f", x(i), y(s.Estimate.RTOSeconds)))
				}
			}
		}
		if len(est) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`+"\n", strings.Join(est, " "), colour)
		}
		if len(med) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(med, " "), colour)
		}
		b.WriteString(dots.String())
		ly := top + 10 + k*20
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", w-right+20, ly, w-right+44, ly, colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", w-right+50, ly, esc(labels[k]))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">solid: measured median RTO (hollow dot: the scenario failed); dashed: the estimate at the time</text>`+"\n", left, h-18)
	b.WriteString("</svg>\n")
	return b.String()
}

func estimateText(s RecordScenario) string {
	if !s.Estimate.Known {
		return "none"
	}
	return Seconds(s.Estimate.RTOSeconds)
}
