package plan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/stacks"
)

// ErrDataLoss is what a DataLossError is: a change would destroy data.
var ErrDataLoss = errors.New("the change would destroy data")

// DataLossError lists the steps of a change that would destroy data; it
// is ErrDataLoss for errors.Is.
type DataLossError struct {
	Losses []DataLoss
}

func (e *DataLossError) Error() string {
	if len(e.Losses) == 1 {
		return fmt.Sprintf("%v: %s", ErrDataLoss, e.Losses[0].Lost)
	}
	return fmt.Sprintf("%v: of %d resources", ErrDataLoss, len(e.Losses))
}

func (e *DataLossError) Unwrap() error { return ErrDataLoss }

// Step is one step the engine would take on a resource, as a preview
// reports it, or as a review names the difference between two plans.
type Step struct {
	Stack string
	// Op is the engine's name of the step: create, update, delete,
	// replace, create-replacement, delete-replaced, discard, same, ...
	Op   string
	URN  string
	Type string
	Name string
	// Region is where the resource lives, when the caller knows it (a
	// plan's Resource.Region); else its inputs' region, else the stack's.
	Region string
	// Old is the resource's inputs (or state) before the step, New its
	// inputs after; nil when it has none on that side.
	Old, New map[string]any
}

// DataLoss is a step that would destroy data.
type DataLoss struct {
	Stack string `json:"stack"`
	// Op is delete, replace, or update (an update that drops a replica).
	Op   string `json:"op"`
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Lost says, in one line, what would be lost.
	Lost string `json:"lost"`
}

// Operations a DataLoss names.
const (
	LossDelete  = "delete"
	LossReplace = "replace"
	LossUpdate  = "update"
)

// DataHolder is a resource type that holds data, on one target.
type DataHolder struct {
	Target string // aws or local
	Type   string // the resource type token
	// Holds says what a resource of the type holds.
	Holds string
	// lost says what deleting or replacing the resource loses.
	lost func(s Step) string
}

// dataHolders are the resource types of bulwark's modules that hold data.
// An Aurora cluster instance is not one (an Aurora cluster's storage is
// the cluster's, its instances only compute), nor is a backup plan on aws
// (its recovery points are the vault's). Every KMS key the modules declare
// encrypts a database, a table or a vault, so every key counts.
var dataHolders = []DataHolder{
	{Target: "aws", Type: "aws:rds/globalCluster:GlobalCluster", Holds: "an Aurora global database, which every region's cluster replicates",
		lost: func(s Step) string {
			return fmt.Sprintf("Aurora global database %s, which every region's cluster replicates", s.input("globalClusterIdentifier"))
		}},
	{Target: "aws", Type: "aws:rds/cluster:Cluster", Holds: "a region's Aurora cluster: its storage and automated backups",
		lost: func(s Step) string {
			lost := fmt.Sprintf("the data of Aurora cluster %s in %s and its automated backups", s.input("clusterIdentifier"), s.region())
			if final, _ := s.value("finalSnapshotIdentifier").(string); final != "" && final != Unknown && !s.boolInput("skipFinalSnapshot") {
				lost += fmt.Sprintf(" (a final snapshot %s is kept)", final)
			}
			return lost
		}},
	{Target: "aws", Type: "aws:dynamodb/table:Table", Holds: "a DynamoDB table and its replicas in other regions",
		lost: func(s Step) string {
			lost := fmt.Sprintf("the items of DynamoDB table %s in %s", s.input("name"), s.region())
			if replicas := replicaRegions(s.Old); len(replicas) > 0 {
				lost += " and in its replicas in " + strings.Join(replicas, ", ")
			}
			return lost
		}},
	{Target: "aws", Type: "aws:backup/vault:Vault", Holds: "AWS Backup recovery points",
		lost: func(s Step) string {
			return fmt.Sprintf("the recovery points in backup vault %s in %s", s.input("name"), s.region())
		}},
	{Target: "aws", Type: "aws:kms/key:Key", Holds: "the key that encrypts a database, a table or a vault",
		lost: func(s Step) string { return keyLost("KMS key", s) }},
	{Target: "aws", Type: "aws:kms/replicaKey:ReplicaKey", Holds: "a region's replica of a multi-region key (a table replica's)",
		lost: func(s Step) string { return keyLost("replica KMS key", s) }},
	{Target: "aws", Type: "aws:sqs/queue:Queue", Holds: "a service's queued writes (or its dead-letter queue's), not yet in its database",
		lost: func(s Step) string {
			return fmt.Sprintf("the writes queued in SQS queue %s in %s and not yet drained into the database", s.input("name"), s.region())
		}},
	{Target: "local", Type: contract.TypeLocalWriteQueue, Holds: "a service's queued writes in a region (its JetStream stream), not yet in its database",
		lost: func(s Step) string {
			return fmt.Sprintf("the writes of %s queued in %s and not yet drained into its database", s.input("service"), s.region())
		}},
	{Target: "local", Type: contract.TypeLocalDatabase, Holds: "a region's member of a service's PostgreSQL: its data directory",
		lost: func(s Step) string {
			role := "its primary"
			if primary, _ := s.value("primary").(string); primary != "" && primary != s.region() {
				role = "a replica of " + primary
			}
			return fmt.Sprintf("the data of %s's database member in %s (%s)", s.input("service"), s.region(), role)
		}},
	{Target: "local", Type: contract.TypeLocalBackupPlan, Holds: "a service's backups (pgBackRest, with the archived WAL) in the vaults of its copy_to regions",
		lost: func(s Step) string {
			vaults := stringsOf(s.value("vaults"))
			return fmt.Sprintf("the backups of %s's database, with their archived WAL, in the vaults of %s", s.input("service"), strings.Join(vaults, ", "))
		}},
}

