package aws

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/slo"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// AlarmTopic names a region's SNS topic for the environment's alarms.
// CloudWatch notifies only a topic in the alarm's own region, so every
// region of the environment has one, named alike; the team subscribes its
// pager to each.
func AlarmTopic(t *topology.Topology, region string) string {
	return fmt.Sprintf("bulwark-%s-%s-alarms", t.Environment.Name, region)
}

// AlarmName names a service's alarm in a region: bulwark-<env>-<region>-
// <service>-<alert>, the alert in kebab case (error-budget-burn-1h).
func AlarmName(t *topology.Topology, region, service, alert string) string {
	return fmt.Sprintf("bulwark-%s-%s-%s-%s", t.Environment.Name, region, service, alert)
}

// newAlarmTopic declares a region's alarm topic.
func newAlarmTopic(ctx *pulumi.Context, t *topology.Topology, region string, opts ...pulumi.ResourceOption) (*sns.Topic, error) {
	return sns.NewTopic(ctx, "alarms", &sns.TopicArgs{
		Name: pulumi.String(AlarmTopic(t, region)), Tags: tags(t, region, ""),
	}, opts...)
}

// AlarmsArgs is what newServiceAlarms needs: the service's load balancer
// and live target group (their ARN suffixes are CloudWatch's dimensions),
// its database member in the region, and the topic.
type AlarmsArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	Service  topology.Service
	Topic    *sns.Topic
	// LoadBalancer and TargetGroup are ARN suffixes (app/..., targetgroup/...).
	LoadBalancer, TargetGroup pulumi.StringOutput
	// Database is the region's Aurora cluster identifier or DynamoDB table
	// name (nil without a database); Secondary says the region replicates
	// (Aurora: it watches its own lag; DynamoDB: the primary region
	// watches every replica's).
	Database  *pulumi.StringOutput
	Secondary bool
	// BackupVault is the vault of the region's backup plan or copies ("" without).
	BackupVault string
}

// ServiceAlarms are a service's alarms in a region: their names, and the
// ARNs of the paging alarms of its objectives (the page tiers' burn-rate
// composites, the latency objective), a FIS experiment's stop conditions.
type ServiceAlarms struct {
	SLO   []pulumi.StringOutput
	Names []string
}

