package policies

import (
	"path/filepath"
)

// SARIF renders findings as a SARIF 2.1.0 log whose results point at the
// lines of the environment file, for code scanning in pull requests.
func SARIF(results []Result, version string) map[string]any {
	var rules []map[string]any
	var out []map[string]any
	for _, r := range results {
		rules = append(rules, map[string]any{
			"id": r.Policy, "shortDescription": map[string]string{"text": r.Description},
			"help":                 map[string]string{"text": r.Remediation},
			"defaultConfiguration": map[string]string{"level": level(r.Enforcement)},
		})
		for _, f := range r.Findings {
			res := map[string]any{
				"ruleId": r.Policy, "level": level(r.Enforcement),
				"message": map[string]string{"text": f.Message + ". " + r.Remediation + "."},
			}
			if f.Range.Filename != "" {
				res["locations"] = []map[string]any{{"physicalLocation": map[string]any{
					"artifactLocation": map[string]string{"uri": filepath.ToSlash(f.Range.Filename)},
					"region": map[string]int{
						"startLine": f.Range.Start.Line, "startColumn": f.Range.Start.Column,
						"endLine": f.Range.End.Line, "endColumn": f.Range.End.Column,
					},
				}}}
			}
			if f.URN != "" {
				res["properties"] = map[string]string{"urn": f.URN, "stack": f.Stack}
			}
			out = append(out, res)
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []map[string]any{{
			"tool":    map[string]any{"driver": map[string]any{"name": "bulwark", "version": version, "rules": rules}},
			"results": out,
		}},
	}
}

func level(e Enforcement) string {
	switch e {
	case Mandatory:
		return "error"
	case Advisory:
		return "warning"
	}
	return "none"
}
