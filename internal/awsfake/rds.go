package awsfake

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Global cluster and failover states, as RDS names them.
const (
	GlobalAvailable     = "available"
	GlobalFailingOver   = "failing-over"
	GlobalSwitchingOver = "switching-over"
)

// DB cluster and instance states, as RDS names them.
const (
	DBCreating  = "creating"
	DBAvailable = "available"
	DBDeleting  = "deleting"
)

// auroraPostgres is the engine bulwark's stacks declare (modules/aws).
const auroraPostgres = "aurora-postgresql"

var (
	// ErrReadOnly is what a write to a cluster that is not its global
	// database's writer gets: a secondary cluster of an Aurora global
	// database is read-only (Aurora PostgreSQL answers SQLSTATE 25006,
	// read_only_sql_transaction)
	// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html).
	ErrReadOnly = errors.New("read-only")
	// ErrUnreachable is what a query to a cluster that has no writer
	// available gets: one failing or switching over, one still being
	// created, one with no instance, one that is gone.
	ErrUnreachable = errors.New("unreachable")
)

// DBCluster is an Aurora cluster of the fake: a member of a global cluster
// or one a restore created. Its rows are the fake's stand-in for the
// service's "writes" table (images/shop): which sequence numbers it holds,
// and from when.
type DBCluster struct {
	Identifier, Region, Status string
	Engine                     string // aurora-postgresql when empty
	Writer                     bool   // the global cluster's writer
	DeletionProtection         bool
	// HTTPEndpoint is set by EnableHttpEndpoint: the RDS Data API answers for the cluster.
	HTTPEndpoint bool
	// MasterUsername and MasterPassword are the master user the cluster
	// was created with, and DatabaseName the database created with it
	// (CreateDBCluster's MasterUsername, MasterUserPassword and
	// DatabaseName: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html);
	// a member of a global cluster shares its writer's (AddGlobalCluster).
	// With a master user the fake keeps the cluster's catalog, and the RDS
	// Data API signs in against it; a fixture without one has no catalog,
	// and the Data API takes any secret of the region for it.
	MasterUsername, MasterPassword, DatabaseName string

	ready     time.Time           // when a creating cluster becomes available
	rows      map[int64]time.Time // seq -> when the row is visible here; nil: no writes table yet
	catalog   *catalog            // roles, databases, grants; nil: the fixture declared no master user
	instances map[string]*DBInstance
}

// ARN is the cluster's Amazon Resource Name.
func (d DBCluster) ARN() string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", d.Region, Account, d.Identifier)
}

// DBInstance is a DB instance of a cluster of the fake. It is creating for
// Timings.InstanceCreate after CreateDBInstance, then available.
type DBInstance struct {
	Identifier, Cluster, Region, Class, Engine, Status string
	ready                                              time.Time
}

// ARN is the instance's Amazon Resource Name.
func (i DBInstance) ARN() string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", i.Region, Account, i.Identifier)
}

// GlobalCluster is an Aurora global database.
type GlobalCluster struct {
	Identifier, Status string
	Members            []DBCluster
	// Failovers counts completed failovers (data loss allowed), Switchovers planned ones.
	Failovers, Switchovers int
	failover               *failoverState
}

type failoverState struct {
	from, to string // cluster ARNs
	dataLoss bool
	done     time.Time // when the new writer takes writes
}

// Writer is the member that takes writes.
func (g GlobalCluster) Writer() DBCluster {
	for _, m := range g.Members {
		if m.Writer {
			return m
		}
	}
	return DBCluster{}
}

// AddGlobalCluster creates an available global cluster; its members become
// clusters of their regions, with a writer instance in the writer's
// region (the fake does not list the members' instances). The members
// share the writer's master user and database: a secondary cluster is a
// copy of the primary's volume, catalog included
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html);
// a writer with a master user gives each member a catalog holding it.
func (c *Cloud) AddGlobalCluster(g GlobalCluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g.Status = GlobalAvailable
	w := g.Writer()
	for i := range g.Members {
		g.Members[i].Status = DBAvailable
		if g.Members[i].Engine == "" {
			g.Members[i].Engine = auroraPostgres
		}
		m := g.Members[i]
		m.MasterUsername, m.MasterPassword, m.DatabaseName = w.MasterUsername, w.MasterPassword, w.DatabaseName
		if m.MasterUsername != "" {
			m.catalog = newCatalog(m.MasterUsername, m.MasterPassword, m.DatabaseName)
		}
		c.putCluster(&m)
	}
	c.globals[g.Identifier] = &g
}

