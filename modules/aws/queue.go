package aws

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A service's write queue on AWS (its write_queue block): per region an
// SQS standard queue the service's instances or tasks send the writes its
// database cannot take now to, and receive them from to write them once
// it is back (the consumer runs in the instances themselves), and a
// dead-letter queue for writes that failed MaxReceives times. Both are
// encrypted with SQS's own keys (SSE-SQS); the instances' role may use
// the region's queue and nothing else of SQS.

// Write queue settings.
const (
	// QueueVisibilityTimeout is how long a received write stays hidden
	// from the other consumers: longer than one write to the database
	// takes (a statement, within the sample service's 5 s), so a write is
	// redelivered only when its consumer died or failed it. Its write id
	// keeps a redelivery from being applied twice.
	QueueVisibilityTimeout = 30
	// QueueReceiveWait is the consumers' long poll (SQS's longest, 20 s):
	// an empty queue costs a receive every 20 s per consumer.
	QueueReceiveWait = 20
	// DeadLetterRetention is how long the dead-letter queue keeps a write:
	// SQS's longest, 14 days, never shorter than the source queue's
	// retention (topology.MaxQueueKeep), because a message's expiry counts
	// from its first enqueue, not from its move to the dead-letter queue
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
	DeadLetterRetention = 14 * 24 * 3600
)

// QueueName names a service's write queue in each region (the same name
// everywhere, as an SQS queue is regional): contract.QueueStreamName,
// within SQS's 80 characters
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
func QueueName(t *topology.Topology, service string) string {
	return BoundedName(contract.QueueStreamName(t.Environment.Name, service), 80, "-")
}

// DeadLetterQueueName names a service's write queue's dead-letter queue.
func DeadLetterQueueName(t *topology.Topology, service string) string {
	return BoundedName(contract.QueueStreamName(t.Environment.Name, service)+"-dead", 80, "-")
}

// queueARN is an SQS queue's ARN, arn:aws:sqs:<region>:<account>:<name>
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html#amazonsqs-resources-for-iam-policies).
func queueARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, name)
}

// QueueURL is an SQS queue's URL, https://sqs.<region>.amazonaws.com/<account>/<name>
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html):
// the stack knows it before the queue exists, so it is a plain value of
// the runtime contract.
func QueueURL(region, account, name string) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, name)
}

// queueRuntime is the runtime contract's write queue part (nil without one).
func queueRuntime(a ServiceArgs) map[string]string {
	if a.Service.WriteQueue == nil {
		return nil
	}
	name := QueueName(a.Topology, a.Service.Name)
	return map[string]string{
		contract.QueueEngine: contract.QueueEngineSQS,
		contract.QueueURL:    QueueURL(a.Region.Name, a.Account, name),
		contract.QueueName:   name,
	}
}

// QueueActions are what a service's instances may do with their region's
// write queue: send a write, receive, delete and hide it while they write
// it, and read the queue's attributes (its length, for health).
var QueueActions = []string{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}

// queuePolicy lets a role use the region's write queue, by ARN, and
// nothing else ("" without a write queue). The dead-letter queue is an
// operator's: the instances neither read nor redrive it.
func queuePolicy(a ServiceArgs) string {
	if a.Service.WriteQueue == nil {
		return ""
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{
		"Effect": "Allow", "Action": QueueActions,
		"Resource": queueARN(a.Region.Name, a.Account, QueueName(a.Topology, a.Service.Name)),
	}}})
	return string(b)
}

// allowQueue gives a role the write queue's policy, when the service has
// a write queue.
func allowQueue(ctx *pulumi.Context, name string, a ServiceArgs, role *iam.Role, child pulumi.ResourceOption) error {
	policy := queuePolicy(a)
	if policy == "" {
		return nil
	}
	_, err := iam.NewRolePolicy(ctx, name+"-write-queue", &iam.RolePolicyArgs{Role: role.Name, Policy: pulumi.String(policy)}, child)
	return err
}

// newWriteQueue declares a service's write queue and its dead-letter
// queue in the region (nil, nil without a write_queue block): the queue
// keeps a write for the block's keep and moves it to the dead-letter
// queue after max_receives receives; the dead-letter queue takes only
// this queue's writes.
func newWriteQueue(ctx *pulumi.Context, name string, a ServiceArgs, child pulumi.ResourceOption) ([]pulumi.Resource, error) {
	wq := a.Service.WriteQueue
	if wq == nil {
		return nil, nil
	}
	t := tags(a.Topology, a.Region.Name, a.Service.Name)
	queue := QueueName(a.Topology, a.Service.Name)
	allow, _ := json.Marshal(map[string]any{
		"redrivePermission": "byQueue",
		"sourceQueueArns":   []string{queueARN(a.Region.Name, a.Account, queue)},
	})
	dead, err := sqs.NewQueue(ctx, name+"-writes-dead", &sqs.QueueArgs{
		Name:                    pulumi.String(DeadLetterQueueName(a.Topology, a.Service.Name)),
		MessageRetentionSeconds: pulumi.Int(DeadLetterRetention),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		RedriveAllowPolicy:      pulumi.String(string(allow)),
		Tags:                    t,
	}, child)
	if err != nil {
		return nil, err
	}
	redrive := dead.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": wq.MaxReceives})
		return string(b), err
	}).(pulumi.StringOutput)
	q, err := sqs.NewQueue(ctx, name+"-writes", &sqs.QueueArgs{
		Name:                     pulumi.String(queue),
		MessageRetentionSeconds:  pulumi.Int(int(wq.Keep.Seconds())),
		VisibilityTimeoutSeconds: pulumi.Int(QueueVisibilityTimeout),
		ReceiveWaitTimeSeconds:   pulumi.Int(QueueReceiveWait),
		SqsManagedSseEnabled:     pulumi.Bool(true),
		RedrivePolicy:            redrive,
		Tags:                     t,
	}, child)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{dead, q}, nil
}
