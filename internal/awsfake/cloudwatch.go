package awsfake

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Datapoint is one value of a CloudWatch metric, as a service publishes it.
type Datapoint struct {
	Region, Namespace, Metric string
	Dimensions                map[string]string
	At                        time.Time
	Value                     float64
}

// PutDatapoint records a metric value (what the load balancer publishes
// every minute on AWS; tests publish it here). GetMetricData sees it only
// Timings.CloudWatchDelay after its timestamp, as CloudWatch's standard
// metrics arrive minutes late
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric).
func (c *Cloud) PutDatapoint(d Datapoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics[d.Region] = append(c.metrics[d.Region], d)
}

// Alarm is a CloudWatch alarm as DescribeAlarms shows it: tests set its
// state as CloudWatch's evaluation would.
type Alarm struct {
	Region, Name, Description string
	State                     string // OK, ALARM, INSUFFICIENT_DATA
	Composite                 bool
	Updated                   time.Time
}

// SetAlarm records an alarm and its state (updated now when Updated is zero).
func (c *Cloud) SetAlarm(a Alarm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a.Updated.IsZero() {
		a.Updated = c.now()
	}
	if c.alarms[a.Region] == nil {
		c.alarms[a.Region] = map[string]Alarm{}
	}
	c.alarms[a.Region][a.Name] = a
}

// The enumerations CloudWatch's actions take; any other value is refused
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
var (
	alarmStates = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}
	alarmTypes  = []string{"CompositeAlarm", "MetricAlarm", "LogAlarm"}
	scanOrders  = []string{"TimestampDescending", "TimestampAscending"}
)

// enumError is the validation error of a value outside its enumeration.
func enumError(value, member string, allowed []string) *apiError {
	return errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, member, strings.Join(allowed, ", "))
}

// describeAlarms serves DescribeAlarms with AlarmNames or AlarmNamePrefix
// (not both), StateValue and AlarmTypes (metric alarms only when absent),
// in pages of MaxRecords (1 to 100; 50 when absent: the reference states
// no default, the fake takes 50) continued by NextToken
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
func (c *Cloud) describeAlarms(region string, in cbor.Map) (cbor.Map, *apiError) {
	for _, k := range []string{"ActionPrefix", "ChildrenOfAlarmName", "ParentsOfAlarmName"} {
		if _, ok := in[k]; ok {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "the fake does not serve DescribeAlarms with %s", k)
		}
	}
	prefix, state := cborString(in["AlarmNamePrefix"]), cborString(in["StateValue"])
	var names []string
	for _, n := range cborList(in["AlarmNames"]) {
		names = append(names, cborString(n))
	}
	if prefix != "" && len(names) > 0 {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "AlarmNamePrefix and AlarmNames cannot be specified together.")
	}
	if state != "" && !slices.Contains(alarmStates, state) {
		return nil, enumError(state, "stateValue", alarmStates)
	}
	types := map[string]bool{}
	for _, t := range cborList(in["AlarmTypes"]) {
		if !slices.Contains(alarmTypes, cborString(t)) {
			return nil, enumError(cborString(t), "alarmTypes", alarmTypes)
		}
		types[cborString(t)] = true
	}
	if len(types) == 0 {
		types["MetricAlarm"] = true
	}
	maxRecords := 0
	if v, ok := in["MaxRecords"]; ok {
		n, err := cbor.AsInt64(v)
		if err != nil || n < 1 || n > 100 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '%v' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", v)
		}
		maxRecords = int(n)
	}
	var chosen []Alarm
	for _, name := range sortedKeys(c.alarms[region]) {
		a := c.alarms[region][name]
		if !strings.HasPrefix(a.Name, prefix) || len(names) > 0 && !slices.Contains(names, a.Name) || state != "" && a.State != state {
			continue
		}
		if a.Composite && types["CompositeAlarm"] || !a.Composite && types["MetricAlarm"] {
			chosen = append(chosen, a)
		}
	}
	fp := fingerprint(region, prefix, strings.Join(names, ","), state, strings.Join(sortedKeys(types), ","))
	from, ok := pageFrom(cborString(in["NextToken"]), fp, len(chosen))
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidNextToken", "The service cannot complete the request: the next token is invalid.")
	}
	to, next := cut(len(chosen), from, c.pageSize(maxRecords, 50), fp)
	metric, composite := cbor.List{}, cbor.List{}
	for _, a := range chosen[from:to] {
		doc := cbor.Map{"AlarmName": cbor.String(a.Name), "AlarmDescription": cbor.String(a.Description), "StateValue": cbor.String(a.State),
			"AlarmArn":              cbor.String(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, Account, a.Name)),
			"StateUpdatedTimestamp": cborTime(a.Updated)}
		if a.Composite {
			composite = append(composite, doc)
		} else {
			metric = append(metric, doc)
		}
	}
	out := cbor.Map{"MetricAlarms": metric, "CompositeAlarms": composite}
	if next != "" {
		out["NextToken"] = cbor.String(next)
	}
	return out, nil
}

