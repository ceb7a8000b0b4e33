package aws

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/backup"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Backup is a service's AWS Backup setup in one region: a vault with its
// own KMS key everywhere the plan keeps backups; in the primary region
// also the plan (schedule, retention, a copy action per copy_to region),
// the selection of the service's data by tag, and its role.
type Backup struct {
	pulumi.ResourceState
	VaultArn pulumi.StringOutput
}

// BackupArgs is what NewBackup needs.
type BackupArgs struct {
	Topology *topology.Topology
	Region   topology.Region
	Service  topology.Service
	// CopyOnly declares only the vault (a copy_to region).
	CopyOnly bool
	// Account is the AWS account the copy destinations' ARNs name.
	Account string
}

// Schedule is the plan's cron expression for a backup every interval
// (AWS Backup's shortest is one hour; shorter intervals round up to it).
func Schedule(every time.Duration) string {
	hours := max(1, int(math.Ceil(every.Hours())))
	if hours >= 24 {
		return "cron(0 5 * * ? *)"
	}
	return fmt.Sprintf("cron(0 0/%d * * ? *)", hours)
}

// RetentionDays is how many days backups are kept (at least one).
func RetentionDays(keep time.Duration) int { return max(1, int(math.Ceil(keep.Hours()/24))) }

// VaultArn is a region's vault of a service's plan.
func VaultArn(t *topology.Topology, account, region, service string) string {
	return fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", region, account, Vault(t, service))
}

// NewBackup declares a service's backup setup in a region.
func NewBackup(ctx *pulumi.Context, name string, a BackupArgs, opts ...pulumi.ResourceOption) (*Backup, error) {
	b := &Backup{}
	if err := ctx.RegisterComponentResource(contract.TypeAWSBackup, name, b, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(b)
	s := a.Service
	t := tags(a.Topology, a.Region.Name, s.Name)
	key, err := kms.NewKey(ctx, name+"-vault", &kms.KeyArgs{
		Description: pulumi.Sprintf("%s backups in %s", Vault(a.Topology, s.Name), a.Region.Name), EnableKeyRotation: pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30), Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	vault, err := backup.NewVault(ctx, name, &backup.VaultArgs{Name: pulumi.String(Vault(a.Topology, s.Name)), KmsKeyArn: key.Arn, Tags: t}, child)
	if err != nil {
		return nil, err
	}
	b.VaultArn = vault.Arn
	if a.CopyOnly {
		return b, ctx.RegisterResourceOutputs(b, pulumi.Map{"vault": vault.Arn})
	}
	var copies backup.PlanRuleCopyActionArray
	for _, region := range s.Backup.CopyTo {
		copies = append(copies, backup.PlanRuleCopyActionArgs{
			DestinationVaultArn: pulumi.String(VaultArn(a.Topology, a.Account, region, s.Name)),
			Lifecycle:           &backup.PlanRuleCopyActionLifecycleArgs{DeleteAfter: pulumi.Int(RetentionDays(s.Backup.Keep))},
		})
	}
	plan, err := backup.NewPlan(ctx, name, &backup.PlanArgs{
		Name: pulumi.String(BoundedName(Vault(a.Topology, s.Name), 50, "-")),
		Rules: backup.PlanRuleArray{backup.PlanRuleArgs{
			RuleName: pulumi.String("every-" + s.Backup.Every.String()), TargetVaultName: vault.Name,
			Schedule: pulumi.String(Schedule(s.Backup.Every)), StartWindow: pulumi.Int(60), CompletionWindow: pulumi.Int(180),
			EnableContinuousBackup: pulumi.Bool(s.Backup.Every < time.Hour), // point-in-time between the hourly backups
			Lifecycle:              &backup.PlanRuleLifecycleArgs{DeleteAfter: pulumi.Int(RetentionDays(s.Backup.Keep))},
			CopyActions:            copies,
		}},
		Tags: t,
	}, child)
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-backup", &iam.RoleArgs{AssumeRolePolicy: pulumi.String(assumeRolePolicy("backup.amazonaws.com")), Tags: t}, child)
	if err != nil {
		return nil, err
	}
	for _, policy := range []string{"AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"} {
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+policy, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/service-role/" + policy),
		}, child); err != nil {
			return nil, err
		}
	}
	if _, err := backup.NewSelection(ctx, name, &backup.SelectionArgs{
		Name: pulumi.String(BoundedName(Vault(a.Topology, s.Name), 50, "-")), PlanId: plan.ID(), IamRoleArn: role.Arn,
		SelectionTags: backup.SelectionSelectionTagArray{backup.SelectionSelectionTagArgs{
			Type: pulumi.String("STRINGEQUALS"), Key: pulumi.String(contract.TagBackup), Value: pulumi.String(GlobalCluster(a.Topology, s.Name)),
		}},
	}, child); err != nil {
		return nil, err
	}
	if s.Backup.RestoreTests {
		// every week, restore the newest recovery point of the service's
		// database and let AWS Backup validate it
		testing, err := backup.NewRestoreTestingPlan(ctx, name, &backup.RestoreTestingPlanArgs{
			Name:               pulumi.String(BoundedName(strings.ReplaceAll(Vault(a.Topology, s.Name), "-", "_")+"_restore_tests", 50, "_")),
			ScheduleExpression: pulumi.String("cron(0 6 ? * SUN *)"),
			RecoveryPointSelection: &backup.RestoreTestingPlanRecoveryPointSelectionArgs{
				Algorithm: pulumi.String("LATEST_WITHIN_WINDOW"), IncludeVaults: pulumi.StringArray{vault.Arn},
				RecoveryPointTypes: pulumi.StringArray{pulumi.String("SNAPSHOT"), pulumi.String("CONTINUOUS")}, SelectionWindowDays: pulumi.Int(7),
			},
			Tags: t,
		}, child)
		if err != nil {
			return nil, err
		}
		if _, err := backup.NewRestoreTestingSelection(ctx, name, &backup.RestoreTestingSelectionArgs{
			Name: pulumi.String(BoundedName(strings.ReplaceAll(s.Name, "-", "_")+"_database", 50, "_")), RestoreTestingPlanName: testing.Name,
			ProtectedResourceType: pulumi.String("Aurora"), IamRoleArn: role.Arn,
			ProtectedResourceConditions: &backup.RestoreTestingSelectionProtectedResourceConditionsArgs{
				StringEquals: backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArray{
					backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs{
						Key: pulumi.String("aws:ResourceTag/" + contract.TagBackup), Value: pulumi.String(GlobalCluster(a.Topology, s.Name)),
					},
				},
			},
		}, child); err != nil {
			return nil, err
		}
	}
	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{"vault": vault.Arn, "plan": plan.Arn})
}
