package localapi

import (
	"errors"
	"net/http"
)

// The errors the plane returns. Each has a code in codes, so that a
// client's errors.Is matches the sentinel the plane's error wrapped.
var (
	// ErrNotFound is returned for an object the control plane does not hold.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest is returned for a request the plane cannot read: a
	// malformed ID or body, an unknown kind or action.
	ErrBadRequest = errors.New("bad request")
	// ErrNoAddresses is returned when every loopback range is taken.
	ErrNoAddresses = errors.New("no free loopback range (127.0.1.0/24 to 127.0.254.0/24 are all taken)")
	// ErrPortInUse is returned when an address the plan needs is taken.
	ErrPortInUse = errors.New("address already in use")
	// ErrNotReady is returned when an object did not become ready in time.
	ErrNotReady = errors.New("not ready in time")
	// ErrMissingProgram is returned when a program the local target runs is not installed.
	ErrMissingProgram = errors.New("program not installed")
	// ErrProtected is returned when deleting a database with deletion protection.
	ErrProtected = errors.New("deletion protection is on")
	// ErrSplitBrain is returned when restarting a former primary would make a
	// second primary beside a promoted replica.
	ErrSplitBrain = errors.New("another member is the primary now")
	// ErrRolledBack is returned when a rollout's new instances failed their
	// health checks and the group went back to its previous image.
	ErrRolledBack = errors.New("rollout rolled back")
	// ErrPartitionUnsupported is returned when this machine cannot cut a
	// region off: the control plane needs cgroup v2 (to know which process
	// belongs to which region) and nftables (to drop what crosses the
	// region's border), both as root.
	ErrPartitionUnsupported = errors.New("region partitions need root, cgroup v2 and nftables")
	// ErrLivePrimary is returned when abandoning a region whose database
	// member runs as the primary: the region is not lost, and its data is
	// the only current copy. Fail over (a switchover) first.
	ErrLivePrimary = errors.New("runs as the primary")
	// ErrNoBackup is returned when a restore is asked of a plan whose
	// vaults hold no backup.
	ErrNoBackup = errors.New("no backup to restore")
	// ErrUnsafeFolder is returned when a folder outside the state
	// directory the plane would use could be tampered with by someone
	// else: a symbolic link, another user's, or writable by others.
	ErrUnsafeFolder = errors.New("unsafe folder")
)

// codes is every error that crosses the socket: its code on the wire and
// the HTTP status the plane answers it with. The first that an error
// matches names it.
var codes = []struct {
	code   string
	err    error
	status int
}{
	{"not_found", ErrNotFound, http.StatusNotFound},
	{"bad_request", ErrBadRequest, http.StatusBadRequest},
	{"no_addresses", ErrNoAddresses, http.StatusConflict},
	{"port_in_use", ErrPortInUse, http.StatusConflict},
	{"not_ready", ErrNotReady, http.StatusConflict},
	{"missing_program", ErrMissingProgram, http.StatusConflict},
	{"protected", ErrProtected, http.StatusConflict},
	{"split_brain", ErrSplitBrain, http.StatusConflict},
	{"rolled_back", ErrRolledBack, http.StatusConflict},
	{"partition_unsupported", ErrPartitionUnsupported, http.StatusConflict},
	{"live_primary", ErrLivePrimary, http.StatusConflict},
	{"no_backup", ErrNoBackup, http.StatusConflict},
	{"unsafe_folder", ErrUnsafeFolder, http.StatusConflict},
}

// Codes returns every error that crosses the socket, by its wire code.
func Codes() map[string]error {
	out := make(map[string]error, len(codes))
	for _, c := range codes {
		out[c.code] = c.err
	}
	return out
}

// Failure is an error as it crosses the socket: the plane's message, and
// the code of the sentinel it wraps, if any.
type Failure struct {
	Message string `json:"error"`
	Code    string `json:"code,omitempty"`
}

// FailureOf is err as the plane answers it: its HTTP status and body. An
// error that wraps no sentinel is an internal error.
func FailureOf(err error) (int, Failure) {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status, Failure{Message: err.Error(), Code: c.code}
		}
	}
	return http.StatusInternalServerError, Failure{Message: err.Error()}
}

// Err is the failure as the client returns it: it reads as the plane wrote
// it and matches its sentinel with errors.Is (nil for an unknown code).
func (f Failure) Err() error {
	for _, c := range codes {
		if c.code == f.Code {
			return &planeError{msg: f.Message, sentinel: c.err}
		}
	}
	return nil
}

// planeError is an error the plane classified: it reads as the plane wrote
// it and matches its sentinel with errors.Is.
type planeError struct {
	msg      string
	sentinel error
}

func (e *planeError) Error() string { return e.msg }
func (e *planeError) Unwrap() error { return e.sentinel }