// cbor helpers: the request is a map; strings, numbers and epoch-second
// timestamps (tag 1) are read leniently, as the service does.
func cborMap(v cbor.Value) cbor.Map {
	m, _ := v.(cbor.Map)
	return m
}

func cborString(v cbor.Value) string {
	s, _ := v.(cbor.String)
	return string(s)
}

func cborList(v cbor.Value) cbor.List {
	l, _ := v.(cbor.List)
	return l
}

func cborTime(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
}

// cloudWatch serves DescribeAlarms (see describeAlarms) and GetMetricData
// (see getMetricData); the rest of CloudWatch's API is not faked.
func (c *Cloud) cloudWatch(region, action string, body []byte) (any, *apiError) {
	if action != "GetMetricData" && action != "DescribeAlarms" {
		return nil, errorf(http.StatusBadRequest, "UnknownOperationException", "the fake does not serve %s", action)
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "SerializationException", "%v", err)
	}
	in := cborMap(v)
	if action == "DescribeAlarms" {
		return c.describeAlarms(region, in)
	}
	return c.getMetricData(region, in)
}

// metricID is what a query's Id must look like: a lowercase letter first,
// then letters, digits and underscores
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html).
var metricID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)

// metricQuery is one MetricStat query of a GetMetricData request.
type metricQuery struct {
	id, namespace, name, stat string
	dims                      map[string]string
	period                    int64
}

// validPeriod is CloudWatch's rule for a MetricStat's Period: 1, 5, 10,
// 20, 30, or a multiple of 60 seconds
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html).
func validPeriod(p int64) bool {
	return p > 0 && (p%60 == 0 || slices.Contains([]int64{1, 5, 10, 20, 30}, p))
}

