package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a Store in one PostgreSQL table.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

const schema = `CREATE TABLE IF NOT EXISTS writes (
	seq    bigint PRIMARY KEY,
	writer text NOT NULL,
	at     timestamptz NOT NULL DEFAULT now()
)`

// OpenPostgres connects; the table is created on first write if missing
// (a standby cannot create it, and need not).
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// WithCredentials puts a user and password into a libpq URL that has
// none (the runtime contract keeps them apart: they come from a secret
// store). A URL that does not parse is returned as it is, for pgx to
// report.
func WithCredentials(raw, user, password string) string {
	u, err := url.Parse(raw)
	if err != nil || user == "" {
		return raw
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// Close closes the pool.
func (p *Postgres) Close() { p.pool.Close() }

// Write inserts seq; the commit returns once PostgreSQL acknowledges it
// (after the synchronous standby has it, when replication is synchronous).
func (p *Postgres) Write(ctx context.Context, seq int64, writer string) error {
	const insert = `INSERT INTO writes (seq, writer) VALUES ($1, $2) ON CONFLICT (seq) DO NOTHING`
	_, err := p.pool.Exec(ctx, insert, seq, writer)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		if _, err = p.pool.Exec(ctx, schema); err == nil {
			_, err = p.pool.Exec(ctx, insert, seq, writer)
		}
	}
	if errors.As(err, &pgErr) && pgErr.Code == "25006" { // read_only_sql_transaction
		return fmt.Errorf("%w: %s", ErrReadOnly, pgErr.Message)
	}
	if err != nil {
		return fmt.Errorf("write %d: %w", seq, err)
	}
	return nil
}

// Seqs lists recorded seqs in [from, to].
func (p *Postgres) Seqs(ctx context.Context, from, to int64) ([]int64, error) {
	rows, err := p.pool.Query(ctx, `SELECT seq FROM writes WHERE seq BETWEEN $1 AND $2 ORDER BY seq`, from, to)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
			return nil, nil // nothing written yet
		}
		return nil, fmt.Errorf("read writes: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Ping checks the connection.
func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }
