package awsfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The RDS Data API of the fake: ExecuteStatement on a cluster whose HTTP
// endpoint is enabled, signing in with the credentials a Secrets Manager
// secret of the fake holds, running only the statements bulwark sends (a
// liveness query, the read of the service's writes table, images/shop, and
// what awsrunbook.EnsureAppUser sends to create the application user). It
// says so for any other.

type dataField struct {
	LongValue   *int64  `json:"longValue,omitempty"`
	StringValue *string `json:"stringValue,omitempty"`
	IsNull      *bool   `json:"isNull,omitempty"`
}

type dataParameter struct {
	Name  string    `json:"name"`
	Value dataField `json:"value"`
}

type executeStatementRequest struct {
	ResourceArn string          `json:"resourceArn"`
	SecretArn   string          `json:"secretArn"`
	SQL         string          `json:"sql"`
	Database    string          `json:"database"`
	Parameters  []dataParameter `json:"parameters"`
}

type executeStatementResult struct {
	Records                [][]dataField `json:"records"`
	NumberOfRecordsUpdated int64         `json:"numberOfRecordsUpdated"`
}

var (
	// the statements the fake runs, whitespace and case aside
	selectOne    = regexp.MustCompile(`^select 1;?$`)
	selectWrites = regexp.MustCompile(`^select seq from writes where seq between :(\w+) and :(\w+)( order by seq)?;?$`)
)

// rdsData serves the RDS Data API (REST-JSON, POST /Execute). Its errors
// are those the API reference lists
// (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ExecuteStatement.html),
// and its limits those of the Aurora User Guide: queries run on the
// cluster's writer instance only, so a global database's secondary answers
// none until it is promoted
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
func (c *Cloud) rdsData(region, action string, body []byte) (any, *apiError) {
	if action != "ExecuteStatement" {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "The fake does not serve the RDS Data API's %s.", action)
	}
	var req executeStatementRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "%v", err)
	}
	if req.ResourceArn == "" || req.SecretArn == "" || strings.TrimSpace(req.SQL) == "" {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "resourceArn, secretArn and sql are required.")
	}
	now := c.now()
	c.settleRestores(now)
	d := c.clusterByARN(region, req.ResourceArn)
	if d == nil {
		return nil, errorf(http.StatusNotFound, "NotFoundException", "The resourceArn, secretArn, or transactionId value can't be found: %s.", req.ResourceArn)
	}
	if !d.HTTPEndpoint {
		return nil, errorf(http.StatusBadRequest, "HttpEndpointNotEnabledException", "HTTP endpoint for using RDS Data API is not enabled for DB cluster %s.", d.Identifier)
	}
	s := c.secret(region, req.SecretArn)
	if s == nil || s.ARN != req.SecretArn {
		return nil, errorf(http.StatusNotFound, "NotFoundException", "The resourceArn, secretArn, or transactionId value can't be found: %s.", req.SecretArn)
	}
	if err := c.dataAPIWriter(d, now); err != nil {
		return nil, err
	}
	sess, err := signIn(d, s, req.Database, now)
	if err != nil {
		return nil, err
	}
	sql := strings.ToLower(strings.Join(strings.Fields(req.SQL), " "))
	if selectOne.MatchString(sql) {
		one := int64(1)
		return executeStatementResult{Records: [][]dataField{{{LongValue: &one}}}}, nil
	}
	m := selectWrites.FindStringSubmatch(sql)
	if m == nil {
		return c.runCatalogStatement(d, sess, req, now)
	}
	bounds := map[string]int64{}
	for _, p := range req.Parameters {
		if p.Value.LongValue != nil {
			bounds[strings.ToLower(p.Name)] = *p.Value.LongValue
		}
	}
	from, okFrom := bounds[m[1]]
	to, okTo := bounds[m[2]]
	if !okFrom || !okTo {
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: there is no parameter :%s or :%s (a longValue); SQLState: 42P02", m[1], m[2])
	}
	if d.rows == nil {
		// the service makes its table on its first write (images/shop)
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: relation \"writes\" does not exist\n  Position: 17; SQLState: 42P01")
	}
	out := executeStatementResult{Records: [][]dataField{}}
	for _, seq := range d.visible(from, to, now) {
		v := seq
		out.Records = append(out.Records, []dataField{{LongValue: &v}})
	}
	return out, nil
}

