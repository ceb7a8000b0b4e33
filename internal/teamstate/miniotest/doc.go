// Package miniotest starts a throwaway MinIO server for tests: the pinned
// build the Makefile makes (bin/minio, `make minio`), bound to 127.0.0.1 on
// a free port with a temporary data folder and fixed root credentials,
// stopped by PID (SIGTERM, then SIGKILL) when the test ends.
//
// Under `make test` (BULWARK_MINIO names the binary) a missing MinIO fails
// the test; elsewhere it is skipped with a message saying how to build it.
// It is for tests and local trials of team state only: bulwark never runs
// MinIO itself.
package miniotest