// newServiceAlarms declares a service's CloudWatch alarms in a region,
// with the thresholds the local target's Prometheus rules use (internal/slo):
//
//   - per burn-rate tier whose long window fits CloudWatch (a day at most),
//     a 5xx-ratio alarm over the long window and one over the short, and a
//     composite alarm, in ALARM when both are, that notifies;
//   - the p99 target response time against the latency objective;
//   - unhealthy hosts, and healthy hosts below the capacity's minimum;
//   - the database member's replication lag against the region RPO;
//   - failed backup and copy jobs into the region's vault;
//   - the write queue's oldest write against its max_age, and writes in
//     its dead-letter queue.
func newServiceAlarms(ctx *pulumi.Context, name string, a AlarmsArgs, opts ...pulumi.ResourceOption) (*ServiceAlarms, error) {
	t, s, region := a.Topology, a.Service, a.Region.Name
	out := &ServiceAlarms{}
	actions := pulumi.Array{a.Topic.Arn}
	lbDims := pulumi.StringMap{"LoadBalancer": a.LoadBalancer}
	tgDims := pulumi.StringMap{"LoadBalancer": a.LoadBalancer, "TargetGroup": a.TargetGroup}
	alarm := func(suffix, description string, args *cloudwatch.MetricAlarmArgs, sev slo.Severity) (*cloudwatch.MetricAlarm, error) {
		n := AlarmName(t, region, s.Name, suffix)
		notify := sev != slo.Member
		args.Name, args.AlarmDescription, args.Tags = pulumi.String(n), pulumi.String(slo.AlarmDescription(sev, description)), tags(t, region, s.Name)
		if args.TreatMissingData == nil {
			args.TreatMissingData = pulumi.String("notBreaching")
		}
		if notify {
			args.AlarmActions, args.OkActions = actions, actions
		}
		out.Names = append(out.Names, n)
		return cloudwatch.NewMetricAlarm(ctx, name+"-"+suffix, args, opts...)
	}
	metric := func(id, metricName, stat string, period int, dims pulumi.StringMap) cloudwatch.MetricAlarmMetricQueryArgs {
		return cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String(id), ReturnData: pulumi.Bool(false), Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
			Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String(metricName), Stat: pulumi.String(stat), Period: pulumi.Int(period), Dimensions: dims,
		}}
	}
	if o := s.SLO; o != nil {
		for _, tier := range slo.BurnTiers(o.Window) {
			if tier.Long.Hours() > 24 {
				continue // past CloudWatch's one-day period; Prometheus keeps the 3-day tier
			}
			th := tier.Threshold(*o)
			var parts []string
			var members []pulumi.Resource
			for _, w := range []struct {
				which  string
				period int
			}{{"long", int(tier.Long.Seconds())}, {"short", int(tier.Short.Seconds())}} {
				suffix := fmt.Sprintf("error-budget-burn-%s-%s", slo.PromDuration(tier.Long), w.which)
				ratio := cloudwatch.MetricAlarmMetricQueryArgs{Id: pulumi.String("ratio"), ReturnData: pulumi.Bool(true),
					Label: pulumi.String("5xx ratio"), Expression: pulumi.String("(FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests")}
				m, err := alarm(suffix, fmt.Sprintf("%s's 5xx ratio over %s above %g (%gx its %s error budget)", s.Name, slo.PromDuration(time.Duration(w.period)*time.Second), th, tier.Factor, slo.PromDuration(o.Window)),
					&cloudwatch.MetricAlarmArgs{
						ComparisonOperator: pulumi.String("GreaterThanThreshold"), Threshold: pulumi.Float64(th), EvaluationPeriods: pulumi.Int(1),
						MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
							metric("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum", w.period, lbDims),
							metric("target5xx", "HTTPCode_Target_5XX_Count", "Sum", w.period, lbDims),
							metric("requests", "RequestCount", "Sum", w.period, lbDims), ratio,
						},
					}, slo.Member)
				if err != nil {
					return nil, err
				}
				parts = append(parts, fmt.Sprintf("ALARM(%q)", AlarmName(t, region, s.Name, suffix)))
				members = append(members, m)
			}
			composite := AlarmName(t, region, s.Name, "error-budget-burn-"+slo.PromDuration(tier.Long))
			c, err := cloudwatch.NewCompositeAlarm(ctx, name+"-error-budget-burn-"+slo.PromDuration(tier.Long), &cloudwatch.CompositeAlarmArgs{
				AlarmName: pulumi.String(composite), AlarmRule: pulumi.String(strings.Join(parts, " AND ")),
				AlarmDescription: pulumi.String(slo.AlarmDescription(tier.Severity, fmt.Sprintf("%s in %s burns its %s error budget %gx too fast: %s of it within %s", s.Name, region,
					slo.PromDuration(o.Window), tier.Factor, slo.Percent(tier.BudgetSpent), slo.PromDuration(tier.Long)))),
				AlarmActions: pulumi.StringArray{a.Topic.Arn}, OkActions: pulumi.StringArray{a.Topic.Arn}, Tags: tags(t, region, s.Name),
			}, append(opts, pulumi.DependsOn(members))...) // its rule names them: they exist first
			if err != nil {
				return nil, err
			}
			out.Names = append(out.Names, composite)
			if tier.Severity == slo.Page {
				out.SLO = append(out.SLO, c.Arn)
			}
		}
		if o.LatencyP99 > 0 {
			m, err := alarm("latency-p99", fmt.Sprintf("%s's p99 response time above its objective of %s for 5 minutes", s.Name, o.LatencyP99), &cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String("TargetResponseTime"), ExtendedStatistic: pulumi.String("p99"),
				Dimensions: lbDims, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(5), Threshold: pulumi.Float64(o.LatencyP99.Seconds()),
				ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			}, slo.Page)
			if err != nil {
				return nil, err
			}
			out.SLO = append(out.SLO, m.Arn)
		}
	}
	if _, err := alarm("unhealthy-hosts", fmt.Sprintf("an instance of %s fails its load balancer's health checks", s.Name), &cloudwatch.MetricAlarmArgs{
		Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String("UnHealthyHostCount"), Statistic: pulumi.String("Maximum"),
		Dimensions: tgDims, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(1), Threshold: pulumi.Float64(0),
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
	}, slo.Ticket); err != nil {
		return nil, err
	}
	if _, err := alarm("capacity-below-minimum", fmt.Sprintf("%s has fewer healthy hosts than its minimum capacity of %d", s.Name, s.Capacity.Min), &cloudwatch.MetricAlarmArgs{
		Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String("HealthyHostCount"), Statistic: pulumi.String("Minimum"),
		Dimensions: tgDims, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(2), Threshold: pulumi.Float64(float64(s.Capacity.Min)),
		ComparisonOperator: pulumi.String("LessThanThreshold"), TreatMissingData: pulumi.String("breaching"),
	}, slo.Page); err != nil {
		return nil, err
	}
	if a.Database != nil {
		limit := slo.ReplicationLagLimit(t)
		lag := func(receiving string, args *cloudwatch.MetricAlarmArgs) error {
			args.Statistic, args.Period, args.EvaluationPeriods = pulumi.String("Maximum"), pulumi.Int(60), pulumi.Int(3)
			args.Threshold, args.ComparisonOperator = pulumi.Float64(float64(limit.Milliseconds())), pulumi.String("GreaterThanThreshold")
			n := AlarmName(t, receiving, s.Name, "replication-lag")
			args.Name, args.AlarmDescription = pulumi.String(n), pulumi.String(slo.AlarmDescription(slo.Page,
				fmt.Sprintf("%s's database in %s lags more than %s behind its primary: a region loss now would miss the RPO", s.Name, receiving, limit)))
			args.Tags, args.TreatMissingData = tags(t, receiving, s.Name), pulumi.String("notBreaching")
			args.AlarmActions, args.OkActions = actions, actions
			out.Names = append(out.Names, n)
			_, err := cloudwatch.NewMetricAlarm(ctx, fmt.Sprintf("%s-replication-lag-%s", name, receiving), args, opts...)
			return err
		}
		switch {
		case s.Database.Engine == topology.EngineDynamoDB && !a.Secondary:
			// DynamoDB publishes ReplicationLatency in the sending region,
			// per receiving region; CloudWatch notifies only topics of the
			// alarm's own region, so the primary region's stack watches every
			// replica's lag and notifies its own topic
			// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html,
			// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html)
			for _, receiving := range s.Regions {
				if receiving == region {
					continue
				}
				if err := lag(receiving, &cloudwatch.MetricAlarmArgs{
					Namespace: pulumi.String("AWS/DynamoDB"), MetricName: pulumi.String("ReplicationLatency"),
					Dimensions: pulumi.StringMap{"TableName": *a.Database, "ReceivingRegion": pulumi.String(receiving)},
				}); err != nil {
					return nil, err
				}
			}
		case s.Database.Engine != topology.EngineDynamoDB && a.Secondary:
			// Aurora publishes a secondary cluster's lag in its own region
			if err := lag(region, &cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/RDS"), MetricName: pulumi.String("AuroraGlobalDBReplicationLag"),
				Dimensions: pulumi.StringMap{"DBClusterIdentifier": *a.Database},
			}); err != nil {
				return nil, err
			}
		}
	}
	if wq := s.WriteQueue; wq != nil {
		// writes wait in the queue: the database, or the consumer, has been
		// away for max_age; and writes the consumer failed max_receives
		// times wait in the dead-letter queue for an operator
		// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html)
		if _, err := alarm("write-queue-age", fmt.Sprintf("%s's oldest queued write in %s is older than %s: its database or its consumer is away", s.Name, region, wq.MaxAge), &cloudwatch.MetricAlarmArgs{
			Namespace: pulumi.String("AWS/SQS"), MetricName: pulumi.String("ApproximateAgeOfOldestMessage"), Statistic: pulumi.String("Maximum"),
			Dimensions: pulumi.StringMap{"QueueName": pulumi.String(QueueName(t, s.Name))}, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(1),
			Threshold: pulumi.Float64(wq.MaxAge.Seconds()), ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		}, slo.Page); err != nil {
			return nil, err
		}
		if _, err := alarm("write-queue-dead-letters", fmt.Sprintf("writes of %s in %s failed %d times and wait in the dead-letter queue %s", s.Name, region, wq.MaxReceives, DeadLetterQueueName(t, s.Name)), &cloudwatch.MetricAlarmArgs{
			Namespace: pulumi.String("AWS/SQS"), MetricName: pulumi.String("ApproximateNumberOfMessagesVisible"), Statistic: pulumi.String("Maximum"),
			Dimensions: pulumi.StringMap{"QueueName": pulumi.String(DeadLetterQueueName(t, s.Name))}, Period: pulumi.Int(60), EvaluationPeriods: pulumi.Int(1),
			Threshold: pulumi.Float64(0), ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		}, slo.Ticket); err != nil {
			return nil, err
		}
	}
	if a.BackupVault != "" {
		for _, job := range []string{"Backup", "Copy"} {
			if _, err := alarm("failed-"+strings.ToLower(job)+"-jobs", fmt.Sprintf("a %s job of %s's vault %s failed", strings.ToLower(job), s.Name, a.BackupVault), &cloudwatch.MetricAlarmArgs{
				Namespace: pulumi.String("AWS/Backup"), MetricName: pulumi.String("NumberOf" + job + "JobsFailed"), Statistic: pulumi.String("Sum"),
				Dimensions: pulumi.StringMap{"BackupVaultName": pulumi.String(a.BackupVault)}, Period: pulumi.Int(3600), EvaluationPeriods: pulumi.Int(1),
				Threshold: pulumi.Float64(0), ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			}, slo.Ticket); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