// dataAPIWriter is the error the Data API answers when the cluster has no
// writer instance to run a statement on.
func (c *Cloud) dataAPIWriter(d *DBCluster, now time.Time) *apiError {
	if g := c.globalOf(d); g != nil {
		c.advance(g, now)
		if !c.isWriter(g, d) || g.Status != GlobalAvailable {
			return errorf(http.StatusGatewayTimeout, "DatabaseUnavailableException", "The writer instance in the DB cluster isn't available.")
		}
		return nil
	}
	if d.status(now) != DBAvailable || len(d.instances) == 0 {
		return errorf(http.StatusNotFound, "DatabaseNotFoundException", "The DB cluster doesn't have a DB instance.")
	}
	if !d.hasAvailableInstance(now) {
		return errorf(http.StatusGatewayTimeout, "DatabaseUnavailableException", "The writer instance in the DB cluster isn't available.")
	}
	return nil
}

// session is who a statement runs as: the role the secret signed in as,
// in a database ("" where the request named none).
type session struct {
	user     string
	role     dbRole
	database string
}

// signIn signs in to a cluster with the AWSCURRENT credentials of a
// secret (its JSON username and password), as the Data API does for every
// statement (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.html).
// A secret with no value, or none the Data API can read credentials from,
// is InvalidSecretException; credentials the cluster refuses are
// DatabaseErrorException with PostgreSQL's message: for a wrong password
// and an unknown user alike, "password authentication failed" (SQLSTATE
// 28P01, invalid_password: PostgreSQL tells a client no more, so as not to
// reveal which users exist), for a role without LOGIN "is not permitted
// to log in" (28000), for a database the cluster lacks 3D000
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
// Provisioned Aurora clusters answer errors of the database as
// DatabaseErrorException; BadRequestException is Aurora Serverless v1's
// (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ExecuteStatement.html).
// A cluster whose fixture declared no master user has no user to sign in
// as: every sign-in fails, as it would.
func signIn(d *DBCluster, s *Secret, database string, now time.Time) (session, *apiError) {
	v := s.version("", "AWSCURRENT")
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if v == nil || json.Unmarshal([]byte(v.value), &creds) != nil || creds.Username == "" {
		return session{}, errorf(http.StatusBadRequest, "InvalidSecretException", "The secret %s holds no username and password to sign in with.", s.ARN)
	}
	r, ok := d.catalog.role(creds.Username, now)
	if !ok || r.password != creds.Password {
		return session{}, errorf(http.StatusBadRequest, "DatabaseErrorException", "FATAL: password authentication failed for user \"%s\"; SQLState: 28P01", creds.Username)
	}
	if !r.login {
		return session{}, errorf(http.StatusBadRequest, "DatabaseErrorException", "FATAL: role \"%s\" is not permitted to log in; SQLState: 28000", creds.Username)
	}
	if database != "" && !d.catalog.hasDatabase(database, now) {
		return session{}, errorf(http.StatusBadRequest, "DatabaseErrorException", "FATAL: database \"%s\" does not exist; SQLState: 3D000", database)
	}
	return session{user: creds.Username, role: r, database: database}, nil
}

// sqlToken is a token of a statement: a keyword or unquoted identifier
// ('k', folded to lower case), a quoted identifier ('i'), a string
// constant ('s'), a number ('n'), a parameter (':', its name) or a
// punctuation mark (itself).
type sqlToken struct {
	kind byte
	text string
}

// maxIdentifier is PostgreSQL's identifier length: longer ones are
// truncated to 63 bytes (NAMEDATALEN-1)
// (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
const maxIdentifier = 63

