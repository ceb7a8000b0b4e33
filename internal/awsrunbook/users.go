package awsrunbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	datatypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// The application user of a service's Aurora PostgreSQL database.
//
// A global database's master password cannot be managed by Secrets
// Manager, so the stacks keep it in an admin secret that is never rotated,
// and give the service an application user of its own whose secret AWS's
// alternating-users rotation (SecretsManagerRDSPostgreSQLRotationMultiUser)
// rotates. That rotation clones the user the secret names on its first run
// and signs in as it first: "You create the first user"
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets_strategies.html#rotating-secrets-two-users,
// now https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html#rotating-secrets-two-users).
// Nothing in a stack can run SQL, so EnsureAppUser creates it, through the
// RDS Data API (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ExecuteStatement.html),
// signed in as the master user with the admin secret.

var (
	// ErrSignIn is wrapped when the database refuses the credentials a
	// secret holds (PostgreSQL's SQLSTATE class 28: a wrong password, an
	// unknown user, a role that may not log in).
	ErrSignIn = errors.New("the database refused the sign-in")
	// ErrBadSecret is wrapped when a secret's value cannot be used: not
	// the JSON of a database secret, a field missing, a value with a
	// control character, a name PostgreSQL or the rotation would not keep.
	ErrBadSecret = errors.New("unusable database secret")
)

// SecretReader is the part of Secrets Manager EnsureAppUser calls: a
// secret's ARN by its name, and its current value.
type SecretReader interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// ClusterReader is the part of the RDS API that finds a cluster's ARN.
type ClusterReader interface {
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

var (
	_ SecretReader  = (*secretsmanager.Client)(nil)
	_ ClusterReader = (*rds.Client)(nil)
)

// UserClients manage the users of a service's database from outside its
// VPC, as CopyClients check a restored copy: RDS finds the cluster, the
// RDS Data API runs the statements, Secrets Manager holds the
// credentials. Waits for a cluster that does not answer yet are bounded
// by Wait (default 5 minutes) on Clock (default the wall clock), polling
// Poll of wall time apart (default 5 s).
type UserClients struct {
	RDS     func(region string) ClusterReader
	Data    func(region string) RDSData
	Secrets func(region string) SecretReader
	Clock   clock.Clock
	Poll    time.Duration
	Wait    time.Duration
}

// NewUserClients loads the default AWS configuration and makes the clients.
func NewUserClients(ctx context.Context, o ClientOptions) (*UserClients, error) {
	cfg, endpoint, err := loadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	return &UserClients{
		RDS: func(region string) ClusterReader {
			return rds.NewFromConfig(cfg, func(o *rds.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		Data: func(region string) RDSData {
			return rdsdata.NewFromConfig(cfg, func(o *rdsdata.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
		Secrets: func(region string) SecretReader {
			return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region, o.BaseEndpoint = region, endpoint })
		},
	}, nil
}

func (c *UserClients) wait() time.Duration {
	if c.Wait <= 0 {
		return 5 * time.Minute
	}
	return c.Wait
}

// AppUserTarget is where an application user is made: the primary cluster
// of a service's database and, in its region, the secrets.
type AppUserTarget struct {
	Region, Cluster string // the cluster's identifier, for messages
	ClusterARN      string
	AdminSecretARN  string // the master user's secret, which the Data API signs in with
	AppSecretARN    string // the application user's secret
}

// FindAppUserTarget finds a cluster's ARN (DescribeDBClusters) and the
// ARNs of the admin and application secrets by name in its region
// (DescribeSecret: the Data API takes a secret's full ARN, which ends in
// six random characters:
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
func (c *UserClients) FindAppUserTarget(ctx context.Context, region, cluster, adminSecret, appSecret string) (AppUserTarget, error) {
	t := AppUserTarget{Region: region, Cluster: cluster}
	out, err := c.RDS(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cluster)})
	switch {
	case errorCode(err) == "DBClusterNotFoundFault":
		return t, fmt.Errorf("cluster %s in %s: %w: %w", cluster, region, ErrNotFound, err)
	case err != nil:
		return t, fmt.Errorf("cluster %s in %s: %w", cluster, region, err)
	case len(out.DBClusters) == 0:
		return t, fmt.Errorf("cluster %s in %s: %w", cluster, region, ErrNotFound)
	}
	t.ClusterARN = aws.ToString(out.DBClusters[0].DBClusterArn)
	for _, s := range []struct {
		name string
		arn  *string
	}{{adminSecret, &t.AdminSecretARN}, {appSecret, &t.AppSecretARN}} {
		d, err := c.Secrets(region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.name)})
		switch {
		case errorCode(err) == "ResourceNotFoundException":
			return t, fmt.Errorf("secret %s in %s: %w: %w", s.name, region, ErrNotFound, err)
		case err != nil:
			return t, fmt.Errorf("secret %s in %s: %w", s.name, region, err)
		}
		*s.arn = aws.ToString(d.ARN)
	}
	return t, nil
}

// AppUser is what EnsureAppUser found and did.
type AppUser struct {
	User, Database string
	Created        bool     // false: the user was there, its password left alone
	Grants         []string // the privileges it holds, as granted
}

// String says what EnsureAppUser did, for people.
func (u AppUser) String() string {
	did := "created user " + u.User
	if !u.Created {
		did = "user " + u.User + " exists (its password is the rotation's)"
	}
	return fmt.Sprintf("%s; granted %s", did, strings.Join(u.Grants, ", "))
}

// appSecret is the part of a database secret EnsureAppUser reads (the
// JSON the rotation reads: engine, host, port, dbname, username,
// password, masterarn).
type appSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Database string `json:"dbname"`
}

