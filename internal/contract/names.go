package contract

import (
	"fmt"
	"strings"
)

// DatabaseSecret names the Secrets Manager secret holding the credentials
// a service's instances use (JSON: engine, host, port, dbname, username,
// password, masterarn): the application user's, which AWS's alternating-
// users rotation rotates, in the primary region and replicated to every
// other region of the service under the same name. Secrets Manager allows
// 1-512 of letters, digits and /_+=.@- in a name
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
func DatabaseSecret(env, service string) string {
	return fmt.Sprintf("bulwark/%s/%s/database", env, service)
}

// DatabaseAdminSecret names the secret holding the database's master
// user (same JSON, without masterarn), replicated likewise. It is never
// rotated: the rotation signs in with it, bulwark creates the application
// user with it, and a copy restored from a backup still takes it.
func DatabaseAdminSecret(env, service string) string {
	return fmt.Sprintf("bulwark/%s/%s/database-admin", env, service)
}

// DatabaseAppUser is the application user of a service's database, whose
// credentials DatabaseSecret holds (the rotation alternates it with
// <user>_clone).
func DatabaseAppUser(service string) string {
	return DatabaseName(service) + "_app"
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
