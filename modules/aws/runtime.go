package aws

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// The runtime contract on AWS (package contract names the keys). What the
// stack knows is given as it is (in user data for instances, the task
// definition's environment for containers); the database's writer URL,
// written by the primary region's stack, and the service's parameters come
// from the region's Parameter Store; the credentials from the region's
// copy of the database's secret. No secret value is in user data, tags,
// the task definition, the engine's state or the plan.

// How a golden image meets the contract (images/shop/shop.pkr.hcl):
// its unit, ServiceUnit, runs RuntimeScript as root before every start
// (ExecStartPre=+/bin/bash /var/lib/bulwark/runtime.sh), which writes the
// contract into RuntimeDir/runtime.env (mode 0600, on tmpfs), and reads
// that file (EnvironmentFile=-/run/bulwark/runtime.env). So every start,
// a reboot's too, reads the stores afresh: a rotated password or a
// failover's new writer reaches the service at its next restart. User data
// only installs the script and restarts the unit.
const (
	RuntimeDir    = "/run/bulwark"
	RuntimeScript = "/var/lib/bulwark/runtime.sh"
	ServiceUnit   = "bulwark-service.service"
)

// scriptDelimiter ends the here-document user data writes the script with.
const scriptDelimiter = "BULWARK_RUNTIME_SCRIPT"

// plainRuntime is the contract's values the stack knows, for an instance
// or container of the service in the region (listen is the address to
// serve on), without the instance's name and the database's.
func plainRuntime(a ServiceArgs) map[string]string {
	m := map[string]string{
		contract.Environment: a.Topology.Environment.Name,
		contract.Service:     a.Service.Name,
		contract.Region:      a.Region.Name,
		contract.Listen:      fmt.Sprintf("0.0.0.0:%d", a.Service.Port),
	}
	// graceful degradation: the region's write queue, what the service
	// calls, and the Cache-Control its cached paths answer with
	// (CloudFront serves stale on the origins' errors for as long as its
	// stale-if-error says)
	maps.Copy(m, queueRuntime(a))
	if deps := dependenciesRuntime(a.Topology, a.Service); deps != "" {
		m[contract.Dependencies] = deps
	}
	if c := a.Service.Cache; c != nil {
		m[contract.CacheControl] = contract.CacheControlValue(c.TTL, c.StaleFor)
	}
	return m
}

// shellQuote quotes a string for bash: single quotes, each single quote
// closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runtimeScript is RuntimeScript: a bash script that writes the contract
// into RuntimeDir/runtime.env. It reads the instance's
// ID from IMDSv2, the parameters and the writer URL from the region's
// Parameter Store and the credentials from the region's copy of the
// secret, with the AWS CLI (the golden image installs it), and writes
// each value quoted for systemd (EnvironmentFile's double quotes, with
// backslash escapes; values with a newline or other control characters
// are refused). db holds values the stack knows only at deploy time
// (the reader URL), resolved before the script is made.
func runtimeScript(a ServiceArgs, db map[string]string) string {
	s := a.Service
	region := a.Region.Name
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/bash")
	w("# bulwark: the runtime contract of %s/%s in %s. This script holds no secret:", a.Topology.Environment.Name, s.Name, region)
	w("# it reads them from the region's Parameter Store and Secrets Manager at boot.")
	w("set -euo pipefail")
	w("umask 077")
	w("dir=${BULWARK_RUNTIME_DIR:-%s}", RuntimeDir)
	w("install -d -m 0755 \"$dir\"")
	w("out=\"$dir/runtime.env.tmp\"")
	w(": >\"$out\"")
	// put NAME VALUE: a systemd EnvironmentFile line
	w("put() {")
	w("  case \"$2\" in *[[:cntrl:]]*) echo \"bulwark: $1 holds a control character; refused\" >&2; exit 1;; esac")
	w("  local v=${2//\\\\/\\\\\\\\}")
	w("  v=${v//\\\"/\\\\\\\"}")
	w("  printf '%%s=\"%%s\"\\n' \"$1\" \"$v\" >>\"$out\"")
	w("}")
	w("token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')")
	w("put %s \"$(curl -fsS -H \"X-aws-ec2-metadata-token: $token\" http://169.254.169.254/latest/meta-data/instance-id)\"", contract.Instance)
	plain := plainRuntime(a)
	maps.Copy(plain, db)
	for _, k := range slices.Sorted(maps.Keys(plain)) {
		w("put %s %s", k, shellQuote(plain[k]))
	}
	if len(s.Parameters) > 0 || len(s.SecretParameters) > 0 {
		// the service's own parameters, by path (one level: the runtime
		// values below it are read by name); SecureStrings decrypted
		w("aws ssm get-parameters-by-path --region %s --path %s --no-recursive --with-decryption --output json |", region, shellQuote(a.Topology.ParameterPath(s)))
		w("  python3 -c 'import json,sys; [print(p[\"Name\"].rsplit(\"/\",1)[1] + \"\\0\" + p[\"Value\"], end=\"\\0\") for p in json.load(sys.stdin)[\"Parameters\"]]' |")
		w("  while IFS= read -r -d '' name && IFS= read -r -d '' value; do put \"$name\" \"$value\"; done")
	}
	if a.Database != nil {
		for _, k := range slices.Sorted(maps.Keys(a.Database.Parameters)) {
			w("put %s \"$(aws ssm get-parameter --region %s --name %s --query Parameter.Value --output text)\"", k, region, shellQuote(a.Database.Parameters[k]))
		}
		if a.Database.Secret != "" {
			w("secret=$(aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text)", region, shellQuote(a.Database.Secret))
			for _, k := range slices.Sorted(maps.Keys(a.Database.SecretKeys)) {
				w("put %s \"$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \"$secret\" %s)\"", k, shellQuote(a.Database.SecretKeys[k]))
			}
		}
	}
	w("mv \"$out\" \"$dir/runtime.env\"")
	return b.String()
}