// cloneSuffix is what the alternating-users rotation appends to the user
// it clones; it refuses a clone name past 63 characters
// (SecretsManagerRDSPostgreSQLRotationMultiUser, get_alt_username).
const cloneSuffix = "_clone"

// maxIdentifier is PostgreSQL's identifier length: a longer one is
// truncated to 63 bytes, which would create a user the secret does not
// name (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
const maxIdentifier = 63

// EnsureAppUser makes the application user the app secret's AWSCURRENT
// version names exist in the cluster, and able to use the service's
// database: signed in as the master user (the admin secret), it creates
// the user with LOGIN and the secret's password when pg_roles lacks it,
// and grants it CONNECT and CREATE on the database and USAGE and CREATE on
// schema public (from PostgreSQL 15 PUBLIC may no longer create in public,
// and the service creates its own table:
// https://www.postgresql.org/docs/release/15.0/,
// https://www.postgresql.org/docs/current/ddl-schemas.html#DDL-SCHEMAS-PATTERNS).
// A user that exists keeps its password: once it exists the rotation owns
// it, and AWSCURRENT may name the clone the rotation made. The grants are
// idempotent, so a rerun changes nothing. Creating the user as the master
// user also gives the master the ADMIN OPTION on it (from PostgreSQL 16:
// https://www.postgresql.org/docs/16/sql-createrole.html), which the
// rotation, signed in as the master, needs to grant the user to its clone.
//
// The password cannot be a bind parameter (PostgreSQL takes none in
// CREATE ROLE): it is sent as a string constant, quotes doubled, and the
// names as quoted identifiers; a value with a control character is
// refused (ErrBadSecret). The statement holds the password as the
// rotation's own does; a cluster that logs DDL (log_statement) logs it.
// The Data API runs statements on the writer only
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html):
// a cluster that has none available yet is waited for, up to Wait.
func (c *UserClients) EnsureAppUser(ctx context.Context, t AppUserTarget) (AppUser, error) {
	where := fmt.Sprintf("cluster %s in %s", t.Cluster, t.Region)
	val, err := c.Secrets(t.Region).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.AppSecretARN), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		return AppUser{}, fmt.Errorf("the application secret %s for %s: %w", t.AppSecretARN, where, err)
	}
	var s appSecret
	if err := json.Unmarshal([]byte(aws.ToString(val.SecretString)), &s); err != nil {
		// json's message may quote a character of the value: left out
		return AppUser{}, fmt.Errorf("the application secret %s for %s: %w: not a JSON object of strings", t.AppSecretARN, where, ErrBadSecret)
	}
	if err := s.check(); err != nil {
		return AppUser{}, fmt.Errorf("the application secret %s for %s: %w", t.AppSecretARN, where, err)
	}
	u := AppUser{User: s.Username, Database: s.Database}
	run := func(what, sql string, params ...datatypes.SqlParameter) (*rdsdata.ExecuteStatementOutput, error) {
		out, err := c.execute(ctx, t, s.Database, sql, params...)
		if err != nil {
			return nil, fmt.Errorf("%s in %s (signed in with %s): %w", what, where, t.AdminSecretARN, err)
		}
		return out, nil
	}
	out, err := run("look up user "+s.Username, "SELECT 1 FROM pg_roles WHERE rolname = :name",
		datatypes.SqlParameter{Name: aws.String("name"), Value: &datatypes.FieldMemberStringValue{Value: s.Username}})
	if err != nil {
		return u, err
	}
	if len(out.Records) == 0 {
		_, err := run("create user "+s.Username, fmt.Sprintf("CREATE ROLE %s WITH LOGIN PASSWORD %s", quoteIdent(s.Username), quoteLiteral(s.Password)))
		switch {
		case sqlState(err) == "42710":
			// duplicate_object: another run made it meanwhile; its password stands
		case err != nil:
			return u, err
		default:
			u.Created = true
		}
	}
	for _, g := range []struct{ privileges, on string }{
		{"CONNECT, CREATE", "DATABASE " + quoteIdent(s.Database)},
		{"USAGE, CREATE", "SCHEMA public"},
	} {
		grant := fmt.Sprintf("%s ON %s", g.privileges, g.on)
		if _, err := run("grant "+grant+" to "+s.Username, fmt.Sprintf("GRANT %s TO %s", grant, quoteIdent(s.Username))); err != nil {
			return u, err
		}
		u.Grants = append(u.Grants, grant)
	}
	// the master user (signed in) becomes a member of the application user,
	// which owns the service's tables: PostgreSQL 16 gives a role's creator
	// no access to what the role owns, and a drill reads a restored copy's
	// rows as the master user (https://www.postgresql.org/docs/16/sql-createrole.html,
	// createrole_self_grant)
	if _, err := run("grant "+s.Username+" to the master user", fmt.Sprintf("GRANT %s TO CURRENT_USER", quoteIdent(s.Username))); err != nil {
		return u, err
	}
	u.Grants = append(u.Grants, "membership of "+s.Username+" to the master user")
	return u, nil
}

