package ladder

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/cost"
)

// SVG draws each service's ladder as a chart of monthly cost (x) against
// the region-loss RTO (y, on a log scale when the RTOs span an order of
// magnitude or more): one labelled point per step, the declared one
// ringed, a step that does not recover from a region's loss on the
// "never" line at the top, and the environment's region RTO target as a
// dashed red line. Self-contained, as policies' graph picture is.
func (l *Ladder) SVG(title string) string {
	const w, chartH, left, right, top, gap = 820, 300, 90, 40, 70, 30
	h := top + len(l.Services)*(chartH+gap) + 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16">%s</text>`+"\n", left-60, html.EscapeString(title))
	note := "monthly cost (x) against the region-loss RTO (y); ringed: as declared; red dashed: the region RTO target"
	if len(l.Mapping) > 0 {
		note += "; priced as on aws (" + cost.MappingText(l.Mapping) + ")"
	}
	fmt.Fprintf(&b, `<text x="%d" y="48" fill="#555">%s</text>`+"\n", left-60, html.EscapeString(note))
	for i, sl := range l.Services {
		y0 := top + i*(chartH+gap) + 20
		l.chart(&b, sl, left, y0, w-left-right, chartH-60)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// chart draws one service's chart with its plot area at (x0, y0), pw × ph.
func (l *Ladder) chart(b *strings.Builder, sl ServiceLadder, x0, y0, pw, ph int) {
	fmt.Fprintf(b, `<g class="service" data-service="%s">`+"\n", html.EscapeString(sl.Service))
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", x0-60, y0-10, html.EscapeString(sl.Service))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#f4f8fb" stroke="#34495e"/>`+"\n", x0, y0, pw, ph)
	if len(sl.Steps) == 0 {
		b.WriteString("</g>\n")
		return
	}
	// x: cost, with a margin of a tenth of the span either side
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range sl.Steps {
		lo, hi = min(lo, s.Cost), max(hi, s.Cost)
	}
	span := hi - lo
	if span <= 0 {
		span = max(hi, 1)
	}
	lo, hi = max(0, lo-span/10), hi+span/10
	xAt := func(c float64) float64 { return float64(x0) + (c-lo)/(hi-lo)*float64(pw) }
	for i := 0; i <= 4; i++ {
		c := lo + (hi-lo)*float64(i)/4
		x := xAt(c)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, y0, x, y0+ph)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" fill="#555" text-anchor="middle">%s</text>`+"\n", x, y0+ph+16, html.EscapeString(strings.TrimSuffix(Money(math.Round(c)), ".00")))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#333" text-anchor="middle">monthly cost of the environment</text>`+"\n", x0+pw/2, y0+ph+34)

	// y: the region-loss RTO; "never" gets a band at the top
	var rtos []time.Duration
	for _, s := range sl.Steps {
		if !s.Region.Unrecoverable {
			rtos = append(rtos, max(s.Region.RTO, time.Second))
		}
	}
	if l.RegionTarget != nil {
		rtos = append(rtos, max(l.RegionTarget.RTO, time.Second))
	}
	if len(rtos) == 0 {
		rtos = []time.Duration{time.Second, time.Minute}
	}
	ymin, ymax := slices.Min(rtos), slices.Max(rtos)
	logScale := ymax >= 10*ymin
	const band = 30 // the "never" band at the top
	plotTop, plotH := float64(y0+band), float64(ph-band-10)
	var yAt func(d time.Duration) float64
	var ticks []time.Duration
	if logScale {
		a, z := math.Floor(math.Log10(ymin.Seconds())), math.Ceil(math.Log10(ymax.Seconds()))
		if z <= a {
			z = a + 1
		}
		yAt = func(d time.Duration) float64 {
			v := math.Log10(max(d, time.Second).Seconds())
			return plotTop + plotH - (v-a)/(z-a)*plotH
		}
		for _, t := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 10 * time.Hour, 24 * time.Hour} {
			if v := math.Log10(t.Seconds()); v >= a-1e-9 && v <= z+1e-9 {
				ticks = append(ticks, t)
			}
		}
	} else {
		top := ymax + ymax/5
		yAt = func(d time.Duration) float64 { return plotTop + plotH - float64(d)/float64(top)*plotH }
		for i := 0; i <= 4; i++ {
			ticks = append(ticks, (top * time.Duration(i) / 4).Round(time.Second))
		}
	}
	for _, t := range ticks {
		y := yAt(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x0+pw, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" fill="#555" text-anchor="end">%s</text>`+"\n", x0-6, y+4, html.EscapeString(short(t)))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c0392b" stroke-dasharray="2,3"/>`+"\n", x0, y0+band-8, x0+pw, y0+band-8)
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#c0392b" text-anchor="end">never</text>`+"\n", x0-6, y0+band-4)
	axis := "region-loss RTO"
	if logScale {
		axis += " (log scale)"
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#333" transform="rotate(-90 %d %d)" text-anchor="middle">%s</text>`+"\n", x0-62, y0+ph/2, x0-62, y0+ph/2, axis)
	if o := l.RegionTarget; o != nil {
		y := yAt(max(o.RTO, time.Second))
		fmt.Fprintf(b, `<line class="target" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c0392b" stroke-width="2" stroke-dasharray="6,4"/>`+"\n", x0, y, x0+pw, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" fill="#c0392b">target RTO %s</text>`+"\n", x0+6, y-5, html.EscapeString(short(o.RTO)))
	}

	// the points, the declared one ringed; labels that would overlap move down
	type placed struct{ x1, x2, y float64 }
	var labels []placed
	for _, s := range sl.Steps {
		x := xAt(s.Cost)
		y := float64(y0 + band - 8)
		if !s.Region.Unrecoverable {
			y = yAt(s.Region.RTO)
		}
		color := "#27ae60"
		if s.Region.Met != nil && !*s.Region.Met {
			color = "#c0392b"
		}
		rto := "never"
		if !s.Region.Unrecoverable {
			rto = short(s.Region.RTO)
		}
		tip := fmt.Sprintf("%s: %s a month (%s vs declared), region loss RTO %s, availability %s", s.Title, Money(s.Cost), Delta(s.Delta), rto, ninesText(s.Availability))
		fmt.Fprintf(b, `<circle class="point" data-variant="%s" cx="%.1f" cy="%.1f" r="6" fill="%s"><title>%s</title></circle>`+"\n", s.Kind, x, y, color, html.EscapeString(tip))
		weight := ""
		if s.Kind == Declared {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="11" fill="none" stroke="#34495e" stroke-width="2"/>`+"\n", x, y)
			weight = ` font-weight="bold"`
		}
		label := s.Title + " · " + rto + " · " + ninesText(s.Availability)
		width := 6.5 * float64(len([]rune(label)))
		lx, ly, anchor := x+14, y+4, ""
		x1, x2 := lx, lx+width
		if x > float64(x0)+float64(pw)*0.55 {
			lx, anchor = x-14, ` text-anchor="end"`
			x1, x2 = lx-width, lx
		}
		for moved := true; moved; {
			moved = false
			for _, p := range labels {
				if x1 < p.x2 && p.x1 < x2 && math.Abs(p.y-ly) < 14 {
					ly, moved = p.y+14, true
				}
			}
		}
		labels = append(labels, placed{x1, x2, ly})
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f"%s%s>%s</text>`+"\n", lx, ly, weight, anchor, html.EscapeString(label))
	}
	b.WriteString("</g>\n")
}

func ninesText(a float64) string {
	if a >= 0.99999 {
		return fmt.Sprintf("%.4f%%", a*100)
	}
	return fmt.Sprintf("%.3f%%", a*100)
}
