package awsfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Restore job states, as AWS Backup names them.
const (
	RestorePending   = "PENDING"
	RestoreRunning   = "RUNNING"
	RestoreCompleted = "COMPLETED"
	RestoreFailed    = "FAILED"
)

// RecoveryPoint is a backup held in a vault. It holds what its source
// cluster held at Created: a snapshot's time, or the time a continuous
// backup restores to
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery.html).
type RecoveryPoint struct {
	ARN, Vault, Region, ResourceARN, ResourceType, Status string
	Created, Completed                                    time.Time
	rows                                                  map[int64]time.Time // the source's rows at Created, nil: no writes table
	source                                                *DBCluster          // the source's catalog at Created, its master user and database (rds.go)
}

// RestoreJob is a restore of a recovery point. It is PENDING for the first
// tenth of Timings.RestoreJob, then RUNNING, then COMPLETED, when the
// cluster it creates appears, creating for Timings.ClusterCreate.
type RestoreJob struct {
	ID, RecoveryPointARN, Region, ResourceType, IamRoleArn, Status, StatusMessage, CreatedResourceArn string
	Metadata                                                                                          map[string]string
	Created, Completed                                                                                time.Time
}

// AddVault creates an empty backup vault.
func (c *Cloud) AddVault(region, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vaults[region] == nil {
		c.vaults[region] = map[string]bool{}
	}
	c.vaults[region][name] = true
}

// AddRecoveryPoint puts a completed recovery point into a vault (created
// when missing) and returns its ARN. Created defaults to now on the fake's
// clock; the point holds the rows its source cluster (ResourceARN, when
// the fake has it) held by then.
func (c *Cloud) AddRecoveryPoint(p RecoveryPoint) string {
	c.AddVault(p.Region, p.Vault)
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Created.IsZero() {
		p.Created = c.now()
	}
	for _, d := range c.clusters {
		for _, src := range d {
			if src.ARN() == p.ResourceARN {
				p.rows, p.source = src.snapshot(p.Created), src.volumeAt(p.Created)
			}
		}
	}
	if p.ARN == "" {
		kind := "cluster-snapshot"
		p.ARN = fmt.Sprintf("arn:aws:rds:%s:%s:%s:awsbackup:job-%s", p.Region, Account, kind, newUUID())
	}
	if p.Status == "" {
		p.Status = RestoreCompleted
	}
	if p.Completed.IsZero() {
		p.Completed = p.Created.Add(5 * time.Minute)
	}
	c.points = append(c.points, &p)
	return p.ARN
}

