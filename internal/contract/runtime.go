package contract

import (
	"fmt"
	"slices"
	"strings"
)

// The runtime contract: the environment variables every instance or
// container of a service is started with, on every target. A target
// delivers all of them (the local target as environment variables from its
// control plane; aws from user data, Parameter Store and Secrets Manager,
// or the ECS task definition), and an application reads only these, never
// a target's own mechanism. The names are the platform's: nothing here is
// named after the sample service.
const (
	// Environment is the environment's name (dev, prod).
	Environment = "BULWARK_ENVIRONMENT"
	// Service is the service's name in the environment.
	Service = "BULWARK_SERVICE"
	// Region is the region the instance runs in.
	Region = "BULWARK_REGION"
	// Listen is the address:port the service serves on (its load
	// balancer's targets' port).
	Listen = "BULWARK_LISTEN"
	// Instance names the instance where the target names it (the local
	// target's slots share one host name); elsewhere the host name is
	// unique and the key may be absent.
	Instance = "BULWARK_INSTANCE"

	// DatabaseEngine is the service's database engine: postgres or dynamodb.
	DatabaseEngine = "BULWARK_DATABASE_ENGINE"
	// DatabaseWriterURL is a libpq URL (postgres://host:port[,host:port]/db?...)
	// that reaches the database's writer wherever it is now, without
	// credentials: it survives a failover (aws: the global cluster's
	// writer endpoint; local: every member, with target_session_attrs=read-write).
	DatabaseWriterURL = "BULWARK_DATABASE_WRITER_URL"
	// DatabaseReaderURL is a libpq URL of a reader in the instance's own
	// region (or the nearest one when the region holds no member), without
	// credentials.
	DatabaseReaderURL = "BULWARK_DATABASE_READER_URL"
	// DatabaseUser and DatabasePassword are the database's credentials: its
	// application role and that role's password (aws: from Secrets Manager,
	// never in user data, tags, state or the plan; local: the role
	// DatabaseAppUser names and the password generated at deploy, a Pulumi
	// secret, handed over by the control plane from a file only it reads).
	DatabaseUser     = "BULWARK_DATABASE_USER"
	DatabasePassword = "BULWARK_DATABASE_PASSWORD"
	// DatabaseTable names a DynamoDB global table (its replica in the
	// instance's region answers).
	DatabaseTable = "BULWARK_DATABASE_TABLE"
)

// Prefix is what every platform key starts with; a service's own
// parameters may not use it.
const Prefix = "BULWARK_"

// Engines a service's database may have (topology's names).
const (
	EnginePostgres = "postgres"
	EngineDynamoDB = "dynamodb"
)

// Key is one variable of the contract.
type Key struct {
	Name    string
	Meaning string
	// Secret keys are credentials: a target delivers them from its secret
	// store and never writes them where a reader of configuration sees them.
	Secret bool
	// Optional keys may be left out by a target that says why (Instance).
	Optional bool
}

// Needs is what of a service decides its keys.
type Needs struct {
	// Engine is the database's engine ("" without a database).
	Engine string
	// Parameters are the service's own parameter names, delivered as
	// variables of the same names.
	Parameters []string
	// Queue is the write queue's engine ("" without a write queue).
	Queue string
	// Dependencies: the service declares what it calls.
	Dependencies bool
	// Cache: a cache stands in front of the service.
	Cache bool
}

// Keys are the variables an instance of a service with these needs is
// started with, in a stable order: the platform's, the database's, then
// the service's parameters.
func Keys(n Needs) []Key {
	keys := []Key{
		{Name: Environment, Meaning: "the environment's name"},
		{Name: Service, Meaning: "the service's name"},
		{Name: Region, Meaning: "the region the instance runs in"},
		{Name: Listen, Meaning: "the address:port to serve on"},
		{Name: Instance, Meaning: "the instance's name, where the host name is not unique", Optional: true},
	}
	switch n.Engine {
	case EnginePostgres:
		keys = append(keys,
			Key{Name: DatabaseEngine, Meaning: "postgres"},
			Key{Name: DatabaseWriterURL, Meaning: "the writer, wherever it is now (libpq URL, no credentials)"},
			Key{Name: DatabaseReaderURL, Meaning: "a reader in the instance's region (libpq URL, no credentials)"},
			Key{Name: DatabaseUser, Meaning: "the database user", Secret: true},
			Key{Name: DatabasePassword, Meaning: "the database user's password", Secret: true},
		)
	case EngineDynamoDB:
		keys = append(keys,
			Key{Name: DatabaseEngine, Meaning: "dynamodb"},
			Key{Name: DatabaseTable, Meaning: "the global table's name"},
		)
	}
	if n.Queue != "" {
		keys = append(keys,
			Key{Name: QueueEngine, Meaning: n.Queue},
			Key{Name: QueueURL, Meaning: "the region's write queue"},
			Key{Name: QueueName, Meaning: "the write queue's stream or queue name"},
		)
	}
	if n.Dependencies {
		keys = append(keys, Key{Name: Dependencies, Meaning: "what the service calls, where and with which budget (JSON)"})
	}
	if n.Cache {
		keys = append(keys, Key{Name: CacheControl, Meaning: "the Cache-Control header of the cached paths' answers"})
	}
	for _, p := range slices.Sorted(slices.Values(n.Parameters)) {
		keys = append(keys, Key{Name: p, Meaning: "the service's parameter " + p})
	}
	return keys
}

// Reserved reports whether a name is the platform's, so a service's
// parameter may not take it: PATH and every BULWARK_ name.
func Reserved(name string) bool {
	return name == "PATH" || strings.HasPrefix(name, Prefix)
}

// ErrMissingKey is what Missing's error wraps.
var ErrMissingKey = fmt.Errorf("runtime contract: key not delivered")

// Missing checks what a target delivers (the variables an instance gets,
// by name) against the keys: the required keys it left out, as an error
// wrapping ErrMissingKey, or nil.
func Missing(keys []Key, delivered map[string]bool) error {
	var missing []string
	for _, k := range keys {
		if !k.Optional && !delivered[k.Name] {
			missing = append(missing, k.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingKey, strings.Join(missing, ", "))
	}
	return nil
}