// check refuses a secret EnsureAppUser cannot act on safely.
func (s appSecret) check() error {
	for _, f := range []struct{ name, value string }{{"username", s.Username}, {"password", s.Password}, {"dbname", s.Database}} {
		if f.value == "" {
			return fmt.Errorf("%w: %s is missing", ErrBadSecret, f.name)
		}
		if strings.ContainsFunc(f.value, unicode.IsControl) {
			return fmt.Errorf("%w: %s holds a control character", ErrBadSecret, f.name)
		}
	}
	for _, f := range []struct{ name, value string }{{"username", s.Username}, {"dbname", s.Database}} {
		if len(f.value) > maxIdentifier {
			return fmt.Errorf("%w: %s %q is longer than PostgreSQL's %d bytes", ErrBadSecret, f.name, f.value, maxIdentifier)
		}
	}
	if !strings.HasSuffix(s.Username, cloneSuffix) && len(s.Username+cloneSuffix) > maxIdentifier {
		return fmt.Errorf("%w: username %q leaves no room for the rotation's %s (%d bytes at most)", ErrBadSecret, s.Username, cloneSuffix, maxIdentifier-len(cloneSuffix))
	}
	return nil
}

// execute runs one statement as the master user, waiting while the
// cluster has no writer to run it on, and classifies a refused sign-in.
func (c *UserClients) execute(ctx context.Context, t AppUserTarget, database, sql string, params ...datatypes.SqlParameter) (*rdsdata.ExecuteStatementOutput, error) {
	in := &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(t.ClusterARN), SecretArn: aws.String(t.AdminSecretARN),
		Sql: aws.String(sql), Database: aws.String(database), Parameters: params}
	var out *rdsdata.ExecuteStatementOutput
	var last error
	err := waitUntil(ctx, clock.OrReal(c.Clock), pollOr(c.Poll), "a writer of "+t.Cluster+" to answer", c.wait(), func() (bool, error) {
		var err error
		out, err = c.Data(t.Region).ExecuteStatement(ctx, in)
		switch code := errorCode(err); {
		case err == nil:
			return true, nil
		case code == "DatabaseUnavailableException" || code == "DatabaseNotFoundException" || code == "DatabaseResumingException":
			last = err // no writer instance available yet
			return false, nil
		case strings.HasPrefix(sqlState(err), "28"):
			return false, fmt.Errorf("%w: %w", ErrSignIn, err)
		default:
			return false, err
		}
	})
	if errors.Is(err, ErrTimeout) && last != nil {
		return nil, fmt.Errorf("%w (last: %w)", err, last)
	}
	return out, err
}

// sqlStateOf finds the SQLSTATE in a Data API error's message
// ("...; SQLState: 28P01").
var sqlStateOf = regexp.MustCompile(`SQLState: ([0-9A-Z]{5})`)

// sqlState is the SQLSTATE of a Data API error ("" when it has none):
// PostgreSQL's error code, whose first two characters are its class
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func sqlState(err error) string {
	if err == nil {
		return ""
	}
	if m := sqlStateOf.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	if strings.Contains(err.Error(), "password authentication failed") {
		return "28P01"
	}
	return ""
}

// quoteIdent quotes an identifier as PostgreSQL's quote_ident does:
// in double quotes, a double quote doubled
// (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral writes a string constant as PostgreSQL's quote_literal
// does: in single quotes, a single quote doubled; a value with a
// backslash becomes an escape string constant (E'...') with the backslash
// doubled, so that it reads the same whatever standard_conforming_strings
// is (https://www.postgresql.org/docs/current/functions-string.html,
// https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS).
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + q
	}
	return q
}
