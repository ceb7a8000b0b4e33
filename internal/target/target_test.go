package target

import (
	"errors"
	"slices"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// An error of a kind reads as its message alone, and errors.Is matches
// both its kind and what the message wrapped.
func TestErrorfKeepsItsKindAndCause(t *testing.T) {
	cause := errors.New("the cause")
	err := Errorf(ErrBadRequest, "service %s has no database: %w", "shop", cause)
	if err.Error() != "service shop has no database: the cause" {
		t.Errorf("message %q", err)
	}
	if !errors.Is(err, ErrBadRequest) || !errors.Is(err, cause) || errors.Is(err, ErrUnsupported) {
		t.Errorf("kinds: bad request %t, cause %t, unsupported %t", errors.Is(err, ErrBadRequest), errors.Is(err, cause), errors.Is(err, ErrUnsupported))
	}
}

// A registry lists its scenarios in drill.ScenarioNames' order whatever
// the order they registered in, refuses an unknown one as
// drill.ErrUnknownScenario, and panics on a name registered twice.
func TestScenariosRegistry(t *testing.T) {
	s := NewScenarios[int](topology.TargetLocal)
	s.Register(drill.BackupRestore, 6)
	s.Register(drill.InstanceLoss, 1)
	if got := s.Names(); !slices.Equal(got, []drill.ScenarioName{drill.InstanceLoss, drill.BackupRestore}) {
		t.Errorf("names %v", got)
	}
	if b, err := s.Lookup(drill.BackupRestore); err != nil || b != 6 {
		t.Errorf("lookup: %d, %v", b, err)
	}
	_, err := s.Lookup(drill.ZoneLoss)
	if !errors.Is(err, drill.ErrUnknownScenario) || err.Error() != `--scenario must be one of [instance-loss backup-restore] on target local, not "zone-loss"` {
		t.Errorf("unknown: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration did not panic")
		}
	}()
	s.Register(drill.InstanceLoss, 2)
}
