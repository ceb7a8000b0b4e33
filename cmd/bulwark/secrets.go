package main

import (
	"fmt"
	"io"
	"os"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// requireSecrets checks, before anything deploys, that the operator's
// environment holds every secret parameter's value
// (BULWARK_SECRET_<SERVICE>_<NAME>): a command that runs the program for
// real (up, preview, drift, recreate-region) would otherwise deploy the
// placeholder an offline plan uses. The message names variables, never
// values.
func requireSecrets(t *topology.Topology, verb string, errOut io.Writer) int {
	if err := t.CheckSecrets(os.LookupEnv); err != nil {
		fmt.Fprintf(errOut, "bulwark %s: nothing was deployed:\n%v\n", verb, err)
		return exitBadInput
	}
	return exitOK
}
