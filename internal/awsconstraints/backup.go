package awsconstraints

import (
	"fmt"
	"regexp"
	"strings"
)

const (
	typeBackupVault             = "aws:backup/vault:Vault"
	typeBackupPlan              = "aws:backup/plan:Plan"
	typeBackupSelection         = "aws:backup/selection:Selection"
	typeRestoreTestingPlan      = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
	typeRestoreTestingSelection = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
)

var (
	backupVaultNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]{2,50}$`)
	// a backup plan's, rule's or selection's name: 1-50 alphanumerics or -_.
	backupNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,50}$`)
	// a restore testing plan's or selection's name: alphanumerics and
	// underscores, 50 at most
	restoreTestingNameRE = regexp.MustCompile(`^[a-zA-Z0-9_]{1,50}$`)
	// cronRE is an AWS cron expression: cron(minutes hours day-of-month
	// month day-of-week year)
	cronRE = regexp.MustCompile(`^cron\(\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*\)$`)
)

// lifecycle checks a backup lifecycle: deletion 1-36500 days after
// creation, at least 90 days after a move to cold storage, at most 35 days
// for continuous backups.
func lifecycle(what string, l map[string]any, continuous bool) []string {
	out := msgs(inRange(what+".deleteAfter", l["deleteAfter"], 1, 36500))
	del, dok := num(l["deleteAfter"])
	if cold, ok := num(l["coldStorageAfter"]); ok && dok && del < cold+90 {
		out = append(out, fmt.Sprintf("%s deletes after %s days, less than 90 days after the move to cold storage (%s)", what, fmtNum(del), fmtNum(cold)))
	}
	if continuous && dok && del > 35 {
		out = append(out, fmt.Sprintf("%s keeps continuous backups %s days; AWS Backup keeps them 1-35 days", what, fmtNum(del)))
	}
	return out
}

var backupRules = []Rule{{
	ID:      "backup-vault-name",
	Summary: "a backup vault's name has 2-50 alphanumerics, hyphens or underscores",
	Source:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html",
	Types:   []string{typeBackupVault},
	check: func(_ *index, r subject) []string {
		return msgs(nameRule("backup vault name", r.name("name"), 2, 50, backupVaultNameRE, "only alphanumerics, hyphens and underscores"))
	},
}, {
	ID:      "backup-plan-name",
	Summary: "a backup plan's and a backup selection's name have 1-50 alphanumerics or -_.",
	Source:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupPlanInput.html",
	Types:   []string{typeBackupPlan, typeBackupSelection},
	check: func(_ *index, r subject) []string {
		return msgs(nameRule("name", r.name("name"), 1, 50, backupNameRE, "only alphanumerics and -_."))
	},
}, {
	ID:      "backup-rule",
	Summary: "a backup rule's name has 1-50 alphanumerics or -_.; its target vault's name is a vault name; its schedule runs at most hourly; its start window is at least 60 minutes and both windows at most 100 years (52,560,000 minutes); its lifecycles delete 1-36500 days after creation, 90 days after cold storage, and continuous backups within 35 days",
	Source:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRuleInput.html",
	Types:   []string{typeBackupPlan},
	check: func(_ *index, r subject) []string {
		var out []string
		for i, rv := range list(r.in("rules")) {
			rule := obj(rv)
			what := fmt.Sprintf("rules.%d", i)
			out = append(out, msgs(
				nameRule(what+".ruleName", str(rule, "ruleName"), 1, 50, backupNameRE, "only alphanumerics and -_."),
				nameRule(what+".targetVaultName", str(rule, "targetVaultName"), 2, 50, backupVaultNameRE, "only alphanumerics, hyphens and underscores"),
			)...)
			// the start window is at least an hour; both at most 100 years
			out = append(out, msgs(
				inRange(what+".startWindow", rule["startWindow"], 60, 52560000),
				inRange(what+".completionWindow", rule["completionWindow"], 1, 52560000),
			)...)
			if sched := str(rule, "schedule"); sched != "" {
				m := cronRE.FindStringSubmatch(sched)
				switch {
				case m == nil:
					out = append(out, fmt.Sprintf("%s.schedule %q is not a cron(...) expression of six fields", what, sched))
				case strings.ContainsAny(m[1], "*,/-"):
					out = append(out, fmt.Sprintf("%s.schedule %q runs more than once an hour; AWS Backup's shortest frequency is an hour", what, sched))
				}
			}
			continuous := truthy(rule["enableContinuousBackup"])
			out = append(out, lifecycle(what+".lifecycle", obj(rule["lifecycle"]), continuous)...)
			for j, c := range list(rule["copyActions"]) {
				out = append(out, lifecycle(fmt.Sprintf("%s.copyActions.%d.lifecycle", what, j), obj(obj(c)["lifecycle"]), false)...)
			}
		}
		return out
	},
}, {
	ID:      "backup-copy-destination",
	Summary: "a copy action's destination vault exists (the plan declares it)",
	Source:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
	Types:   []string{typeBackupPlan},
	check: func(ix *index, r subject) []string {
		var out []string
		for i, rv := range list(r.in("rules")) {
			for j, c := range list(obj(rv)["copyActions"]) {
				arn := str(obj(c), "destinationVaultArn")
				if arn == "" {
					continue
				}
				if v, ok := ix.lookup(arn); !ok || v.Type != typeBackupVault {
					out = append(out, fmt.Sprintf("rules.%d.copyActions.%d copies into %s, a vault the plan does not declare", i, j, arn))
				}
			}
		}
		return out
	},
}, {
	ID:      "backup-restore-testing",
	Summary: "a restore testing plan's and selection's names have 1-50 alphanumerics or underscores; the recovery point selection window is 1-365 days, the start window 1-168 hours",
	Source:  "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingPlanForCreate.html",
	Types:   []string{typeRestoreTestingPlan, typeRestoreTestingSelection},
	check: func(_ *index, r subject) []string {
		out := msgs(nameRule("name", str(r.Inputs, "name"), 1, 50, restoreTestingNameRE, "only alphanumerics and underscores"))
		if r.Type == typeRestoreTestingPlan {
			out = append(out, msgs(
				inRange("recoveryPointSelection.selectionWindowDays", r.in("recoveryPointSelection", "selectionWindowDays"), 1, 365),
				inRange("startWindowHours", r.in("startWindowHours"), 1, 168),
			)...)
		}
		return out
	},
}}