// userDataScript is an instance's user data, run once by cloud-init as
// root at first boot: it installs the runtime script and restarts the
// service's unit, whose start runs it.
func userDataScript(a ServiceArgs, db map[string]string) string {
	script := runtimeScript(a, db)
	return fmt.Sprintf(`#!/bin/bash
# bulwark: installs the runtime contract's script for %s/%s in %s; no secret here
set -euo pipefail
script=${BULWARK_RUNTIME_SCRIPT:-%s}
install -d -m 0700 "$(dirname "$script")"
cat >"$script" <<'%s'
%s%s
chmod 0700 "$script"
systemctl restart %s
`, a.Topology.Environment.Name, a.Service.Name, a.Region.Name, RuntimeScript, scriptDelimiter, script, scriptDelimiter, ServiceUnit)
}

// userData is the launch template's user data (base64, as EC2 takes it):
// the script, with the database's deploy-time values resolved into it.
func userData(a ServiceArgs) pulumi.StringOutput {
	db := pulumi.StringMap{}
	if a.Database != nil {
		db = a.Database.Env
	}
	return db.ToStringMapOutput().ApplyT(func(known map[string]string) string {
		return base64.StdEncoding.EncodeToString([]byte(userDataScript(a, known)))
	}).(pulumi.StringOutput)
}

// secretPattern is the secret's ARN in a region, its random suffix a
// wildcard (Secrets Manager adds "-" and six characters:
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html).
func secretPattern(region, account, name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-??????", region, account, name)
}

// parameterARN is a parameter's ARN in a region (its name has a leading /).
func parameterARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", region, account, name)
}

// runtimePolicy lets an instance's role (or a task's execution role) read
// the database's part of the contract in its region: the runtime
// parameters by name and the secret. Empty without a database, or one
// that needs nothing read (DynamoDB).
func runtimePolicy(a ServiceArgs) string {
	if a.Database == nil || (len(a.Database.Parameters) == 0 && a.Database.Secret == "") {
		return ""
	}
	var statements []map[string]any
	if len(a.Database.Parameters) > 0 {
		var arns []string
		for _, k := range slices.Sorted(maps.Keys(a.Database.Parameters)) {
			arns = append(arns, parameterARN(a.Region.Name, a.Account, a.Database.Parameters[k]))
		}
		statements = append(statements, map[string]any{"Effect": "Allow", "Action": []string{"ssm:GetParameter", "ssm:GetParameters"}, "Resource": arns})
	}
	if a.Database.Secret != "" {
		// the replicas are encrypted with aws/secretsmanager, which any
		// principal of the account allowed to read the secret may use
		statements = append(statements, map[string]any{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
			"Resource": secretPattern(a.Region.Name, a.Account, a.Database.Secret)})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

// containerSecretARN is the full ARN of the region's copy of the
// database's secret, which ECS requires in a task definition
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html):
// the primary region's stack declares the secret (arn); another region's
// looks its replica up (it exists: the primary region deploys first).
func containerSecretARN(ctx *pulumi.Context, a ServiceArgs, arn pulumi.StringOutput) (pulumi.StringOutput, error) {
	if arn != (pulumi.StringOutput{}) {
		return arn, nil
	}
	var opts []pulumi.InvokeOption
	if a.Provider != nil {
		opts = append(opts, pulumi.Provider(a.Provider))
	}
	found, err := secretsmanager.LookupSecret(ctx, &secretsmanager.LookupSecretArgs{Name: pulumi.StringRef(a.Database.Secret)}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("the database secret %s in %s (its primary region deploys first): %w", a.Database.Secret, a.Region.Name, err)
	}
	return pulumi.String(found.Arn).ToStringOutput(), nil
}
