package contract

import (
	"errors"
	"testing"
)

func TestKeysOfAServiceWithAPostgresDatabase(t *testing.T) {
	var names []string
	for _, k := range Keys(Needs{Engine: EnginePostgres, Parameters: []string{"ZED", "ALPHA"}}) {
		names = append(names, k.Name)
	}
	want := []string{"BULWARK_ENVIRONMENT", "BULWARK_SERVICE", "BULWARK_REGION", "BULWARK_LISTEN", "BULWARK_INSTANCE",
		"BULWARK_DATABASE_ENGINE", "BULWARK_DATABASE_WRITER_URL", "BULWARK_DATABASE_READER_URL", "BULWARK_DATABASE_USER", "BULWARK_DATABASE_PASSWORD",
		"ALPHA", "ZED"}
	if len(names) != len(want) {
		t.Fatalf("keys %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("key %d = %s, want %s", i, names[i], want[i])
		}
	}
}

func TestMissingNamesWhatATargetLeftOut(t *testing.T) {
	keys := Keys(Needs{Engine: EngineDynamoDB})
	delivered := map[string]bool{"BULWARK_ENVIRONMENT": true, "BULWARK_SERVICE": true, "BULWARK_REGION": true, "BULWARK_LISTEN": true, "BULWARK_DATABASE_ENGINE": true}
	err := Missing(keys, delivered)
	if !errors.Is(err, ErrMissingKey) || err.Error() != "runtime contract: key not delivered: BULWARK_DATABASE_TABLE" {
		t.Errorf("Missing = %v", err)
	}
	delivered["BULWARK_DATABASE_TABLE"] = true
	if err := Missing(keys, delivered); err != nil { // BULWARK_INSTANCE is optional
		t.Errorf("Missing = %v", err)
	}
	if !Reserved("PATH") || !Reserved("BULWARK_X") || Reserved("SHOP_LISTEN") {
		t.Error("Reserved")
	}
}