// lexSQL splits a statement as PostgreSQL's lexer does, as far as the
// statements the fake runs go: unquoted identifiers fold to lower case, a
// doubled double quote in a quoted identifier is a double quote, a doubled
// single quote in a string constant is a single quote, a backslash is
// itself in a standard string constant (standard_conforming_strings is
// on, its default) and starts an escape in an escape string constant
// (E'...'), where the fake reads \\ and \' only
// (https://www.postgresql.org/docs/current/sql-syntax-lexical.html).
func lexSQL(sql string) ([]sqlToken, *apiError) {
	var out []sqlToken
	syntax := func(format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: %s; SQLState: 42601", fmt.Sprintf(format, args...))
	}
	for i := 0; i < len(sql); {
		ch := sql[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f':
			i++
		case (ch == 'E' || ch == 'e') && i+1 < len(sql) && sql[i+1] == '\'':
			var b strings.Builder
			j := i + 2
			for ; j < len(sql); j++ {
				switch {
				case sql[j] == '\\' && j+1 < len(sql) && (sql[j+1] == '\\' || sql[j+1] == '\''):
					b.WriteByte(sql[j+1])
					j++
					continue
				case sql[j] == '\\':
					return nil, syntax("the fake reads only \\\\ and \\' in an escape string constant")
				case sql[j] == '\'' && j+1 < len(sql) && sql[j+1] == '\'':
					b.WriteByte('\'')
					j++
					continue
				case sql[j] == '\'':
				default:
					b.WriteByte(sql[j])
					continue
				}
				break
			}
			if j >= len(sql) {
				return nil, syntax("unterminated quoted string")
			}
			out, i = append(out, sqlToken{'s', b.String()}), j+1
		case ch == '\'' || ch == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == ch && j+1 < len(sql) && sql[j+1] == ch {
					b.WriteByte(ch)
					j++
					continue
				}
				if sql[j] == ch {
					break
				}
				b.WriteByte(sql[j])
			}
			if j >= len(sql) {
				return nil, syntax("unterminated quoted %s", map[byte]string{'\'': "string", '"': "identifier"}[ch])
			}
			kind := byte('s')
			if ch == '"' {
				kind = 'i'
				if b.Len() == 0 {
					return nil, syntax("zero-length delimited identifier")
				}
			}
			out, i = append(out, sqlToken{kind, b.String()}), j+1
		case ch == ':' && i+1 < len(sql) && isIdentChar(sql[i+1]):
			j := i + 1
			for j < len(sql) && isIdentChar(sql[j]) {
				j++
			}
			out, i = append(out, sqlToken{':', strings.ToLower(sql[i+1 : j])}), j
		case isIdentChar(ch):
			j := i
			for j < len(sql) && (isIdentChar(sql[j]) || sql[j] == '$') {
				j++
			}
			kind := byte('k')
			if ch >= '0' && ch <= '9' {
				kind = 'n'
			}
			out, i = append(out, sqlToken{kind, strings.ToLower(sql[i:j])}), j
		case strings.IndexByte(",;=()*.", ch) >= 0:
			out, i = append(out, sqlToken{ch, string(ch)}), i+1
		default:
			return nil, syntax("syntax error at or near \"%c\"", ch)
		}
	}
	if n := len(out); n > 0 && out[n-1].kind == ';' {
		out = out[:n-1]
	}
	return out, nil
}

func isIdentChar(ch byte) bool {
	return ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch >= 0x80
}

// statement reads tokens against a statement's shape.
type statement struct {
	toks []sqlToken
	pos  int
}

// keyword consumes the keywords given, in order; false (consuming nothing
// more) at the first that is not next.
func (s *statement) keyword(words ...string) bool {
	for _, w := range words {
		if s.pos >= len(s.toks) || s.toks[s.pos].kind != 'k' || s.toks[s.pos].text != w {
			return false
		}
		s.pos++
	}
	return true
}

// ident consumes an identifier, quoted or not, truncated as PostgreSQL
// truncates one.
func (s *statement) ident() (string, bool) {
	if s.pos >= len(s.toks) || s.toks[s.pos].kind != 'k' && s.toks[s.pos].kind != 'i' {
		return "", false
	}
	name := s.toks[s.pos].text
	s.pos++
	if len(name) > maxIdentifier {
		name = name[:maxIdentifier]
	}
	return name, true
}

