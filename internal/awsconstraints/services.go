package awsconstraints

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

const (
	typeRole            = "aws:iam/role:Role"
	typeInstanceProfile = "aws:iam/instanceProfile:InstanceProfile"
	typeRolePolicy      = "aws:iam/rolePolicy:RolePolicy"
	typeKey             = "aws:kms/key:Key"
	typeReplicaKey      = "aws:kms/replicaKey:ReplicaKey"
	typeParameter       = "aws:ssm/parameter:Parameter"
	typeTable           = "aws:dynamodb/table:Table"
	typeSecret          = "aws:secretsmanager/secret:Secret"
	typeExperiment      = "aws:fis/experimentTemplate:ExperimentTemplate"
	tokenGetSecret      = "aws:secretsmanager/getSecret:getSecret"
)

var (
	// iamNameRE: alphanumerics and +=,.@_-
	iamNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// ssmNameRE: letters, digits and . - _ /
	ssmNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)
	// tableNameRE: letters, digits, underscores, hyphens and dots
	tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	// secretNameRE: letters, digits and /_+=.@-
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
	// secretSuffixRE: a hyphen and six characters, what Secrets Manager
	// appends to a secret's ARN
	secretSuffixRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
	// isoDurationRE: an ISO 8601 duration of hours, minutes and seconds
	isoDurationRE = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)
	// tagTextRE: letters, digits, spaces and _ . : / = + - @
	tagTextRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// policySize is an IAM policy's length as IAM counts it: without
// whitespace.
func policySize(doc string) int {
	return len(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, doc))
}

// tagsOf are a resource's tags: a map, or an Auto Scaling group's list.
func tagsOf(r subject) map[string]string {
	out := map[string]string{}
	for k, v := range obj(r.in("tags")) {
		s, _ := v.(string)
		out[k] = s
	}
	for _, t := range list(r.in("tags")) {
		out[str(obj(t), "key")] = str(obj(t), "value")
	}
	return out
}

