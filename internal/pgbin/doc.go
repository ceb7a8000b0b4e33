// Package pgbin finds the installed PostgreSQL server programs
// (/usr/lib/postgresql/<version>/bin) and the credential to run them with:
// the postgres user's when running as root, which PostgreSQL refuses.
//
// It runs nothing itself.
package pgbin