// RestoreJobs returns copies of every restore job, oldest first.
func (c *Cloud) RestoreJobs() []RestoreJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []RestoreJob
	for _, j := range c.restores {
		out = append(out, *j)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

type recoveryPointDoc struct {
	RecoveryPointArn string  `json:"RecoveryPointArn"`
	BackupVaultName  string  `json:"BackupVaultName"`
	BackupVaultArn   string  `json:"BackupVaultArn"`
	ResourceArn      string  `json:"ResourceArn"`
	ResourceType     string  `json:"ResourceType"`
	Status           string  `json:"Status"`
	CreationDate     float64 `json:"CreationDate"`
	CompletionDate   float64 `json:"CompletionDate"`
	IsEncrypted      bool    `json:"IsEncrypted"`
}

type restoreJobDoc struct {
	RestoreJobId              string   `json:"RestoreJobId"`
	AccountId                 string   `json:"AccountId"`
	RecoveryPointArn          string   `json:"RecoveryPointArn"`
	RecoveryPointCreationDate float64  `json:"RecoveryPointCreationDate,omitempty"`
	Status                    string   `json:"Status"`
	StatusMessage             string   `json:"StatusMessage,omitempty"`
	PercentDone               string   `json:"PercentDone"`
	CreatedResourceArn        string   `json:"CreatedResourceArn,omitempty"`
	CreationDate              float64  `json:"CreationDate"`
	CompletionDate            *float64 `json:"CompletionDate,omitempty"`
	IamRoleArn                string   `json:"IamRoleArn"`
	ResourceType              string   `json:"ResourceType"`
}

type startRestoreRequest struct {
	RecoveryPointArn string            `json:"RecoveryPointArn"`
	Metadata         map[string]string `json:"Metadata"`
	IamRoleArn       string            `json:"IamRoleArn"`
	IdempotencyToken string            `json:"IdempotencyToken"`
	ResourceType     string            `json:"ResourceType"`
}

func (c *Cloud) backup(region, action string, r *http.Request, body []byte) (any, *apiError) {
	switch action {
	case "ListRecoveryPointsByBackupVault":
		vault := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/backup-vaults/"), "/recovery-points")
		if !c.vaults[region][vault] {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Backup vault %s does not exist in %s.", vault, region)
		}
		byResource, byType := r.URL.Query().Get("resourceArn"), r.URL.Query().Get("resourceType")
		var out struct {
			RecoveryPoints []recoveryPointDoc `json:"RecoveryPoints"`
			NextToken      string             `json:"NextToken,omitempty"`
		}
		out.RecoveryPoints = []recoveryPointDoc{}
		var all []*RecoveryPoint
		for _, p := range c.points {
			if p.Region == region && p.Vault == vault && (byResource == "" || p.ResourceARN == byResource) && (byType == "" || p.ResourceType == byType) {
				all = append(all, p)
			}
		}
		// pages of MaxResults (1 to 1000) with NextToken
		// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html)
		asked := 0
		if v := r.URL.Query().Get("maxResults"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "MaxResults must be between 1 and 1000, not %s.", v)
			}
			asked = n
		}
		fp := fingerprint("ListRecoveryPointsByBackupVault", region, vault, byResource, byType)
		from, ok := pageFrom(r.URL.Query().Get("nextToken"), fp, len(all))
		if !ok {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "The next token is not valid for this request.")
		}
		to, next := cut(len(all), from, c.pageSize(asked, 1000), fp)
		out.NextToken = next
		for _, p := range all[from:to] {
			out.RecoveryPoints = append(out.RecoveryPoints, recoveryPointDoc{
				RecoveryPointArn: p.ARN, BackupVaultName: vault, BackupVaultArn: fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", region, Account, vault),
				ResourceArn: p.ResourceARN, ResourceType: p.ResourceType, Status: p.Status,
				CreationDate: epochSeconds(p.Created), CompletionDate: epochSeconds(p.Completed), IsEncrypted: true,
			})
		}
		return out, nil
	case "StartRestoreJob":
		var req startRestoreRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "%v", err)
		}
		if req.RecoveryPointArn == "" || req.Metadata == nil {
			return nil, errorf(http.StatusBadRequest, "MissingParameterValueException", "RecoveryPointArn and Metadata are required.")
		}
		if req.IamRoleArn == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "An IAM role is required to restore %s.", req.RecoveryPointArn)
		}
		i := slices.IndexFunc(c.points, func(p *RecoveryPoint) bool { return p.ARN == req.RecoveryPointArn && p.Region == region })
		if i < 0 {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Recovery point %s not found in %s.", req.RecoveryPointArn, region)
		}
		p := c.points[i]
		if p.Status != RestoreCompleted {
			return nil, errorf(http.StatusBadRequest, "InvalidRequestException", "Recovery point %s is %s.", p.ARN, p.Status)
		}
		if p.ResourceType == "Aurora" && req.Metadata["DBClusterIdentifier"] == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "Restore metadata of an Aurora recovery point needs DBClusterIdentifier.")
		}
		if id := req.Metadata["DBClusterIdentifier"]; id != "" && !dbIdentifier.MatchString(id) {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValueException", "DBClusterIdentifier %q is not a valid DB cluster identifier.", id)
		}
		for _, j := range c.restores {
			if req.IdempotencyToken != "" && j.Metadata["idempotency"] == req.IdempotencyToken {
				return map[string]string{"RestoreJobId": j.ID}, nil
			}
		}
		meta := map[string]string{"idempotency": req.IdempotencyToken}
		for k, v := range req.Metadata {
			meta[k] = v
		}
		j := &RestoreJob{ID: newID("", 8) + "-" + newID("", 4) + "-" + newID("", 4), RecoveryPointARN: p.ARN, Region: region, ResourceType: p.ResourceType,
			IamRoleArn: req.IamRoleArn, Status: RestorePending, Metadata: meta, Created: c.now()}
		c.restores[j.ID] = j
		return map[string]string{"RestoreJobId": j.ID}, nil
	case "DescribeRestoreJob":
		id := strings.TrimPrefix(r.URL.Path, "/restore-jobs/")
		j := c.restores[id]
		if j == nil {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Restore job %s not found.", id)
		}
		c.advanceRestore(j, c.now())
		var created float64
		if i := slices.IndexFunc(c.points, func(p *RecoveryPoint) bool { return p.ARN == j.RecoveryPointARN }); i >= 0 {
			created = epochSeconds(c.points[i].Created)
		}
		doc := restoreJobDoc{RestoreJobId: j.ID, AccountId: Account, RecoveryPointArn: j.RecoveryPointARN, RecoveryPointCreationDate: created,
			Status: j.Status, StatusMessage: j.StatusMessage, CreatedResourceArn: j.CreatedResourceArn, CreationDate: epochSeconds(j.Created),
			IamRoleArn: j.IamRoleArn, ResourceType: j.ResourceType, PercentDone: map[string]string{RestorePending: "0.00%", RestoreRunning: "50.00%"}[j.Status]}
		if !j.Completed.IsZero() {
			done := epochSeconds(j.Completed)
			doc.CompletionDate, doc.PercentDone = &done, "100.00%"
		}
		return doc, nil
	}
	return nil, errorf(http.StatusNotFound, "UnknownOperationException", "The fake does not serve %s.", action)
}

