package policies

import (
	"fmt"
	"html"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// SVG draws the failure-domain graph: each service and external as a box
// with the regions and zones it runs in (and its estimated availability),
// callers left of what they call, hard dependencies as solid red arrows,
// soft ones as dashed grey arrows labelled with their timeout and tries,
// and the targets of hidden single points outlined in red with whom they
// fail.
func (g *Graph) SVG(title string, availability []ServiceAvailability) string {
	const boxW, boxH, colGap, rowGap, left, top = 230, 78, 90, 28, 30, 70
	col := g.columns()
	rows := map[int]int{}
	pos := map[string][2]int{}
	for _, name := range g.Order {
		c := col[name]
		pos[name] = [2]int{left + c*(boxW+colGap), top + rows[c]*(boxH+rowGap)}
		rows[c]++
	}
	maxCol, maxRows := 0, 1
	for c, n := range rows {
		maxCol, maxRows = max(maxCol, c), max(maxRows, n)
	}
	w, h := left*2+(maxCol+1)*boxW+maxCol*colGap, top+maxRows*(boxH+rowGap)+60
	spofs := map[string][]string{}
	for _, sp := range g.SinglePoints() {
		spofs[sp.On] = append(spofs[sp.On], sp.Service)
	}
	avail := map[string]ServiceAvailability{}
	for _, a := range availability {
		avail[a.Service] = a
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	b.WriteString(`<defs><marker id="hard" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker>` +
		`<marker id="soft" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7f8c8d"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16">%s</text>`+"\n", left, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="48" fill="#555">%s</text>`+"\n", left, html.EscapeString("callers left of what they call; red: needed (hard), grey dashed: soft; a red box is a hidden single point"))
	for _, from := range g.Order {
		for _, e := range g.Edges[from] {
			a, z := pos[from], pos[e.On]
			x1, y1, x2, y2 := a[0]+boxW, a[1]+boxH/2, z[0], z[1]+boxH/2
			if z[0] <= a[0] { // a call back left (a soft cycle): around the bottom
				x2, y2 = z[0]+boxW/2, z[1]+boxH
			}
			color, dash, marker := "#c0392b", "", "hard"
			if e.Need == topology.NeedSoft {
				color, dash, marker = "#7f8c8d", ` stroke-dasharray="6,4"`, "soft"
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s marker-end="url(#%s)"><title>%s</title></line>`+"\n",
				x1, y1, x2, y2, color, dash, marker, html.EscapeString(fmt.Sprintf("%s → %s: %s, timeout %s × %d tries, on failure %s", from, e.On, e.Need, e.Timeout, e.Tries, e.OnFailure)))
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s" font-size="10">%s</text>`+"\n", (x1+x2)/2-20, (y1+y2)/2-4, color, html.EscapeString(fmt.Sprintf("%s×%d", fmtD(e.Timeout), e.Tries)))
		}
	}
	for _, name := range g.Order {
		n, p := g.Nodes[name], pos[name]
		stroke, width, dash, fill := "#34495e", 1, "", "#f4f8fb"
		if n.External {
			dash, fill = ` stroke-dasharray="4,3"`, "#fbf7ef"
		}
		if len(spofs[name]) > 0 {
			stroke, width = "#c0392b", 3
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="%d"%s/>`+"\n", p[0], p[1], boxW, boxH, fill, stroke, width, dash)
		label := name
		if n.External {
			label += " (external)"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", p[0]+10, p[1]+20, html.EscapeString(label))
		where := "every region"
		if len(n.Regions) > 0 {
			where = strings.Join(n.Regions, ", ")
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", p[0]+10, p[1]+38, html.EscapeString(clipText(where, 36)))
		var detail []string
		if n.Zones > 0 {
			detail = append(detail, fmt.Sprintf("%d zones", n.Zones))
		}
		if a, ok := avail[name]; ok {
			d := Nines(a.Total)
			if a.SLO > 0 {
				d += " (slo " + Nines(a.SLO) + ")"
			}
			detail = append(detail, d)
		} else if n.External {
			for _, e := range g.topo.Externals {
				if e.Name == name {
					detail = append(detail, "promises "+Nines(e.Availability))
				}
			}
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%s</text>`+"\n", p[0]+10, p[1]+54, html.EscapeString(clipText(strings.Join(detail, " · "), 36)))
		if who := spofs[name]; len(who) > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#c0392b">%s</text>`+"\n", p[0]+10, p[1]+70, html.EscapeString(clipText("single point for "+strings.Join(who, ", "), 34)))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// columns places each node one column right of its rightmost caller
// (callers first); nodes in a cycle stay where they were first put.
func (g *Graph) columns() map[string]int {
	col := map[string]int{}
	for range g.Order { // at most one pass per node settles a DAG
		changed := false
		for _, from := range g.Order {
			for _, e := range g.Edges[from] {
				if e.On != from && col[e.On] < col[from]+1 && col[from]+1 < len(g.Order) {
					col[e.On] = col[from] + 1
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	return col
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