func (s *statement) next(kind byte) (string, bool) {
	if s.pos >= len(s.toks) || s.toks[s.pos].kind != kind {
		return "", false
	}
	s.pos++
	return s.toks[s.pos-1].text, true
}

func (s *statement) done() bool { return s.pos == len(s.toks) }

// roleGrant reports, consuming nothing, whether the statement goes on as a
// grant of a role to the session's user: "role" TO CURRENT_USER.
func (s *statement) roleGrant() bool {
	t := s.toks[s.pos:]
	return len(t) == 3 && t[0].kind == 'i' && t[1].kind == 'k' && t[1].text == "to" && t[2].kind == 'k' && t[2].text == "current_user"
}

// privileges consumes a list of privilege keywords (each round consumes
// a token, so it ends with the statement).
func (s *statement) privileges() ([]string, bool) {
	var out []string
	for s.pos < len(s.toks) {
		p, ok := s.next('k')
		if !ok {
			return nil, false
		}
		out = append(out, strings.ToUpper(p))
		if _, more := s.next(','); !more {
			return out, true
		}
	}
	return nil, false
}

// grantable are the privileges PostgreSQL grants on a database and on a
// schema (https://www.postgresql.org/docs/current/ddl-priv.html).
var grantable = map[string][]string{"DATABASE": {"CREATE", "CONNECT", "TEMPORARY", "TEMP"}, "SCHEMA": {"CREATE", "USAGE"}}

