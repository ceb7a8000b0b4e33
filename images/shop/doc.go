// Command shop is bulwark's sample service: the program every image of the
// example environments packages (a content-addressed artifact on the local
// target, an AMI or a container image on AWS).
//
// It answers /healthz for load balancers and DNS health checks, says which
// region and instance answered (GET /), and writes numbered rows to
// PostgreSQL and reads them back (POST /writes?seq=N, GET /writes), so that a
// disaster-recovery drill can count the acknowledged writes a failover lost.
//
// Configuration is bulwark's runtime contract (package internal/contract),
// which every target delivers: BULWARK_LISTEN (default 127.0.0.1:8080),
// BULWARK_DATABASE_WRITER_URL with BULWARK_DATABASE_USER and
// BULWARK_DATABASE_PASSWORD (without a writer the write API answers 503),
// BULWARK_REGION and BULWARK_INSTANCE (reported on every answer; the host
// name when unset).
//
// It is a sample, not a framework: no auth, one table.
package main
