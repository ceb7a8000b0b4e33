package awsfake

import (
	"fmt"
	"net/http"
	"slices"
)

// Global cluster and failover states, as RDS names them.
const (
	GlobalAvailable     = "available"
	GlobalFailingOver   = "failing-over"
	GlobalSwitchingOver = "switching-over"
)

// DBCluster is an Aurora cluster of the fake: a member of a global cluster
// or one a restore created.
type DBCluster struct {
	Identifier, Region, Status string
	Writer                     bool // the global cluster's writer
	DeletionProtection         bool
	ticks                      int
}

// ARN is the cluster's Amazon Resource Name.
func (d DBCluster) ARN() string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", d.Region, Account, d.Identifier)
}

// GlobalCluster is an Aurora global database.
type GlobalCluster struct {
	Identifier, Status string
	Members            []DBCluster
	// Failovers counts completed failovers (data loss allowed), Switchovers planned ones.
	Failovers, Switchovers int
	failover               *failoverState
	ticks                  int
}

type failoverState struct {
	from, to string // cluster ARNs
	dataLoss bool
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

// AddGlobalCluster creates an available global cluster; its members become clusters of their regions.
func (c *Cloud) AddGlobalCluster(g GlobalCluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g.Status = GlobalAvailable
	for i := range g.Members {
		g.Members[i].Status = GlobalAvailable
		m := g.Members[i]
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
	out := *g
	out.Members = slices.Clone(g.Members)
	return out, true
}

// DBClusters lists a region's cluster identifiers, sorted.
func (c *Cloud) DBClusters(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return sortedKeys(c.clusters[region])
}

func (c *Cloud) putCluster(d *DBCluster) {
	if c.clusters[d.Region] == nil {
		c.clusters[d.Region] = map[string]*DBCluster{}
	}
	c.clusters[d.Region][d.Identifier] = d
}

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
}

type globalClusterResult struct {
	GlobalCluster rdsGlobalCluster `xml:"GlobalCluster"`
}

type rdsCluster struct {
	DBClusterIdentifier string `xml:"DBClusterIdentifier"`
	DBClusterArn        string `xml:"DBClusterArn"`
	Status              string `xml:"Status"`
	Engine              string `xml:"Engine"`
	Endpoint            string `xml:"Endpoint"`
	DeletionProtection  bool   `xml:"DeletionProtection"`
}

type describeClustersResult struct {
	Clusters []rdsCluster `xml:"DBClusters>DBCluster"`
}

type clusterResult struct {
	Cluster rdsCluster `xml:"DBCluster"`
}

func (c *Cloud) rds(region, action string, q query) (any, *apiError) {
	switch action {
	case "DescribeGlobalClusters":
		var out describeGlobalClustersResult
		id := q.get("GlobalClusterIdentifier")
		if id != "" && c.globals[id] == nil {
			return nil, errorf(http.StatusNotFound, "GlobalClusterNotFoundFault", "Global cluster %s not found.", id)
		}
		for _, k := range sortedKeys(c.globals) {
			if id != "" && k != id {
				continue
			}
			g := c.globals[k]
			c.advance(g)
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
		g.Status = GlobalFailingOver
		if switchover {
			g.Status = GlobalSwitchingOver
		}
		g.failover, g.ticks = &failoverState{from: g.Writer().ARN(), to: target, dataLoss: !switchover}, 0
		return globalClusterResult{GlobalCluster: g.document()}, nil
	case "DescribeDBClusters":
		id := q.get("DBClusterIdentifier")
		var out describeClustersResult
		for _, d := range c.clusters[region] {
			if id != "" && d.Identifier != id {
				continue
			}
			if d.Status == "creating" {
				if d.ticks++; d.ticks >= c.ticks() {
					d.Status = GlobalAvailable
				}
			}
			out.Clusters = append(out.Clusters, d.document())
		}
		if id != "" && len(out.Clusters) == 0 {
			return nil, errorf(http.StatusNotFound, "DBClusterNotFoundFault", "DBCluster %s not found.", id)
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
		for _, g := range c.globals {
			if slices.ContainsFunc(g.Members, func(m DBCluster) bool { return m.ARN() == d.ARN() }) {
				return nil, errorf(http.StatusBadRequest, "InvalidDBClusterStateFault", "Cluster %s is a member of global cluster %s; remove it first.", id, g.Identifier)
			}
		}
		delete(c.clusters[region], id)
		doc := d.document()
		doc.Status = "deleting"
		return clusterResult{Cluster: doc}, nil
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

// advance moves a failover or switchover one step: pending, then done.
func (c *Cloud) advance(g *GlobalCluster) {
	if g.failover == nil {
		return
	}
	if g.ticks++; g.ticks < c.ticks()+1 {
		return
	}
	for i := range g.Members {
		g.Members[i].Writer = g.Members[i].ARN() == g.failover.to
	}
	if g.failover.dataLoss {
		g.Failovers++
	} else {
		g.Switchovers++
	}
	g.failover, g.Status = nil, GlobalAvailable
}

func (g *GlobalCluster) document() rdsGlobalCluster {
	d := rdsGlobalCluster{
		GlobalClusterIdentifier: g.Identifier, Status: g.Status, Engine: "aurora-postgresql", EngineVersion: "16.4",
		GlobalClusterArn: fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", Account, g.Identifier),
	}
	for _, m := range g.Members {
		d.Members = append(d.Members, rdsGlobalMember{DBClusterArn: m.ARN(), IsWriter: m.Writer})
	}
	if f := g.failover; f != nil {
		status := "pending"
		if g.ticks > 0 {
			status = "failing-over"
		}
		d.FailoverState = &rdsFailoverState{Status: status, FromDbClusterArn: f.from, ToDbClusterArn: f.to, IsDataLossAllowed: f.dataLoss}
	}
	return d
}

func (d *DBCluster) document() rdsCluster {
	return rdsCluster{DBClusterIdentifier: d.Identifier, DBClusterArn: d.ARN(), Status: d.Status, Engine: "aurora-postgresql",
		Endpoint: fmt.Sprintf("%s.cluster-fake.%s.rds.amazonaws.com", d.Identifier, d.Region), DeletionProtection: d.DeletionProtection}
}
