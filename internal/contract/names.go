package contract

import "fmt"

// DatabaseSecret names the Secrets Manager secret holding a service's
// database credentials (JSON: username, password, engine, host, port,
// dbname), in the primary region and replicated to every other region of
// the service under the same name. Secrets Manager allows 1-512 of
// letters, digits and /_+=.@- in a name
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
func DatabaseSecret(env, service string) string {
	return fmt.Sprintf("bulwark/%s/%s/database", env, service)
}