// DataHolders lists the resource types that hold data, per target.
func DataHolders() []DataHolder { return slices.Clone(dataHolders) }

// HoldsData reports whether a resource of the type holds data, and what.
func HoldsData(typ string) (DataHolder, bool) {
	i := slices.IndexFunc(dataHolders, func(h DataHolder) bool { return h.Type == typ })
	if i < 0 {
		return DataHolder{}, false
	}
	return dataHolders[i], true
}

// DataLosses picks, from a change's steps, those that would destroy data:
// a delete or a replacement of a resource of a type that holds data (see
// HoldsData), and an update that drops a region from a DynamoDB table's
// replicas. A resource a replacement touches in several steps (replace,
// create-replacement, delete-replaced) is named once; a discard (a
// resource with retainOnDelete, left where it is) loses nothing. They are
// in the order of their stacks, then URNs.
func DataLosses(steps []Step) []DataLoss {
	seen := map[string]int{} // stack and URN -> index in out
	var out []DataLoss
	for _, s := range steps {
		h, ok := HoldsData(s.Type)
		if !ok {
			continue
		}
		loss := DataLoss{Stack: s.Stack, URN: s.URN, Type: s.Type, Name: s.Name}
		switch s.Op {
		case "delete":
			loss.Op, loss.Lost = LossDelete, h.lost(s)
		case "replace", "create-replacement", "delete-replaced":
			loss.Op, loss.Lost = LossReplace, h.lost(s)
		case "update":
			dropped := droppedReplicas(s)
			if len(dropped) == 0 {
				continue
			}
			loss.Op = LossUpdate
			loss.Lost = fmt.Sprintf("the replica of DynamoDB table %s in %s", s.input("name"), strings.Join(dropped, ", "))
		default:
			continue
		}
		key := s.Stack + "\x00" + s.URN
		if i, ok := seen[key]; ok {
			if loss.Op == LossReplace && out[i].Op != LossReplace {
				out[i] = loss
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, loss)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return out[i].URN < out[j].URN
	})
	return out
}

// value is an input of the step's resource: what it is before the step,
// else after.
func (s Step) value(key string) any {
	if v, ok := s.Old[key]; ok && v != nil {
		return v
	}
	return s.New[key]
}

// input is a string input of the step's resource, else the resource's name.
func (s Step) input(key string) string {
	if v, ok := s.value(key).(string); ok && v != "" && v != Unknown {
		return v
	}
	return s.Name
}

func (s Step) boolInput(key string) bool {
	b, _ := s.value(key).(bool)
	return b
}

// region is where the resource lives: as the caller says, else its
// region input, else its stack's region.
func (s Step) region() string {
	if s.Region != "" {
		return s.Region
	}
	if r, ok := s.value("region").(string); ok && r != "" && r != Unknown {
		return r
	}
	if ref, err := stacks.ParseRef(s.Stack); err == nil && !ref.IsGlobal() {
		return ref.Region
	}
	return "(unknown region)"
}

func keyLost(kind string, s Step) string {
	what := s.input("description")
	if what != s.Name {
		what = fmt.Sprintf("%q", what)
	}
	window := "its deletion window"
	if days, ok := s.value("deletionWindowInDays").(float64); ok {
		window = fmt.Sprintf("its %d-day deletion window", int(days))
	} else if days, ok := s.value("deletionWindowInDays").(int); ok {
		window = fmt.Sprintf("its %d-day deletion window", days)
	}
	return fmt.Sprintf("what %s %s in %s encrypts: unreadable once %s ends", kind, what, s.region(), window)
}

// replicaRegions are the regions of a DynamoDB table's replicas input.
func replicaRegions(inputs map[string]any) []string {
	list, _ := inputs["replicas"].([]any)
	var out []string
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			if name, ok := m["regionName"].(string); ok && name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// droppedReplicas are the replica regions of a DynamoDB table that an
// update removes.
func droppedReplicas(s Step) []string {
	if s.Type != "aws:dynamodb/table:Table" || s.Old == nil || s.New == nil {
		return nil
	}
	if _, isList := s.New["replicas"].([]any); !isList && s.New["replicas"] != nil {
		return nil // unknown until applied: the preview cannot tell
	}
	after := replicaRegions(s.New)
	var dropped []string
	for _, r := range replicaRegions(s.Old) {
		if !slices.Contains(after, r) {
			dropped = append(dropped, r)
		}
	}
	return dropped
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	if s, ok := v.([]string); ok {
		out = append(out, s...)
	}
	return out
}