var serviceRules = []Rule{{
	ID:      "iam-names",
	Summary: "an IAM role's name has 1-64 alphanumerics or +=,.@_-, an instance profile's and an inline policy's 1-128",
	Source:  "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
	Types:   []string{typeRole, typeInstanceProfile, typeRolePolicy},
	check: func(_ *index, r subject) []string {
		max := map[string]int{typeRole: 64, typeInstanceProfile: 128, typeRolePolicy: 128}[r.Type]
		return msgs(nameRule("name", r.name("name"), 1, max, iamNameRE, "only alphanumerics and +=,.@_-"))
	},
}, {
	ID:      "iam-policy-size",
	Summary: "a role's trust policy has at most 2048 characters and its inline policies together at most 10240, whitespace not counted",
	Source:  "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
	plan: func(ix *index) []Violation {
		var out []Violation
		inline := map[string]int{}
		last := map[string]subject{}
		for _, p := range ix.ofType(typeRolePolicy) {
			role := str(p.Inputs, "role")
			inline[role] += policySize(str(p.Inputs, "policy"))
			last[role] = p
		}
		for _, r := range ix.ofType(typeRole) {
			if n := policySize(str(r.Inputs, "assumeRolePolicy")); n > 2048 {
				out = append(out, Violation{Stack: r.Stack, URN: r.URN, Type: r.Type, Message: fmt.Sprintf("trust policy of %d characters; at most 2048", n)})
			}
		}
		for _, role := range sortedKeys(inline) {
			if inline[role] > 10240 {
				p := last[role]
				out = append(out, Violation{Stack: p.Stack, URN: p.URN, Type: p.Type, Message: fmt.Sprintf("role %s's inline policies total %d characters; at most 10240", role, inline[role])})
			}
		}
		return out
	},
}, {
	ID:      "kms-key",
	Summary: "a KMS key's deletion window is 7-30 days and its description at most 8192 characters",
	Source:  "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html",
	Types:   []string{typeKey, typeReplicaKey},
	check: func(_ *index, r subject) []string {
		out := msgs(inRange("deletionWindowInDays", r.in("deletionWindowInDays"), 7, 30))
		if d := str(r.Inputs, "description"); len(d) > 8192 {
			out = append(out, fmt.Sprintf("description of %d characters; at most 8192", len(d)))
		}
		return out
	},
}, {
	ID:      "kms-replica-key",
	Summary: "a replica key replicates a multi-Region key (mrk-) into another Region than its primary's",
	Source:  "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html",
	Types:   []string{typeReplicaKey},
	check: func(ix *index, r subject) []string {
		primary := str(r.Inputs, "primaryKeyArn")
		if primary == "" {
			return nil
		}
		var out []string
		if _, id, _ := strings.Cut(primary, ":key/"); !strings.HasPrefix(id, "mrk-") {
			out = append(out, fmt.Sprintf("primary key %s is not a multi-Region key", primary))
		}
		if arnRegion(primary) == r.Region {
			out = append(out, fmt.Sprintf("replica in %s, the primary key's own Region", r.Region))
		}
		if p, ok := ix.lookup(primary); ok && !truthy(p.in("multiRegion")) {
			out = append(out, fmt.Sprintf("primary key %s is declared without multiRegion", p.Name))
		}
		return out
	},
}, {
	ID:      "ssm-parameter-name",
	Summary: "a parameter's name has letters, digits and . - _ /, at most 15 levels and 1011 characters with its ARN, and does not begin with aws or ssm",
	Source:  "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html",
	Types:   []string{typeParameter},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		if name == "" {
			return nil
		}
		out := msgs(nameRule("parameter name", name, 1, 2048, ssmNameRE, "only letters, digits and . - _ /"))
		first := strings.ToLower(strings.TrimPrefix(name, "/"))
		if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
			out = append(out, fmt.Sprintf("parameter name %q begins with aws or ssm", name))
		}
		if levels := strings.Count(strings.TrimPrefix(name, "/"), "/"); levels >= 15 {
			out = append(out, fmt.Sprintf("parameter name %q has %d levels; at most 15", name, levels+1))
		}
		if arn := r.out("arn"); len(arn) > 1011 {
			out = append(out, fmt.Sprintf("parameter ARN of %d characters; at most 1011", len(arn)))
		}
		return out
	},
}, {
	ID:      "ssm-parameter-value",
	Summary: "a standard parameter's value has at most 4 KB, an advanced one's 8 KB",
	Source:  "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
	Types:   []string{typeParameter},
	check: func(_ *index, r subject) []string {
		value := str(r.Inputs, "insecureValue") + str(r.Inputs, "value")
		limit := 4096
		if str(r.Inputs, "tier") == "Advanced" {
			limit = 8192
		}
		if len(value) > limit {
			return []string{fmt.Sprintf("value of %d bytes; a %s parameter holds %d", len(value), map[bool]string{true: "standard", false: "advanced"}[limit == 4096], limit)}
		}
		return nil
	},
}, {
	ID:      "dynamodb-table",
	Summary: "a table's name has 3-255 letters, digits, underscores, hyphens or dots",
	Source:  "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
	Types:   []string{typeTable},
	check: func(_ *index, r subject) []string {
		return msgs(nameRule("table name", r.name("name"), 3, 255, tableNameRE, "only letters, digits, underscores, hyphens and dots"))
	},
}, {
	ID:      "dynamodb-global-table",
	Summary: "a global table streams NEW_AND_OLD_IMAGES; its replicas are in distinct other Regions, each encrypted with a key of its own Region",
	Source:  "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html",
	Types:   []string{typeTable},
	check: func(_ *index, r subject) []string {
		replicas := list(r.in("replicas"))
		if len(replicas) == 0 {
			return nil
		}
		var out []string
		if !truthy(r.in("streamEnabled")) || str(r.Inputs, "streamViewType") != "NEW_AND_OLD_IMAGES" {
			out = append(out, "replicas without a NEW_AND_OLD_IMAGES stream")
		}
		seen := map[string]bool{}
		for i, rep := range replicas {
			region := str(obj(rep), "regionName")
			switch {
			case region == r.Region:
				out = append(out, fmt.Sprintf("replicas.%d in the table's own Region %s", i, region))
			case seen[region]:
				out = append(out, fmt.Sprintf("replicas.%d repeats Region %s", i, region))
			}
			seen[region] = true
			if key := str(obj(rep), "kmsKeyArn"); key != "" && arnRegion(key) != region {
				out = append(out, fmt.Sprintf("replicas.%d in %s is encrypted with %s of %s", i, region, key, arnRegion(key)))
			}
		}
		return out
	},
}, {
	ID:      "secretsmanager-secret",
	Summary: "a secret's name has 1-512 letters, digits or /_+=.@- and does not end in a hyphen and six characters; its replicas are in distinct other Regions, each with a key of its Region; its recovery window is 0 or 7-30 days",
	Source:  "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
	Types:   []string{typeSecret},
	check: func(_ *index, r subject) []string {
		name := r.name("name")
		out := msgs(nameRule("secret name", name, 1, 512, secretNameRE, "only letters, digits and /_+=.@-"))
		if secretSuffixRE.MatchString(name) {
			out = append(out, fmt.Sprintf("secret name %q ends in a hyphen and six characters, which Secrets Manager takes for its ARN suffix", name))
		}
		if w, ok := num(r.in("recoveryWindowInDays")); ok && w != 0 && (w < 7 || w > 30) {
			out = append(out, fmt.Sprintf("recoveryWindowInDays %s; 0 or 7-30", fmtNum(w)))
		}
		seen := map[string]bool{}
		for i, rep := range list(r.in("replicas")) {
			region := str(obj(rep), "region")
			switch {
			case region == r.Region:
				out = append(out, fmt.Sprintf("replicas.%d in the secret's own Region %s", i, region))
			case seen[region]:
				out = append(out, fmt.Sprintf("replicas.%d repeats Region %s", i, region))
			}
			seen[region] = true
			if key := str(obj(rep), "kmsKeyId"); arnRegion(key) != "" && arnRegion(key) != region {
				out = append(out, fmt.Sprintf("replicas.%d in %s is encrypted with %s of %s", i, region, key, arnRegion(key)))
			}
		}
		return out
	},
}, {
	ID:      "secretsmanager-lookup",
	Summary: "a secret read by name in a Region is one the plan creates there, or replicates there",
	Source:  "https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html",
	plan: func(ix *index) []Violation {
		where := map[string]map[string]bool{} // secret name -> Regions it exists in
		for _, s := range ix.ofType(typeSecret) {
			name := s.name("name")
			if where[name] == nil {
				where[name] = map[string]bool{}
			}
			where[name][s.Region] = true
			for _, rep := range list(s.in("replicas")) {
				where[name][str(obj(rep), "region")] = true
			}
		}
		var out []Violation
		for _, inv := range ix.invokes {
			if inv.Token != tokenGetSecret {
				continue
			}
			name := str(inv.Args, "name")
			if name == "" || where[name][inv.Region] {
				continue
			}
			var regions []string
			for r := range where[name] {
				regions = append(regions, r)
			}
			sort.Strings(regions)
			out = append(out, Violation{Stack: inv.Stack, Type: inv.Token, Message: fmt.Sprintf("reads secret %q in %s, where the plan neither creates nor replicates it (it exists in: %s)", name, inv.Region, strings.Join(regions, ", "))})
		}
		return out
	},
}, {
	ID:      "fis-experiment-template",
	Summary: "an experiment template's description has at most 512 characters; it has at most 5 stop conditions, alarms of its own Region; a network disruption lasts 1 minute to 12 hours",
	Source:  "https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html",
	Types:   []string{typeExperiment},
	check: func(_ *index, r subject) []string {
		var out []string
		if d := str(r.Inputs, "description"); len(d) > 512 {
			out = append(out, fmt.Sprintf("description of %d characters; at most 512", len(d)))
		}
		stops := list(r.in("stopConditions"))
		if len(stops) > 5 {
			out = append(out, fmt.Sprintf("%d stop conditions; at most 5", len(stops)))
		}
		for i, s := range stops {
			if str(obj(s), "source") == "aws:cloudwatch:alarm" {
				if region := arnRegion(str(obj(s), "value")); region != "" && region != r.Region {
					out = append(out, fmt.Sprintf("stopConditions.%d is an alarm of %s; the template is in %s", i, region, r.Region))
				}
			}
		}
		for i, a := range list(r.in("actions")) {
			if str(obj(a), "actionId") != "aws:network:disrupt-connectivity" {
				continue
			}
			for _, p := range list(obj(a)["parameters"]) {
				if str(obj(p), "key") != "duration" {
					continue
				}
				v := str(obj(p), "value")
				d, ok := isoDuration(v)
				if !ok || d < time.Minute || d > 12*time.Hour {
					out = append(out, fmt.Sprintf("actions.%d duration %q is not an ISO 8601 duration of 1 minute to 12 hours", i, v))
				}
			}
		}
		return out
	},
}, {
	ID:      "tags",
	Summary: "a resource has at most 50 tags; keys have 1-128 characters and do not begin with aws:, values at most 256; outside EC2 (which takes any character) both hold letters, digits, spaces and _ . : / = + - @ only",
	Source:  "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
	check: func(_ *index, r subject) []string {
		tags := tagsOf(r)
		anyCharacter := awsModuleOf(r.Type) == "ec2"
		var out []string
		if len(tags) > 50 {
			out = append(out, fmt.Sprintf("%d tags; at most 50", len(tags)))
		}
		for _, k := range sortedKeys(tags) {
			v := tags[k]
			switch {
			case len(k) < 1 || len(k) > 128:
				out = append(out, fmt.Sprintf("tag key %q has %d characters; 1-128", k, len(k)))
			case strings.HasPrefix(strings.ToLower(k), "aws:"):
				out = append(out, fmt.Sprintf("tag key %q begins with aws:, which AWS reserves", k))
			case !anyCharacter && !tagTextRE.MatchString(k):
				out = append(out, fmt.Sprintf("tag key %q has characters tags do not take", k))
			}
			switch {
			case len(v) > 256:
				out = append(out, fmt.Sprintf("tag %s's value has %d characters; at most 256", k, len(v)))
			case !anyCharacter && !tagTextRE.MatchString(v):
				out = append(out, fmt.Sprintf("tag %s's value %q has characters tags do not take", k, v))
			}
		}
		return out
	},
}}

// awsModuleOf is a pulumi-aws type's module ("ec2" of "aws:ec2/vpc:Vpc").
func awsModuleOf(typ string) string {
	mod, _, _ := strings.Cut(strings.TrimPrefix(typ, "aws:"), "/")
	return mod
}

// isoDuration parses PT<h>H<m>M<s>S.
func isoDuration(s string) (time.Duration, bool) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			var n int
			fmt.Sscan(m[i+1], &n)
			d += time.Duration(n) * unit
		}
	}
	return d, true
}