// getMetricData serves GetMetricData for MetricStat queries (Sum, Average,
// Maximum, Minimum, SampleCount and pNN percentiles) over the datapoints
// put, as its reference states it
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
//
//   - StartTime, EndTime and 1 to 500 MetricDataQueries are required, each
//     query with a unique Id; StartTime must be before EndTime, which is
//     exclusive;
//   - StartTime is rounded down: to the minute when less than 15 days ago,
//     to 5 minutes when up to 63 days ago, to the hour beyond; to an even
//     division of the minute for periods under a minute;
//   - a Period must be 1, 5, 10, 20, 30 or a multiple of 60, and for data
//     more than 3 hours, 15 days or 63 days old a multiple of 60, 300 or
//     3,600 seconds, or no datapoints are returned for it;
//   - datapoints come newest first unless ScanBy is TimestampAscending, in
//     pages of MaxDatapoints (default 100,800) continued by NextToken; a
//     result whose data continues on the next page says PartialData;
//   - a datapoint is visible Timings.CloudWatchDelay after its timestamp.
func (c *Cloud) getMetricData(region string, in cbor.Map) (any, *apiError) {
	for _, k := range []string{"StartTime", "EndTime", "MetricDataQueries"} {
		if _, ok := in[k]; !ok {
			return nil, errorf(http.StatusBadRequest, "MissingParameter", "The parameter %s is required.", k)
		}
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "StartTime and EndTime must be timestamps.")
	}
	if !start.Before(end) {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	scan := "TimestampDescending"
	if v, ok := in["ScanBy"]; ok {
		if scan = cborString(v); !slices.Contains(scanOrders, scan) {
			return nil, enumError(scan, "scanBy", scanOrders)
		}
	}
	maxPoints := 100800
	if v, ok := in["MaxDatapoints"]; ok {
		n, err := cbor.AsInt64(v)
		if err != nil || n < 1 {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "MaxDatapoints must be a positive number, not %v.", v)
		}
		maxPoints = int(min(n, math.MaxInt32))
	}
	raw := cborList(in["MetricDataQueries"])
	if len(raw) == 0 || len(raw) > 500 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value at 'metricDataQueries' failed to satisfy constraint: Member must have length between 1 and 500")
	}
	var queries []metricQuery
	var keys []string
	seen := map[string]bool{}
	for _, q := range raw {
		qm := cborMap(q)
		id := cborString(qm["Id"])
		if !metricID.MatchString(id) {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "The value %q for parameter MetricDataQueries.Id is invalid: it must begin with a lowercase letter and hold only letters, digits and underscores.", id)
		}
		if seen[id] {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "The values for parameter id in MetricDataQueries are not unique.")
		}
		seen[id] = true
		stat := cborMap(qm["MetricStat"])
		if stat == nil {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "query %s: the fake answers MetricStat queries only, not expressions", id)
		}
		metric := cborMap(stat["Metric"])
		if metric == nil || cborString(metric["MetricName"]) == "" || cborString(metric["Namespace"]) == "" {
			return nil, errorf(http.StatusBadRequest, "MissingParameter", "query %s: MetricStat needs a Metric with a Namespace and a MetricName.", id)
		}
		period, err := cbor.AsInt64(stat["Period"])
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "MissingParameter", "query %s: MetricStat needs a Period.", id)
		}
		if !validPeriod(period) {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "query %s: the period %d is invalid: it must be 1, 5, 10, 20, 30 or a multiple of 60 seconds.", id, period)
		}
		how := cborString(stat["Stat"])
		if err := knownStatistic(how); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "query %s: %v", id, err)
		}
		dims := map[string]string{}
		for _, d := range cborList(metric["Dimensions"]) {
			dm := cborMap(d)
			dims[cborString(dm["Name"])] = cborString(dm["Value"])
		}
		mq := metricQuery{id: id, namespace: cborString(metric["Namespace"]), name: cborString(metric["MetricName"]), stat: how, dims: dims, period: period}
		queries = append(queries, mq)
		keys = append(keys, fmt.Sprintf("%s/%s/%s/%s/%d/%v", mq.id, mq.namespace, mq.name, mq.stat, mq.period, sortedPairs(dims)))
	}

	now := c.now()
	visible := now.Add(-c.timings().CloudWatchDelay)
	type point struct {
		query int
		at    time.Time
		value float64
	}
	var all []point
	for qi, q := range queries {
		from := roundStart(start, now, q.period)
		buckets := map[int64][]float64{}
		for _, p := range c.metrics[region] {
			if p.Namespace != q.namespace || p.Metric != q.name || !maps.Equal(p.Dimensions, q.dims) ||
				p.At.Before(from) || !p.At.Before(end) || p.At.After(visible) || !retained(p.At, now, q.period) {
				continue
			}
			b := int64(p.At.Sub(from)/time.Second) / q.period
			buckets[b] = append(buckets[b], p.Value)
		}
		var found []point
		for _, b := range slices.Sorted(maps.Keys(buckets)) {
			value, err := statistic(q.stat, buckets[b])
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "query %s: %v", q.id, err)
			}
			found = append(found, point{query: qi, at: from.Add(time.Duration(b*q.period) * time.Second), value: value})
		}
		if scan == "TimestampDescending" {
			slices.Reverse(found)
		}
		all = append(all, found...)
	}
	fp := fingerprint(region, start.String(), end.String(), scan, strings.Join(keys, ";"))
	first, ok := pageFrom(cborString(in["NextToken"]), fp, len(all))
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidNextToken", "The service cannot complete the request: the next token is invalid.")
	}
	last, next := cut(len(all), first, c.pageSize(maxPoints, maxPoints), fp)
	var results cbor.List
	for qi, q := range queries {
		stamps, values := cbor.List{}, cbor.List{}
		more, has := false, false
		for k, p := range all {
			if p.query != qi {
				continue
			}
			has = true
			switch {
			case k >= first && k < last:
				stamps = append(stamps, cborTime(p.at))
				values = append(values, cbor.Float64(p.value))
			case k >= last:
				more = true
			}
		}
		if len(stamps) == 0 && (has || first > 0) {
			continue // its data is on other pages
		}
		status := "Complete"
		if more {
			status = "PartialData"
		}
		results = append(results, cbor.Map{"Id": cbor.String(q.id), "Label": cbor.String(q.name), "StatusCode": cbor.String(status),
			"Timestamps": stamps, "Values": values})
	}
	if results == nil {
		results = cbor.List{}
	}
	out := cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}
	if next != "" {
		out["NextToken"] = cbor.String(next)
	}
	return out, nil
}