// settleRestores brings every restore job to the time now, so the
// clusters they created are there whichever API looks first.
func (c *Cloud) settleRestores(now time.Time) {
	for _, j := range c.restores {
		c.advanceRestore(j, now)
	}
}

// advanceRestore brings a job to the time now: PENDING, RUNNING, then
// COMPLETED after Timings.RestoreJob with the cluster it created, which
// RDS lists from then, creating for Timings.ClusterCreate. The cluster
// holds what the recovery point holds, and no DB instance: "AWS Backup
// restores your Aurora cluster; it does not create or attach an Amazon
// RDS instance to your cluster"
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-aur.html).
func (c *Cloud) advanceRestore(j *RestoreJob, now time.Time) {
	if j.Status == RestoreCompleted || j.Status == RestoreFailed {
		return
	}
	t := c.timings()
	done := j.Created.Add(t.RestoreJob)
	switch {
	case now.Before(j.Created.Add(t.RestoreJob / 10)):
		j.Status = RestorePending
		return
	case now.Before(done):
		j.Status = RestoreRunning
		return
	}
	j.Status, j.Completed = RestoreCompleted, done
	id := j.Metadata["DBClusterIdentifier"]
	if id == "" {
		return
	}
	if c.clusters[j.Region][id] != nil {
		j.Status, j.StatusMessage = RestoreFailed, fmt.Sprintf("DB cluster %s already exists", id)
		return
	}
	engine := j.Metadata["Engine"]
	if engine == "" {
		engine = auroraPostgres
	}
	d := &DBCluster{Identifier: id, Region: j.Region, Engine: engine, Status: DBCreating, ready: done.Add(t.ClusterCreate)}
	if i := slices.IndexFunc(c.points, func(p *RecoveryPoint) bool { return p.ARN == j.RecoveryPointARN }); i >= 0 {
		d.rows = maps.Clone(c.points[i].rows) // nil stays nil: no writes table
		d.restoreVolume(c.points[i].source)
	}
	c.putCluster(d)
	j.CreatedResourceArn = d.ARN()
}