// runCatalogStatement runs the statements that read and change the roles
// of a cluster, as EnsureAppUser sends them:
//
//	SELECT 1 FROM pg_roles WHERE rolname = :name
//	CREATE ROLE "name" WITH LOGIN PASSWORD 'password'
//	GRANT CONNECT, CREATE ON DATABASE "db" TO "name"
//	GRANT USAGE, CREATE ON SCHEMA "public" TO "name"
//	GRANT "name" TO CURRENT_USER
//
// with PostgreSQL's errors (https://www.postgresql.org/docs/current/sql-createrole.html,
// https://www.postgresql.org/docs/current/sql-grant.html). Only the master
// user, a member of rds_superuser with CREATEROLE, creates roles and grants
// here (PostgreSQL also lets an object's owner grant on it; bulwark never
// relies on that). A change replicates as rows do. Anything else is an
// error that says what the fake runs.
func (c *Cloud) runCatalogStatement(d *DBCluster, sess session, req executeStatementRequest, now time.Time) (any, *apiError) {
	dbError := func(state, format string, args ...any) *apiError {
		return errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: %s; SQLState: %s", fmt.Sprintf(format, args...), state)
	}
	toks, lexErr := lexSQL(req.SQL)
	if lexErr != nil {
		return nil, lexErr
	}
	unsupported := func() *apiError {
		words := make([]string, 0, 3)
		for _, t := range toks[:min(3, len(toks))] {
			if t.kind == 'k' {
				words = append(words, strings.ToUpper(t.text))
			}
		}
		// the statement is not echoed: it may hold a password
		return errorf(http.StatusBadRequest, "DatabaseErrorException", "The fake runs only SELECT 1, SELECT seq FROM writes WHERE seq BETWEEN :a AND :b, "+
			"SELECT 1 FROM pg_roles WHERE rolname = :name, CREATE ROLE name WITH LOGIN PASSWORD '...', and GRANT ... ON DATABASE|SCHEMA name TO name; not %s ...", strings.Join(words, " "))
	}
	if d.catalog == nil {
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "The fake keeps no catalog for cluster %s: its fixture declared no master user.", d.Identifier)
	}
	st := &statement{toks: toks}
	if st.keyword("select") {
		n, isNumber := st.next('n')
		if !isNumber || n != "1" || !st.keyword("from", "pg_roles", "where", "rolname") {
			return nil, unsupported()
		}
		if _, ok := st.next('='); !ok {
			return nil, unsupported()
		}
		var name string
		if p, ok := st.next(':'); ok {
			i := slices.IndexFunc(req.Parameters, func(q dataParameter) bool { return strings.EqualFold(q.Name, p) })
			if i < 0 || req.Parameters[i].Value.StringValue == nil {
				return nil, dbError("42P02", "there is no parameter :%s (a stringValue)", p)
			}
			name = *req.Parameters[i].Value.StringValue
		} else if v, ok := st.next('s'); ok {
			name = v
		} else {
			return nil, unsupported()
		}
		if !st.done() {
			return nil, unsupported()
		}
		out := executeStatementResult{Records: [][]dataField{}}
		if _, ok := d.catalog.role(name, now); ok {
			one := int64(1)
			out.Records = append(out.Records, []dataField{{LongValue: &one}})
		}
		return out, nil
	}
	st = &statement{toks: toks}
	switch {
	case st.keyword("create", "role"):
		name, ok := st.ident()
		st.keyword("with")
		if !ok || !st.keyword("login", "password") {
			return nil, unsupported()
		}
		password, ok := st.next('s')
		if !ok || !st.done() {
			return nil, unsupported()
		}
		if !sess.role.admin {
			return nil, dbError("42501", "permission denied to create role")
		}
		if _, exists := d.catalog.role(name, now); exists {
			return nil, dbError("42710", "role \"%s\" already exists", name)
		}
		c.changeCatalog(d, now, func(k *catalog, at time.Time) { k.putRole(name, dbRole{password: password, login: true, at: at}) })
		return executeStatementResult{}, nil
	case st.keyword("grant"):
		if st.roleGrant() {
			// GRANT "role" TO CURRENT_USER: the session's role becomes a member
			member, _ := st.ident()
			st.keyword("to")
			st.keyword("current_user")
			if !st.done() {
				return nil, unsupported()
			}
			if !sess.role.admin {
				return nil, dbError("42501", "permission denied to grant role \"%s\"", member)
			}
			if _, ok := d.catalog.role(member, now); !ok {
				return nil, dbError("42704", "role \"%s\" does not exist", member)
			}
			c.changeCatalog(d, now, func(k *catalog, at time.Time) {
				k.grant(dbGrant{kind: "ROLE", object: member, privilege: "MEMBER", grantee: sess.user}, at)
			})
			return executeStatementResult{}, nil
		}
		privs, ok := st.privileges()
		if !ok || !st.keyword("on") {
			return nil, unsupported()
		}
		kind := ""
		switch {
		case st.keyword("database"):
			kind = "DATABASE"
		case st.keyword("schema"):
			kind = "SCHEMA"
		default:
			return nil, unsupported()
		}
		object, ok := st.ident()
		if !ok || !st.keyword("to") {
			return nil, unsupported()
		}
		grantee, ok := st.ident()
		if !ok || !st.done() {
			return nil, unsupported()
		}
		for _, p := range privs {
			if !slices.Contains(grantable[kind], p) {
				return nil, dbError("0LP01", "invalid privilege type %s for %s", p, strings.ToLower(kind))
			}
		}
		database := cmp.Or(sess.database, "postgres")
		switch {
		case kind == "DATABASE" && !d.catalog.hasDatabase(object, now):
			return nil, dbError("3D000", "database \"%s\" does not exist", object)
		case kind == "SCHEMA" && object != "public":
			// the fake's databases have the public schema only
			return nil, dbError("3F000", "schema \"%s\" does not exist", object)
		}
		if kind == "DATABASE" {
			database = object
		}
		if !sess.role.admin {
			return nil, dbError("42501", "permission denied for %s %s", strings.ToLower(kind), object)
		}
		if _, ok := d.catalog.role(grantee, now); !ok {
			return nil, dbError("42704", "role \"%s\" does not exist", grantee)
		}
		c.changeCatalog(d, now, func(k *catalog, at time.Time) {
			for _, p := range privs {
				if p == "TEMP" {
					p = "TEMPORARY"
				}
				k.grant(dbGrant{kind: kind, database: database, object: object, privilege: p, grantee: grantee}, at)
			}
		})
		return executeStatementResult{}, nil
	}
	return nil, unsupported()
}
