package awsfake

import (
	"fmt"
	"maps"
	"math"
	"net/http"
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
// every minute on AWS; tests publish it here).
func (c *Cloud) PutDatapoint(d Datapoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics = append(c.metrics, d)
}

// Alarm is a CloudWatch alarm as DescribeAlarms shows it: tests set its
// state as CloudWatch's evaluation would.
type Alarm struct {
	Region, Name, Description string
	State                     string // OK, ALARM, INSUFFICIENT_DATA
	Composite                 bool
	Updated                   time.Time
}

// SetAlarm records an alarm and its state.
func (c *Cloud) SetAlarm(a Alarm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a.Updated.IsZero() {
		a.Updated = time.Now()
	}
	c.alarms[a.Region+"/"+a.Name] = a
}

// describeAlarms serves DescribeAlarms with AlarmNamePrefix, StateValue
// and AlarmTypes (metric alarms only when absent), in one page.
func (c *Cloud) describeAlarms(region string, in cbor.Map) cbor.Map {
	prefix, state := cborString(in["AlarmNamePrefix"]), cborString(in["StateValue"])
	types := map[string]bool{}
	for _, t := range cborList(in["AlarmTypes"]) {
		types[cborString(t)] = true
	}
	if len(types) == 0 {
		types["MetricAlarm"] = true
	}
	metric, composite := cbor.List{}, cbor.List{}
	for _, a := range c.alarms {
		if a.Region != region || !strings.HasPrefix(a.Name, prefix) || (state != "" && a.State != state) {
			continue
		}
		doc := cbor.Map{"AlarmName": cbor.String(a.Name), "AlarmDescription": cbor.String(a.Description), "StateValue": cbor.String(a.State),
			"StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(a.Updated.UnixMilli()) / 1000)}}
		switch {
		case a.Composite && types["CompositeAlarm"]:
			composite = append(composite, doc)
		case !a.Composite && types["MetricAlarm"]:
			metric = append(metric, doc)
		}
	}
	return cbor.Map{"MetricAlarms": metric, "CompositeAlarms": composite}
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

// cloudWatch serves DescribeAlarms (see describeAlarms) and GetMetricData for MetricStat queries (Sum, Average,
// Maximum, Minimum, SampleCount) over the datapoints put, in periods from
// StartTime; the rest of CloudWatch's API is not faked.
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
		return c.describeAlarms(region, in), nil
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "StartTime and EndTime are required")
	}
	if !start.Before(end) {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
	}
	queries := cborList(in["MetricDataQueries"])
	if len(queries) == 0 || len(queries) > 500 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "MetricDataQueries must hold 1 to 500 queries")
	}
	var results cbor.List
	for _, q := range queries {
		qm := cborMap(q)
		id := cborString(qm["Id"])
		stat := cborMap(qm["MetricStat"])
		if stat == nil {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "query %s: the fake answers MetricStat queries only, not expressions", id)
		}
		metric := cborMap(stat["Metric"])
		period, err := cbor.AsInt64(stat["Period"])
		if err != nil || period <= 0 || period%60 != 0 && period > 60 {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "query %s: Period must be 1, 5, 10, 30 or a multiple of 60", id)
		}
		dims := map[string]string{}
		for _, d := range cborList(metric["Dimensions"]) {
			dm := cborMap(d)
			dims[cborString(dm["Name"])] = cborString(dm["Value"])
		}
		ns, name, how := cborString(metric["Namespace"]), cborString(metric["MetricName"]), cborString(stat["Stat"])
		buckets := map[int64][]float64{}
		for _, p := range c.metrics {
			if p.Region != region || p.Namespace != ns || p.Metric != name || !maps.Equal(p.Dimensions, dims) || p.At.Before(start) || !p.At.Before(end) {
				continue
			}
			b := int64(p.At.Sub(start)/time.Second) / period
			buckets[b] = append(buckets[b], p.Value)
		}
		var stamps, values cbor.List
		for b := int64(0); start.Add(time.Duration(b*period) * time.Second).Before(end); b++ {
			vals, ok := buckets[b]
			if !ok {
				continue // CloudWatch returns no value for a period without data
			}
			value, err := statistic(how, vals)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "ValidationError", "query %s: %v", id, err)
			}
			at := start.Add(time.Duration(b*period) * time.Second)
			stamps = append(stamps, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(at.UnixMilli()) / 1000)})
			values = append(values, cbor.Float64(value))
		}
		results = append(results, cbor.Map{"Id": cbor.String(id), "Label": cbor.String(name), "StatusCode": cbor.String("Complete"),
			"Timestamps": stamps, "Values": values})
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
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
	if p, err := strconv.ParseFloat(strings.TrimPrefix(how, "p"), 64); err == nil && strings.HasPrefix(how, "p") && p > 0 && p <= 100 {
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

// writeCBORError writes an RPC v2 CBOR error; CloudWatch is query
// compatible, so the Query code also rides in X-Amzn-Query-Error.
func writeCBORError(w http.ResponseWriter, requestID string, e *apiError) {
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", e.code+";"+fault)
	writeCBOR(w, requestID, e.status, cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + strings.TrimSuffix(e.code, "Exception")), "message": cbor.String(e.message)})
}
