package awsfake

import "time"

// Timings are how long AWS takes to move a resource from one state to the
// next, as its documentation states; the fake's state moves with time on
// its Clock (a scaled clock in tests), never per call. Each field cites
// the page it comes from. Zero fields take DefaultTimings' values.
type Timings struct {
	// InstanceLaunch: an Auto Scaling instance from Pending to InService
	// (boot plus lifecycle), about a minute.
	InstanceLaunch time.Duration
	// CloudWatchDelay: how late a datapoint becomes visible to
	// GetMetricData; standard metrics arrive within a few minutes
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric).
	CloudWatchDelay time.Duration
	// GlobalFailover: an Aurora global database's managed failover
	// (FailoverGlobalCluster with AllowDataLoss) until the new writer takes
	// writes, "typically a minute or two"
	// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
	GlobalFailover time.Duration
	// GlobalSwitchover: a switchover (no data loss) takes longer: it waits
	// for the secondary to catch up first.
	GlobalSwitchover time.Duration
	// ReplicationLag: an Aurora global database's storage-based
	// replication, "typically under a second"
	// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html).
	ReplicationLag time.Duration
	// ClusterCreate and InstanceCreate: a restored DB cluster, and a DB
	// instance in it, from creating to available: minutes each.
	ClusterCreate, InstanceCreate time.Duration
	// RestoreJob: an AWS Backup restore job from CREATED to COMPLETED.
	RestoreJob time.Duration
	// ExperimentStart: a FIS experiment from initiating to running.
	ExperimentStart time.Duration
	// ImageCopy: an EC2 CopyImage from pending to available.
	ImageCopy time.Duration
}

// DefaultTimings are AWS-like timings for the fakes.
var DefaultTimings = Timings{
	InstanceLaunch:   60 * time.Second,
	CloudWatchDelay:  2 * time.Minute,
	GlobalFailover:   90 * time.Second,
	GlobalSwitchover: 3 * time.Minute,
	ReplicationLag:   800 * time.Millisecond,
	ClusterCreate:    5 * time.Minute,
	InstanceCreate:   8 * time.Minute,
	RestoreJob:       10 * time.Minute,
	ExperimentStart:  20 * time.Second,
	ImageCopy:        10 * time.Minute,
}

// or is t with zero fields taken from DefaultTimings.
func (t Timings) or() Timings {
	d := DefaultTimings
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&t.InstanceLaunch, d.InstanceLaunch)
	pick(&t.CloudWatchDelay, d.CloudWatchDelay)
	pick(&t.GlobalFailover, d.GlobalFailover)
	pick(&t.GlobalSwitchover, d.GlobalSwitchover)
	pick(&t.ReplicationLag, d.ReplicationLag)
	pick(&t.ClusterCreate, d.ClusterCreate)
	pick(&t.InstanceCreate, d.InstanceCreate)
	pick(&t.RestoreJob, d.RestoreJob)
	pick(&t.ExperimentStart, d.ExperimentStart)
	pick(&t.ImageCopy, d.ImageCopy)
	return t
}