// GlobalCluster returns a copy of a global cluster as it is now.
func (c *Cloud) GlobalCluster(id string) (GlobalCluster, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.globals[id]
	if !ok {
		return GlobalCluster{}, false
	}
	c.advance(g, c.now())
	out := *g
	out.Members = slices.Clone(g.Members)
	return out, true
}

// DBClusters lists a region's cluster identifiers, sorted.
func (c *Cloud) DBClusters(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settleRestores(c.now())
	return sortedKeys(c.clusters[region])
}

// DBInstances lists a region's DB instance identifiers (deleting ones
// included), sorted.
func (c *Cloud) DBInstances(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, d := range c.clusters[region] {
		out = append(out, slices.Collect(maps.Keys(d.instances))...)
	}
	slices.Sort(out)
	return out
}

// Write inserts the row seq into a cluster's writes table, as the
// service's database connection would (INSERT INTO writes), and
// acknowledges it when the cluster committed it. A member of a global
// database takes it only while it is the writer and no failover or
// switchover runs (ErrReadOnly, ErrUnreachable); the row then reaches
// every secondary after Timings.ReplicationLag: Aurora replicates
// asynchronously, "typically under a second"
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html).
// A cluster of its own takes it when it has an available instance.
func (c *Cloud) Write(region, cluster string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	d, g, err := c.reachable(region, cluster, now)
	if err != nil {
		return fmt.Errorf("write %d: %w", seq, err)
	}
	if g != nil && !c.isWriter(g, d) {
		return fmt.Errorf("write %d: %w: cluster %s is a secondary of global cluster %s", seq, ErrReadOnly, cluster, g.Identifier)
	}
	d.insert(seq, now)
	if g != nil {
		lag := c.timings().ReplicationLag
		for _, m := range g.Members {
			if p := c.clusters[m.Region][m.Identifier]; p != nil && p != d {
				p.insert(seq, now.Add(lag))
			}
		}
	}
	return nil
}

// Rows lists the rows in [from, to] a cluster holds now, sorted, as a
// query on its endpoint would (SELECT seq FROM writes).
func (c *Cloud) Rows(region, cluster string, from, to int64) ([]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	d, g, err := c.reachable(region, cluster, now)
	if err != nil {
		// a secondary's readers keep answering while its global cluster
		// fails over or switches over; the writer does not
		if d == nil || g == nil || c.isWriter(g, d) {
			return nil, fmt.Errorf("read: %w", err)
		}
	}
	return d.visible(from, to, now), nil
}

// reachable finds a cluster that answers queries: a member of a global
// cluster while no failover or switchover runs (a secondary answers reads
// only), or a cluster of its own that is available and has an available
// instance. On ErrUnreachable d and g are still returned when known.
func (c *Cloud) reachable(region, cluster string, now time.Time) (d *DBCluster, g *GlobalCluster, err error) {
	c.settleRestores(now)
	d = c.clusters[region][cluster]
	if d == nil {
		return nil, nil, fmt.Errorf("%w: no cluster %s in %s", ErrUnreachable, cluster, region)
	}
	if g = c.globalOf(d); g != nil {
		c.advance(g, now)
		if g.Status != GlobalAvailable {
			return d, g, fmt.Errorf("%w: global cluster %s is %s", ErrUnreachable, g.Identifier, g.Status)
		}
		return d, g, nil
	}
	if d.status(now) != DBAvailable {
		return d, nil, fmt.Errorf("%w: cluster %s is %s", ErrUnreachable, cluster, d.status(now))
	}
	if !d.hasAvailableInstance(now) {
		return d, nil, fmt.Errorf("%w: cluster %s has no available instance", ErrUnreachable, cluster)
	}
	return d, nil, nil
}

func (d *DBCluster) insert(seq int64, at time.Time) {
	if d.rows == nil {
		d.rows = map[int64]time.Time{}
	}
	if _, ok := d.rows[seq]; !ok {
		d.rows[seq] = at
	}
}

