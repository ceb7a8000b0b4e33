package awsconstraints

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

const (
	typeCompositeAlarm = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
	typeDashboard      = "aws:cloudwatch/dashboard:Dashboard"
	typeLogGroup       = "aws:cloudwatch/logGroup:LogGroup"
	typeTopic          = "aws:sns/topic:Topic"
)

// alarmPeriod reports an alarm period CloudWatch refuses: 10, 20, 30 or a
// multiple of 60 seconds.
func alarmPeriod(what string, v any) string {
	p, ok := num(v)
	if !ok || p == 10 || p == 20 || p == 30 || (p >= 60 && int64(p)%60 == 0 && p == float64(int64(p))) {
		return ""
	}
	return fmt.Sprintf("%s is %s s; CloudWatch takes 10, 20, 30 or a multiple of 60", what, fmtNum(p))
}

// metricStatPeriod reports a metric query period CloudWatch refuses: 1,
// 5, 10, 20, 30, 60 or a multiple of 60 seconds.
func metricStatPeriod(what string, v any) string {
	if p, ok := num(v); ok && (p == 1 || p == 5) {
		return ""
	}
	return alarmPeriod(what, v)
}

// alarmActions are an alarm's notification targets, by kind.
func alarmActions(r subject) map[string][]string {
	return map[string][]string{
		"alarmActions": strs(r.in("alarmActions")), "okActions": strs(r.in("okActions")), "insufficientDataActions": strs(r.in("insufficientDataActions")),
	}
}

// metricQueryIDRE: a metric query's ID starts with a lower-case letter and
// holds letters, digits and underscores.
var metricQueryIDRE = regexp.MustCompile(`^[a-z][A-Za-z0-9_]*$`)

// compositeRuleRE finds the alarms a composite alarm's rule names.
var compositeRuleRE = regexp.MustCompile(`(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)`)

// dashboardNameRE: alphanumerics, dashes and underscores.
var dashboardNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// logGroupNameRE: letters, digits and . - _ / #.
var logGroupNameRE = regexp.MustCompile(`^[A-Za-z0-9._/#-]+$`)