// roundStart rounds a request's StartTime down as CloudWatch does, by its
// age and the query's period.
func roundStart(start, now time.Time, period int64) time.Time {
	age := now.Sub(start)
	switch {
	case age > 63*24*time.Hour:
		return start.Truncate(time.Hour)
	case age > 15*24*time.Hour:
		return start.Truncate(5 * time.Minute)
	case period < 60:
		return start.Truncate(time.Duration(period) * time.Second)
	}
	return start.Truncate(time.Minute)
}

// retained says whether data of age now-at is returned at a period: data
// more than 3 hours old needs a multiple of 60 s, more than 15 days 300 s,
// more than 63 days 3,600 s.
func retained(at, now time.Time, period int64) bool {
	age := now.Sub(at)
	switch {
	case age > 63*24*time.Hour:
		return period%3600 == 0
	case age > 15*24*time.Hour:
		return period%300 == 0
	case age > 3*time.Hour:
		return period%60 == 0
	}
	return true
}

func sortedPairs(m map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// statistics are CloudWatch's statistics; extended ones (pNN, tmNN, ...)
// are checked by knownStatistic
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
var statistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

// extended is the form of an extended statistic: a percentile pNN(.NN),
// or a trimmed or windsorized one (tm, wm, tc, ts, pr) with a percentage
// or a range, or IQM.
var extended = regexp.MustCompile(`^(?:p\d{1,2}(?:\.\d{1,10})?|p100|(?:tm|wm|tc|ts|pr)\d{1,2}(?:\.\d+)?|(?:TM|WM|TC|TS|PR)\(\d*(?:\.\d+)?%?:\d*(?:\.\d+)?%?\)|IQM)$`)

// knownStatistic refuses a statistic CloudWatch does not know.
func knownStatistic(how string) error {
	if how == "" {
		return fmt.Errorf("the Stat is required")
	}
	if slices.Contains(statistics, how) || extended.MatchString(how) {
		return nil
	}
	return fmt.Errorf("the statistic %q is not a valid statistic", how)
}

func statistic(how string, vals []float64) (float64, error) {
	var sum, lo, hi float64
	for i, v := range vals {
		sum += v
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	switch how {
	case "Sum":
		return sum, nil
	case "Average":
		return sum / float64(len(vals)), nil
	case "Minimum":
		return lo, nil
	case "Maximum":
		return hi, nil
	case "SampleCount":
		return float64(len(vals)), nil
	}
	if p, err := strconv.ParseFloat(strings.TrimPrefix(how, "p"), 64); err == nil && strings.HasPrefix(how, "p") && p >= 0 && p <= 100 {
		// an extended statistic: the nearest-rank percentile of the values put
		sorted := slices.Sorted(slices.Values(vals))
		rank := int(math.Ceil(p / 100 * float64(len(sorted))))
		return sorted[max(rank, 1)-1], nil
	}
	return 0, fmt.Errorf("the fake does not compute the statistic %q", how)
}

// writeCBOR writes a Smithy RPC v2 CBOR answer.
func writeCBOR(w http.ResponseWriter, requestID string, status int, v cbor.Value) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}

// cloudWatchShapes name the error shapes of CloudWatch's model by the
// Query error codes they carry, so the SDK reads them as its typed errors.
var cloudWatchShapes = map[string]string{
	"InvalidParameterValue":       "InvalidParameterValueException",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"MissingParameter":            "MissingRequiredParameterException",
	"InvalidNextToken":            "InvalidNextToken",
	"LimitExceeded":               "LimitExceededException",
}

// writeCBORError writes an RPC v2 CBOR error; CloudWatch is query
// compatible, so the Query code also rides in X-Amzn-Query-Error.
func writeCBORError(w http.ResponseWriter, requestID string, e *apiError) {
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	shape, ok := cloudWatchShapes[e.code]
	if !ok {
		shape = strings.TrimSuffix(e.code, "Exception")
	}
	w.Header().Set("X-Amzn-Query-Error", e.code+";"+fault)
	writeCBOR(w, requestID, e.status, cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + shape), "message": cbor.String(e.message)})
}
