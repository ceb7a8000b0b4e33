package localprovider

import "github.com/bulwark-dev/bulwark/internal/localapi"

// secretRead is the value a read of parameter s reports, given the value
// the state holds: the store's own for a plain parameter; for a secret one,
// whose value the store keeps sealed and never answers, the state's, so a
// refresh neither loses it nor calls it drift. (A secret changed behind
// the engine's back is not seen; the next up writes the program's value.)
func secretRead(s localapi.ParameterSpec, inState string) string {
	if s.Secret {
		return inState
	}
	return s.Value
}