// visible lists the rows in [from, to] visible at now, sorted.
func (d *DBCluster) visible(from, to int64, now time.Time) []int64 {
	var out []int64
	for seq, at := range d.rows {
		if seq >= from && seq <= to && !at.After(now) {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out
}

// snapshot is the rows visible at t, as a copy.
func (d *DBCluster) snapshot(t time.Time) map[int64]time.Time {
	if d.rows == nil {
		return nil
	}
	out := map[int64]time.Time{}
	for seq, at := range d.rows {
		if !at.After(t) {
			out[seq] = at
		}
	}
	return out
}

func (d *DBCluster) status(now time.Time) string {
	if d.Status == DBCreating && !now.Before(d.ready) {
		d.Status = DBAvailable
	}
	return d.Status
}

func (d *DBCluster) hasAvailableInstance(now time.Time) bool {
	for _, i := range d.instances {
		if i.status(now) == DBAvailable {
			return true
		}
	}
	return false
}

func (i *DBInstance) status(now time.Time) string {
	if i.Status == DBCreating && !now.Before(i.ready) {
		i.Status = DBAvailable
	}
	return i.Status
}

func (c *Cloud) putCluster(d *DBCluster) {
	if c.clusters[d.Region] == nil {
		c.clusters[d.Region] = map[string]*DBCluster{}
	}
	c.clusters[d.Region][d.Identifier] = d
}

// clusterByARN finds a cluster of the region by its ARN.
func (c *Cloud) clusterByARN(region, arn string) *DBCluster {
	for _, d := range c.clusters[region] {
		if d.ARN() == arn {
			return d
		}
	}
	return nil
}

// globalOf is the global cluster d is a member of, if any.
func (c *Cloud) globalOf(d *DBCluster) *GlobalCluster {
	for _, g := range c.globals {
		if slices.ContainsFunc(g.Members, func(m DBCluster) bool { return m.ARN() == d.ARN() }) {
			return g
		}
	}
	return nil
}

func (c *Cloud) isWriter(g *GlobalCluster, d *DBCluster) bool {
	return d != nil && g.Writer().ARN() == d.ARN()
}

// member is the region's cluster behind a member of g.
func (c *Cloud) member(m DBCluster) *DBCluster { return c.clusters[m.Region][m.Identifier] }

// advance completes a failover or switchover whose time has come.
//
// A failover (AllowDataLoss) promotes the target with what it had when the
// failover began: "failing over can result in a loss of write transaction
// data that wasn't replicated to the chosen secondary before the failover
// event occurred"; the old primary, when it is back, and every other
// secondary are then rebuilt from the new primary, so the unreplicated tail
// is gone from the global database (AWS keeps a snapshot of the old
// primary; the fake does not)
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
// A switchover first lets the target catch up with the primary, so it
// loses nothing (same page).
func (c *Cloud) advance(g *GlobalCluster, now time.Time) {
	f := g.failover
	if f == nil || now.Before(f.done) {
		return
	}
	var from, to *DBCluster
	for i, m := range g.Members {
		p := c.member(m)
		g.Members[i].Writer = m.ARN() == f.to
		if p != nil {
			p.Writer = g.Members[i].Writer
		}
		switch m.ARN() {
		case f.from:
			from = p
		case f.to:
			to = p
		}
	}
	if to != nil {
		if !f.dataLoss && from != nil {
			// caught up before the switch
			to.rows, to.catalog = from.snapshot(now), from.catalog.snapshot(now)
		}
		for _, m := range g.Members {
			if p := c.member(m); p != nil && p != to {
				p.rows, p.catalog = to.snapshot(now), to.catalog.snapshot(now)
			}
		}
	}
	if f.dataLoss {
		g.Failovers++
	} else {
		g.Switchovers++
	}
	g.failover, g.Status = nil, GlobalAvailable
}

// dbIdentifier is RDS's rule for DB cluster and instance identifiers: 1 to
// 63 letters, digits or hyphens, a letter first, no two hyphens in a row,
// no hyphen last
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
var dbIdentifier = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9]){0,62}$`)

type rdsFailoverState struct {
	Status            string `xml:"Status"`
	FromDbClusterArn  string `xml:"FromDbClusterArn"`
	ToDbClusterArn    string `xml:"ToDbClusterArn"`
	IsDataLossAllowed bool   `xml:"IsDataLossAllowed"`
}

type rdsGlobalMember struct {
	DBClusterArn string `xml:"DBClusterArn"`
	IsWriter     bool   `xml:"IsWriter"`
	Status       string `xml:"SynchronizationStatus,omitempty"`
}

type rdsGlobalCluster struct {
	GlobalClusterIdentifier string            `xml:"GlobalClusterIdentifier"`
	GlobalClusterArn        string            `xml:"GlobalClusterArn"`
	Status                  string            `xml:"Status"`
	Engine                  string            `xml:"Engine"`
	EngineVersion           string            `xml:"EngineVersion"`
	Members                 []rdsGlobalMember `xml:"GlobalClusterMembers>GlobalClusterMember"`
	FailoverState           *rdsFailoverState `xml:"FailoverState,omitempty"`
}

type describeGlobalClustersResult struct {
	GlobalClusters []rdsGlobalCluster `xml:"GlobalClusters>GlobalClusterMember"`
	Marker         string             `xml:"Marker,omitempty"`
}

type globalClusterResult struct {
	GlobalCluster rdsGlobalCluster `xml:"GlobalCluster"`
}

type rdsClusterMember struct {
	DBInstanceIdentifier string `xml:"DBInstanceIdentifier"`
	IsClusterWriter      bool   `xml:"IsClusterWriter"`
}

type rdsCluster struct {
	DBClusterIdentifier string             `xml:"DBClusterIdentifier"`
	DBClusterArn        string             `xml:"DBClusterArn"`
	Status              string             `xml:"Status"`
	Engine              string             `xml:"Engine"`
	MasterUsername      string             `xml:"MasterUsername,omitempty"`
	DatabaseName        string             `xml:"DatabaseName,omitempty"`
	Endpoint            string             `xml:"Endpoint"`
	DeletionProtection  bool               `xml:"DeletionProtection"`
	HttpEndpointEnabled bool               `xml:"HttpEndpointEnabled"`
	Members             []rdsClusterMember `xml:"DBClusterMembers>DBClusterMember"`
}

type describeClustersResult struct {
	Clusters []rdsCluster `xml:"DBClusters>DBCluster"`
	Marker   string       `xml:"Marker,omitempty"`
}

type clusterResult struct {
	Cluster rdsCluster `xml:"DBCluster"`
}

type rdsInstance struct {
	DBInstanceIdentifier string `xml:"DBInstanceIdentifier"`
	DBInstanceArn        string `xml:"DBInstanceArn"`
	DBInstanceClass      string `xml:"DBInstanceClass"`
	Engine               string `xml:"Engine"`
	DBInstanceStatus     string `xml:"DBInstanceStatus"`
	DBClusterIdentifier  string `xml:"DBClusterIdentifier"`
}

type describeInstancesResult struct {
	Instances []rdsInstance `xml:"DBInstances>DBInstance"`
	Marker    string        `xml:"Marker,omitempty"`
}

type instanceResult struct {
	Instance rdsInstance `xml:"DBInstance"`
}

type httpEndpointResult struct {
	ResourceArn         string `xml:"ResourceArn"`
	HttpEndpointEnabled bool   `xml:"HttpEndpointEnabled"`
}

// maxRecords reads a describe call's MaxRecords: 20 to 100, 100 when unset
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html).
func maxRecords(q query) (int, *apiError) {
	if !q.has("MaxRecords") {
		return 100, nil
	}
	n, err := strconv.Atoi(q.get("MaxRecords"))
	if err != nil || n < 20 || n > 100 {
		return 0, errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid value %s for MaxRecords. Must be between 20 and 100.", q.get("MaxRecords"))
	}
	return n, nil
}

// page cuts a describe call's answer at Marker and MaxRecords.
func (c *Cloud) page(q query, n int, fp string) (from, to int, marker string, err *apiError) {
	size, err := maxRecords(q)
	if err != nil {
		return 0, 0, "", err
	}
	from, ok := pageFrom(q.get("Marker"), fp, n)
	if !ok {
		return 0, 0, "", errorf(http.StatusBadRequest, "InvalidParameterValue", "The marker %q is not valid for this request.", q.get("Marker"))
	}
	to, marker = cut(n, from, c.pageSize(size, 100), fp)
	return from, to, marker, nil
}

func (c *Cloud) rds(region, action string, q query) (any, *apiError) {
	now := c.now()
	c.settleRestores(now)
	switch action {
	case "DescribeGlobalClusters":
		id := q.get("GlobalClusterIdentifier")
		if id != "" && c.globals[id] == nil {
			return nil, errorf(http.StatusNotFound, "GlobalClusterNotFoundFault", "Global cluster %s not found.", id)
		}
		var ids []string
		for _, k := range sortedKeys(c.globals) {
			if id == "" || k == id {
				ids = append(ids, k)
			}
		}
		from, to, marker, err := c.page(q, len(ids), fingerprint("DescribeGlobalClusters", id))
		if err != nil {
			return nil, err
		}
		out := describeGlobalClustersResult{Marker: marker}
		for _, k := range ids[from:to] {
			g := c.globals[k]
			c.advance(g, now)
			out.GlobalClusters = append(out.GlobalClusters, g.document())
		}
		return out, nil
	case "FailoverGlobalCluster", "SwitchoverGlobalCluster":
		if err := q.require("GlobalClusterIdentifier", "TargetDbClusterIdentifier"); err != nil {
			return nil, err
		}
		id, target := q.get("GlobalClusterIdentifier"), q.get("TargetDbClusterIdentifier")
		g := c.globals[id]
		if g == nil {
			return nil, errorf(http.StatusNotFound, "GlobalClusterNotFoundFault", "Global cluster %s not found.", id)
		}
		c.advance(g, now)
		dataLoss := q.get("AllowDataLoss") == "true"
		switchover := action == "SwitchoverGlobalCluster" || q.get("Switchover") == "true"
		if action == "FailoverGlobalCluster" && dataLoss == switchover {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "Specify exactly one of AllowDataLoss and Switchover.")
		}
		if g.Status != GlobalAvailable {
			return nil, errorf(http.StatusBadRequest, "InvalidGlobalClusterStateFault", "Global cluster %s is in %s state and cannot be failed over.", id, g.Status)
		}
		to := slices.IndexFunc(g.Members, func(m DBCluster) bool { return m.ARN() == target })
		if to < 0 {
			return nil, errorf(http.StatusNotFound, "DBClusterNotFoundFault", "DBCluster %s is not a member of global cluster %s.", target, id)
		}
		if g.Members[to].Writer {
			return nil, errorf(http.StatusBadRequest, "InvalidDBClusterStateFault", "DBCluster %s is already the primary cluster of global cluster %s.", target, id)
		}
		// from now no member takes writes until the new writer does
		t := c.timings()
		g.Status, g.failover = GlobalFailingOver, &failoverState{from: g.Writer().ARN(), to: target, dataLoss: true, done: now.Add(t.GlobalFailover)}
		if switchover {
			g.Status, g.failover.dataLoss, g.failover.done = GlobalSwitchingOver, false, now.Add(t.GlobalSwitchover)
		} else if p := c.member(g.Members[to]); p != nil {
			// the target keeps what had reached it: what was still in
			// flight from the lost primary never arrives (its catalog's
			// changes included)
			p.rows, p.catalog = p.snapshot(now), p.catalog.snapshot(now)
		}
		return globalClusterResult{GlobalCluster: g.document()}, nil
	case "DescribeDBClusters":
		id := q.get("DBClusterIdentifier")
		var all []*DBCluster
		for _, k := range sortedKeys(c.clusters[region]) {
			if id == "" || k == id {
				all = append(all, c.clusters[region][k])
			}
		}
		if id != "" && len(all) == 0 {
			return nil, errorf(http.StatusNotFound, "DBClusterNotFoundFault", "DBCluster %s not found.", id)
		}
		from, to, marker, err := c.page(q, len(all), fingerprint("DescribeDBClusters", region, id))
		if err != nil {
			return nil, err
		}
		out := describeClustersResult{Marker: marker}
		for _, d := range all[from:to] {
			out.Clusters = append(out.Clusters, c.clusterDocument(d, now))
		}
		return out, nil
	case "DeleteDBCluster":
		if err := q.require("DBClusterIdentifier"); err != nil {
			return nil, err
		}
		id := q.get("DBClusterIdentifier")
		d := c.clusters[region][id]
		if d == nil {
			return nil, errorf(http.StatusNotFound, "DBClusterNotFoundFault", "DBCluster %s not found.", id)
		}
		if d.DeletionProtection {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "Cannot delete protected Cluster, please disable deletion protection and try again.")
		}
		if q.get("SkipFinalSnapshot") != "true" && q.get("FinalDBSnapshotIdentifier") == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
		}
		if g := c.globalOf(d); g != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidDBClusterStateFault", "Cluster %s is a member of global cluster %s; remove it first.", id, g.Identifier)
		}
		// a cluster's instances go first: "Before deleting a DB cluster,
		// you must delete its DB instances"; a deleting one no longer holds it
		// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html)
		for _, i := range d.instances {
			if i.status(now) != DBDeleting {
				return nil, errorf(http.StatusBadRequest, "InvalidDBClusterStateFault", "Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
			}
		}
		delete(c.clusters[region], id)
		doc := c.clusterDocument(d, now)
		doc.Status = DBDeleting
		return clusterResult{Cluster: doc}, nil
	case "CreateDBInstance":
		return c.createDBInstance(region, q, now)
	case "DescribeDBInstances":
		id := q.get("DBInstanceIdentifier")
		var all []*DBInstance
		for _, k := range sortedKeys(c.clusters[region]) {
			for _, name := range sortedKeys(c.clusters[region][k].instances) {
				if id == "" || name == id {
					all = append(all, c.clusters[region][k].instances[name])
				}
			}
		}
		if id != "" && len(all) == 0 {
			return nil, errorf(http.StatusNotFound, "DBInstanceNotFound", "DBInstance %s not found.", id)
		}
		from, to, marker, err := c.page(q, len(all), fingerprint("DescribeDBInstances", region, id))
		if err != nil {
			return nil, err
		}
		out := describeInstancesResult{Marker: marker}
		for _, i := range all[from:to] {
			out.Instances = append(out.Instances, i.document(now))
		}
		return out, nil
	case "DeleteDBInstance":
		if err := q.require("DBInstanceIdentifier"); err != nil {
			return nil, err
		}
		id := q.get("DBInstanceIdentifier")
		for _, d := range c.clusters[region] {
			if i := d.instances[id]; i != nil {
				// an Aurora instance has no final snapshot of its own: the
				// cluster's storage holds the data
				// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html);
				// the fake lists it, deleting, until its cluster goes
				i.Status = DBDeleting
				return instanceResult{Instance: i.document(now)}, nil
			}
		}
		return nil, errorf(http.StatusNotFound, "DBInstanceNotFound", "DBInstance %s not found.", id)
	case "EnableHttpEndpoint":
		// the RDS Data API for Aurora PostgreSQL provisioned and Serverless
		// v2 clusters, off by default
		// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_EnableHttpEndpoint.html)
		if err := q.require("ResourceArn"); err != nil {
			return nil, err
		}
		arn := q.get("ResourceArn")
		d := c.clusterByARN(region, arn)
		if d == nil {
			return nil, errorf(http.StatusNotFound, "ResourceNotFoundFault", "The specified resource ID %s was not found.", arn)
		}
		if d.status(now) != DBAvailable {
			return nil, errorf(http.StatusBadRequest, "InvalidResourceStateFault", "The operation can't be performed because another operation is in progress: cluster %s is %s.", d.Identifier, d.Status)
		}
		d.HTTPEndpoint = true
		return httpEndpointResult{ResourceArn: arn, HttpEndpointEnabled: true}, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

// createDBInstance adds an instance to a cluster of the region. A
// restored Aurora cluster has none until one is created: "You can create
// DB instances only after the [restore] has completed and the DB cluster
// is available"
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html;
// https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html).
// The instance's engine is its cluster's, and an Aurora instance names its
// class (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
func (c *Cloud) createDBInstance(region string, q query, now time.Time) (any, *apiError) {
	if err := q.require("DBInstanceIdentifier", "DBInstanceClass", "Engine"); err != nil {
		return nil, err
	}
	id, class, engine, cluster := q.get("DBInstanceIdentifier"), q.get("DBInstanceClass"), q.get("Engine"), q.get("DBClusterIdentifier")
	if !dbIdentifier.MatchString(id) {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
	}
	if !strings.HasPrefix(class, "db.") {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid DB Instance class: %s", class)
	}
	for _, d := range c.clusters[region] {
		if d.instances[id] != nil {
			return nil, errorf(http.StatusBadRequest, "DBInstanceAlreadyExists", "DB instance already exists")
		}
	}
	if strings.HasPrefix(engine, "aurora") && cluster == "" {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "An Aurora DB instance needs DBClusterIdentifier.")
	}
	d := c.clusters[region][cluster]
	if d == nil {
		return nil, errorf(http.StatusNotFound, "DBClusterNotFoundFault", "DBCluster %s not found.", cluster)
	}
	if engine != d.Engine {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination", "The engine %s of the DB instance does not match the engine %s of DB cluster %s.", engine, d.Engine, cluster)
	}
	if st := d.status(now); st != DBAvailable {
		return nil, errorf(http.StatusBadRequest, "InvalidDBClusterStateFault", "The requested operation can't be performed while cluster %s is %s.", cluster, st)
	}
	if d.instances == nil {
		d.instances = map[string]*DBInstance{}
	}
	i := &DBInstance{Identifier: id, Cluster: cluster, Region: region, Class: class, Engine: engine, Status: DBCreating, ready: now.Add(c.timings().InstanceCreate)}
	d.instances[id] = i
	return instanceResult{Instance: i.document(now)}, nil
}

func (g *GlobalCluster) document() rdsGlobalCluster {
	d := rdsGlobalCluster{
		GlobalClusterIdentifier: g.Identifier, Status: g.Status, Engine: auroraPostgres, EngineVersion: "16.4",
		GlobalClusterArn: fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", Account, g.Identifier),
	}
	for _, m := range g.Members {
		d.Members = append(d.Members, rdsGlobalMember{DBClusterArn: m.ARN(), IsWriter: m.Writer})
	}
	if f := g.failover; f != nil {
		// FailoverState.Status: failing-over or switching-over while it runs
		// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html)
		d.FailoverState = &rdsFailoverState{Status: g.Status, FromDbClusterArn: f.from, ToDbClusterArn: f.to, IsDataLossAllowed: f.dataLoss}
	}
	return d
}

func (c *Cloud) clusterDocument(d *DBCluster, now time.Time) rdsCluster {
	doc := rdsCluster{DBClusterIdentifier: d.Identifier, DBClusterArn: d.ARN(), Status: d.status(now), Engine: d.Engine,
		Endpoint: fmt.Sprintf("%s.cluster-fake.%s.rds.amazonaws.com", d.Identifier, d.Region), DeletionProtection: d.DeletionProtection,
		HttpEndpointEnabled: d.HTTPEndpoint, MasterUsername: d.MasterUsername, DatabaseName: d.DatabaseName}
	for _, name := range sortedKeys(d.instances) {
		doc.Members = append(doc.Members, rdsClusterMember{DBInstanceIdentifier: name, IsClusterWriter: len(doc.Members) == 0})
	}
	return doc
}

func (i *DBInstance) document(now time.Time) rdsInstance {
	return rdsInstance{DBInstanceIdentifier: i.Identifier, DBInstanceArn: i.ARN(), DBInstanceClass: i.Class, Engine: i.Engine,
		DBInstanceStatus: i.status(now), DBClusterIdentifier: i.Cluster}
}

// catalog is the part of a cluster's PostgreSQL catalog bulwark touches:
// its databases, its roles with their passwords, and the privileges
// granted on databases and schemas. It lives in the cluster volume, so a
// global database's secondaries receive the writer's changes after the
// replication lag, as they receive rows, a failover keeps what had reached
// the new writer, and a restore brings back what it held at the recovery
// point (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html).
// Every entry records from when it is visible in this cluster; a role keeps
// each of its versions (a password change is a new one), so a snapshot at
// a time holds the catalog as it was then.
type catalog struct {
	databases map[string]time.Time
	roles     map[string][]dbRole // name -> versions, oldest first
	grants    map[dbGrant]time.Time
}

// dbRole is a version of a role: a password (the fake keeps it in the
// clear where PostgreSQL keeps a SCRAM verifier), whether it may sign in,
// and whether it is the master user, a member of rds_superuser, which
// creates roles and grants privileges
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.rds_superuser.html).
type dbRole struct {
	password     string
	login, admin bool
	at           time.Time
}

// dbGrant is a privilege on a database or on a schema of a database.
type dbGrant struct {
	kind      string // "DATABASE" or "SCHEMA"
	database  string
	object    string // the database's name, or the schema's
	privilege string // CONNECT, CREATE, USAGE, ...
	grantee   string
}

func (g dbGrant) String() string {
	if g.kind == "ROLE" {
		return "MEMBER OF " + g.object
	}
	if g.kind == "SCHEMA" {
		return fmt.Sprintf("%s ON SCHEMA %s.%s", g.privilege, g.database, g.object)
	}
	return fmt.Sprintf("%s ON DATABASE %s", g.privilege, g.object)
}

// newCatalog is a new cluster's catalog: the master user, the database
// created with the cluster and the postgres database RDS always creates
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.CreateInstance.html).
// All of it is there from the start.
func newCatalog(master, password, database string) *catalog {
	k := &catalog{databases: map[string]time.Time{"postgres": {}}, roles: map[string][]dbRole{}, grants: map[dbGrant]time.Time{}}
	if database != "" {
		k.databases[database] = time.Time{}
	}
	k.roles[master] = []dbRole{{password: password, login: true, admin: true}}
	return k
}

// role is the version of a role visible at now.
func (k *catalog) role(name string, now time.Time) (dbRole, bool) {
	if k == nil {
		return dbRole{}, false
	}
	vs := k.roles[name]
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].at.After(now) {
			return vs[i], true
		}
	}
	return dbRole{}, false
}

// putRole adds a version of a role, visible from r.at, in time order.
func (k *catalog) putRole(name string, r dbRole) {
	vs := append(k.roles[name], r)
	slices.SortStableFunc(vs, func(a, b dbRole) int { return a.at.Compare(b.at) })
	k.roles[name] = vs
}

// grant records a privilege, visible from at (the earliest grant counts).
func (k *catalog) grant(g dbGrant, at time.Time) {
	if was, ok := k.grants[g]; !ok || at.Before(was) {
		k.grants[g] = at
	}
}

func (k *catalog) hasDatabase(name string, now time.Time) bool {
	at, ok := k.databases[name]
	return ok && !at.After(now)
}

// snapshot is the catalog as it was at t, as a copy (nil stays nil).
func (k *catalog) snapshot(t time.Time) *catalog {
	return k.filter(func(at time.Time) bool { return !at.After(t) })
}

// clone is a copy of the whole catalog (nil stays nil).
func (k *catalog) clone() *catalog { return k.filter(func(time.Time) bool { return true }) }

// filter copies the entries whose time keep accepts.
func (k *catalog) filter(keep func(at time.Time) bool) *catalog {
	if k == nil {
		return nil
	}
	out := &catalog{databases: map[string]time.Time{}, roles: map[string][]dbRole{}, grants: map[dbGrant]time.Time{}}
	for name, at := range k.databases {
		if keep(at) {
			out.databases[name] = at
		}
	}
	for name, vs := range k.roles {
		for _, v := range vs {
			if keep(v.at) {
				out.roles[name] = append(out.roles[name], v)
			}
		}
	}
	for g, at := range k.grants {
		if keep(at) {
			out.grants[g] = at
		}
	}
	return out
}

// changeCatalog applies a change of a cluster's catalog made at now: in
// the cluster at once and, when it is a global database's writer, in each
// secondary after Timings.ReplicationLag, as Write replicates a row.
func (c *Cloud) changeCatalog(d *DBCluster, now time.Time, change func(k *catalog, at time.Time)) {
	change(d.catalog, now)
	g := c.globalOf(d)
	if g == nil {
		return
	}
	lag := c.timings().ReplicationLag
	for _, m := range g.Members {
		if p := c.member(m); p != nil && p != d && p.catalog != nil {
			change(p.catalog, now.Add(lag))
		}
	}
}

// DatabaseRole is a role of a cluster's catalog as it is visible there
// now: its password (as pg_authid holds it, in the fake in the clear),
// whether it may sign in, and the privileges granted to it on databases
// ("CONNECT ON DATABASE shop") and schemas ("USAGE ON SCHEMA shop.public"),
// sorted.
type DatabaseRole struct {
	Name, Password string
	Login          bool
	Grants         []string
}

// DatabaseRole reads a role of a cluster, as a query of the cluster's
// catalog would (a secondary of a global cluster answers it too).
func (c *Cloud) DatabaseRole(region, cluster, name string) (DatabaseRole, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.settleRestores(now)
	d := c.clusters[region][cluster]
	if d == nil {
		return DatabaseRole{}, false
	}
	if g := c.globalOf(d); g != nil {
		c.advance(g, now) // a failover's or switchover's end
	}
	r, ok := d.catalog.role(name, now)
	if !ok {
		return DatabaseRole{}, false
	}
	out := DatabaseRole{Name: name, Password: r.password, Login: r.login}
	for g, at := range d.catalog.grants {
		if g.grantee == name && !at.After(now) {
			out.Grants = append(out.Grants, g.String())
		}
	}
	slices.Sort(out.Grants)
	return out, true
}

// PutRole creates a role that may sign in, or sets the password of the
// one there, in a cluster that takes writes (a global database's writer,
// replicated to its secondaries), as the alternating-users rotation does
// when it signs in as the master user: CREATE ROLE ... WITH LOGIN PASSWORD,
// or ALTER USER ... WITH PASSWORD
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html#rotating-secrets-two-users).
// It fails as Write does where a write would.
func (c *Cloud) PutRole(region, cluster, name, password string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	d, g, err := c.reachable(region, cluster, now)
	if err != nil {
		return fmt.Errorf("role %s: %w", name, err)
	}
	if g != nil && !c.isWriter(g, d) {
		return fmt.Errorf("role %s: %w: cluster %s is a secondary of global cluster %s", name, ErrReadOnly, cluster, g.Identifier)
	}
	if d.catalog == nil {
		return fmt.Errorf("role %s: cluster %s was added without a master user, so the fake keeps no catalog for it", name, cluster)
	}
	c.changeCatalog(d, now, func(k *catalog, at time.Time) {
		r, _ := k.role(name, at)
		k.putRole(name, dbRole{password: password, login: true, admin: r.admin, at: at})
	})
	return nil
}

// volumeAt is what a backup of the cluster taken at t holds besides its
// rows: its catalog then, its master user and its database (nil when the
// cluster keeps no catalog).
func (d *DBCluster) volumeAt(t time.Time) *DBCluster {
	if d.catalog == nil {
		return nil
	}
	return &DBCluster{MasterUsername: d.MasterUsername, MasterPassword: d.MasterPassword, DatabaseName: d.DatabaseName, catalog: d.catalog.snapshot(t)}
}

// restoreVolume gives a cluster a restore created the catalog its
// recovery point holds: the roles, passwords and grants of the source at
// the point's time, the master user's password included
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html).
func (d *DBCluster) restoreVolume(src *DBCluster) {
	if src == nil {
		return
	}
	d.MasterUsername, d.MasterPassword, d.DatabaseName = src.MasterUsername, src.MasterPassword, src.DatabaseName
	d.catalog = src.catalog.clone()
}
