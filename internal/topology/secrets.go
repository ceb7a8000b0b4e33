package topology

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// SecretPlaceholder stands in for a secret parameter's value where the
// value is neither needed nor known: an offline plan, a review.
const SecretPlaceholder = "(secret)"

// SecretParameterEnv is the operator's environment variable that holds a
// secret parameter's value at up and preview:
// BULWARK_SECRET_<SERVICE>_<NAME>, the service's name upper-cased with
// dashes as underscores.
func SecretParameterEnv(service, name string) string {
	return "BULWARK_SECRET_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_")) + "_" + name
}

// SecretValue is a secret parameter's value from the process environment
// (false when its variable is not set).
func (s Service) SecretValue(name string) (string, bool) {
	return os.LookupEnv(SecretParameterEnv(s.Name, name))
}

// ErrMissingSecret is what CheckSecrets's error wraps when a variable is
// not set.
var ErrMissingSecret = errors.New("secret parameter has no value")

// CheckSecrets checks, before anything deploys, that lookup (os.LookupEnv
// in the CLI) holds a value for every secret parameter of every service,
// and that each value fits a parameter; the error names each variable that
// is missing or wrong, never a value.
func (t *Topology) CheckSecrets(lookup func(string) (string, bool)) error {
	var errs []error
	for _, s := range t.Services {
		for _, name := range s.SecretParameters {
			env := SecretParameterEnv(s.Name, name)
			v, ok := lookup(env)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("service %s: secret parameter %s: set %s in the environment: %w", s.Name, name, env, ErrMissingSecret))
			case len(v) > MaxParameterValue:
				errs = append(errs, fmt.Errorf("service %s: secret parameter %s: %s is %d bytes; a parameter holds at most %d", s.Name, name, env, len(v), MaxParameterValue))
			case strings.ContainsRune(v, 0):
				errs = append(errs, fmt.Errorf("service %s: secret parameter %s: %s holds a NUL character, which no environment variable can carry", s.Name, name, env))
			}
		}
	}
	return errors.Join(errs...)
}
