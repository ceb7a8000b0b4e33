package awsfake

import (
	"path/filepath"
	"testing"
)

// UseFakeCredentials points aws-sdk-go-v2's default configuration, for
// the rest of the test, at static fake keys and us-east-1, away from any
// real credentials, shared files and the instance metadata service.
func UseFakeCredentials(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