// snsTopicNameRE: letters, digits, hyphens and underscores, .fifo at the
// end of a FIFO topic's name.
var snsTopicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.fifo)?$`)

// logRetentionDays are the retention periods CloudWatch Logs accepts.
var logRetentionDays = map[float64]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true,
	365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

var cloudwatchRules = []Rule{{
	ID:      "cloudwatch-alarm-name",
	Summary: "an alarm's name has 1-255 characters, its description at most 1024",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
	Types:   []string{typeMetricAlarm, typeCompositeAlarm},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		if r.Type == typeCompositeAlarm {
			name = r.name("alarmName")
		}
		out := msgs(nameRule("alarm name", name, 1, 255, nil, ""))
		if d := str(r.Inputs, "alarmDescription"); len(d) > 1024 {
			out = append(out, fmt.Sprintf("alarm description has %d characters; at most 1024", len(d)))
		}
		return out
	},
}, {
	ID:      "cloudwatch-alarm-period",
	Summary: "an alarm's period is 10, 20, 30 or a multiple of 60 s (a metric query's also 1 or 5); period x evaluation periods is at most 7 days, and at most 1 day for periods under an hour; datapoints to alarm at most the evaluation periods",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
	Types:   []string{typeMetricAlarm},
	check: func(_ *index, r subject) []string {
		out := msgs(alarmPeriod("period", r.in("period")))
		periods := []float64{}
		if p, ok := num(r.in("period")); ok {
			periods = append(periods, p)
		}
		for i, q := range list(r.in("metricQueries")) {
			for _, path := range [][]string{{"metric", "period"}, {"period"}} {
				v := get(obj(q), path...)
				if m := metricStatPeriod(fmt.Sprintf("metricQueries.%d.%s", i, strings.Join(path, ".")), v); m != "" {
					out = append(out, m)
				}
				if p, ok := num(v); ok {
					periods = append(periods, p)
				}
			}
		}
		evals, ok := num(r.in("evaluationPeriods"))
		if ok && evals < 1 {
			out = append(out, fmt.Sprintf("evaluationPeriods is %s; at least 1", fmtNum(evals)))
		}
		if d, dok := num(r.in("datapointsToAlarm")); dok && ok && (d < 1 || d > evals) {
			out = append(out, fmt.Sprintf("datapointsToAlarm %s is not within 1-%s (the evaluation periods)", fmtNum(d), fmtNum(evals)))
		}
		if ok {
			for _, p := range periods {
				limit, why := 604800.0, "7 days"
				if p < 3600 {
					limit, why = 86400, "1 day for a period under an hour"
				}
				if p*evals > limit {
					out = append(out, fmt.Sprintf("%s periods of %s s evaluate %s s; at most %s", fmtNum(evals), fmtNum(p), fmtNum(p*evals), why))
				}
			}
		}
		return out
	},
}, {
	ID:      "cloudwatch-alarm-metric",
	Summary: "an alarm watches either one metric (namespace and name, with a statistic or an extended statistic, not both) or metric queries (ids starting with a lower-case letter, exactly one returning data), not both",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
	Types:   []string{typeMetricAlarm},
	check: func(_ *index, r subject) []string {
		queries := list(r.in("metricQueries"))
		single := str(r.Inputs, "metricName") != ""
		var out []string
		switch {
		case single && len(queries) > 0:
			out = append(out, "both metricName and metricQueries")
		case !single && len(queries) == 0:
			out = append(out, "neither metricName nor metricQueries")
		}
		if str(r.Inputs, "statistic") != "" && str(r.Inputs, "extendedStatistic") != "" {
			out = append(out, "both statistic and extendedStatistic")
		}
		if single && str(r.Inputs, "statistic") == "" && str(r.Inputs, "extendedStatistic") == "" {
			out = append(out, "metricName without a statistic or an extended statistic")
		}
		if len(queries) > 0 {
			returning := 0
			for i, q := range queries {
				if id := str(obj(q), "id"); !metricQueryIDRE.MatchString(id) {
					out = append(out, fmt.Sprintf("metricQueries.%d.id %q does not start with a lower-case letter followed by letters, digits or underscores", i, id))
				}
				if truthy(obj(q)["returnData"]) {
					returning++
				}
			}
			if returning != 1 {
				out = append(out, fmt.Sprintf("%d metric queries return data; exactly one must", returning))
			}
		}
		return out
	},
}, {
	ID:      "cloudwatch-alarm-actions-region",
	Summary: "an alarm notifies SNS topics of its own Region (and account)",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
	Types:   []string{typeMetricAlarm, typeCompositeAlarm},
	check: func(_ *index, r subject) []string {
		var out []string
		for _, kind := range []string{"alarmActions", "okActions", "insufficientDataActions"} {
			for _, a := range alarmActions(r)[kind] {
				if !strings.HasPrefix(a, "arn:aws:sns:") {
					continue
				}
				if region := arnRegion(a); region != r.Region {
					out = append(out, fmt.Sprintf("%s notifies %s in %s; the alarm is in %s", kind, a, region, r.Region))
				}
			}
		}
		return out
	},
}, {
	ID:      "cloudwatch-composite-rule",
	Summary: "a composite alarm's rule has at most 10240 characters and names alarms of its own Region",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html",
	Types:   []string{typeCompositeAlarm},
	check: func(ix *index, r subject) []string {
		rule := str(r.Inputs, "alarmRule")
		var out []string
		if len(rule) > 10240 {
			out = append(out, fmt.Sprintf("alarmRule has %d characters; at most 10240", len(rule)))
		}
		alarms := map[string]subject{}
		for _, t := range []string{typeMetricAlarm, typeCompositeAlarm} {
			for _, a := range ix.ofType(t) {
				alarms[a.name("name")+a.name("alarmName")] = a
			}
		}
		for _, m := range compositeRuleRE.FindAllStringSubmatch(rule, -1) {
			name := m[1]
			if strings.HasPrefix(name, "arn:") {
				if region := arnRegion(name); region != r.Region {
					out = append(out, fmt.Sprintf("its rule names alarm %s of %s; the composite alarm is in %s", name, region, r.Region))
				}
				continue
			}
			if a, ok := alarms[name]; ok && a.Region != r.Region {
				out = append(out, fmt.Sprintf("its rule names alarm %s of %s; the composite alarm is in %s", name, a.Region, r.Region))
			}
		}
		return out
	},
}, {
	ID:      "cloudwatch-dashboard",
	Summary: "a dashboard's name has alphanumerics, dashes and underscores; each widget sits on the 24-column grid (x 0-23, width 1-24, x + width at most 24, height 1-1000)",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html",
	Types:   []string{typeDashboard},
	check: func(_ *index, r subject) []string {
		out := msgs(nameRule("dashboard name", str(r.Inputs, "dashboardName"), 1, 255, dashboardNameRE, "only alphanumerics, dashes and underscores"))
		body := str(r.Inputs, "dashboardBody")
		if body == "" {
			return out
		}
		var doc struct {
			Widgets []struct {
				X, Y, Width, Height *float64
				Properties          map[string]any
			}
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			return append(out, fmt.Sprintf("dashboardBody is not JSON: %v", err))
		}
		for i, w := range doc.Widgets {
			x, width, height := 0.0, 6.0, 6.0 // the documented defaults
			if w.X != nil {
				x = *w.X
			}
			if w.Width != nil {
				width = *w.Width
			}
			if w.Height != nil {
				height = *w.Height
			}
			out = append(out, msgs(inRange(fmt.Sprintf("widget %d x", i), x, 0, 23), inRange(fmt.Sprintf("widget %d width", i), width, 1, 24),
				inRange(fmt.Sprintf("widget %d height", i), height, 1, 1000))...)
			if x+width > 24 {
				out = append(out, fmt.Sprintf("widget %d spans columns %s to %s of 24", i, fmtNum(x), fmtNum(x+width)))
			}
		}
		return out
	},
}, {
	ID:      "logs-log-group",
	Summary: "a log group's name has 1-512 letters, digits and . - _ / #; its retention is one of CloudWatch Logs' periods",
	Source:  "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
	Types:   []string{typeLogGroup},
	check: func(_ *index, r subject) []string {
		out := msgs(nameRule("log group name", r.name("name"), 1, 512, logGroupNameRE, "only letters, digits and . - _ / #"))
		if d, ok := num(r.in("retentionInDays")); ok && d != 0 && !logRetentionDays[d] {
			out = append(out, fmt.Sprintf("retentionInDays %s is not one of CloudWatch Logs' retention periods", fmtNum(d)))
		}
		return out
	},
}, {
	ID:      "sns-topic-name",
	Summary: "a topic's name has 1-256 letters, digits, hyphens and underscores (.fifo at the end of a FIFO topic's)",
	Source:  "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
	Types:   []string{typeTopic},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		out := msgs(nameRule("topic name", name, 1, 256, snsTopicNameRE, "only letters, digits, hyphens and underscores"))
		if fifo := truthy(r.in("fifoTopic")); fifo != strings.HasSuffix(name, ".fifo") && name != "" {
			out = append(out, fmt.Sprintf("topic %q: a FIFO topic's name, and only a FIFO topic's, ends in .fifo", name))
		}
		return out
	},
}}
