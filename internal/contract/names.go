package contract

import (
	"fmt"
	"strings"
)

// DatabaseSecret names the Secrets Manager secret holding a service's
// database credentials (JSON: username, password, engine, host, port,
// dbname), in the primary region and replicated to every other region of
// the service under the same name. Secrets Manager allows 1-512 of
// letters, digits and /_+=.@- in a name
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
func DatabaseSecret(env, service string) string {
	return fmt.Sprintf("bulwark/%s/%s/database", env, service)
}

// RuntimeParameter names the Parameter Store parameter (in each region of
// a service) that holds a runtime contract value another stack writes: the
// database writer's URL, written by the primary region's stack into every
// region of the service. Parameter names allow letters, digits and
// .-_/ , 1011 characters at most
// (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
func RuntimeParameter(env, service, key string) string {
	return fmt.Sprintf("/bulwark/%s/%s/runtime/%s", env, service, key)
}

// DatabaseName is the name of a service's database in its cluster: the
// service's name as a PostgreSQL identifier (letters, digits and
// underscores; service names allow hyphens).
func DatabaseName(service string) string {
	return strings.ReplaceAll(service, "-", "_")
}
