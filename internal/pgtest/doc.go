// Package pgtest starts a throwaway PostgreSQL server for tests: initdb into
// a temporary folder, postgres bound to 127.0.0.1 on a free port, stopped by
// PID (fast shutdown, then kill) when the test ends. As root it runs the
// server as the postgres user, which PostgreSQL requires.
//
// It is for tests only; the local target's databases are run by its control
// plane, not by this package.
package pgtest
