package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsAPI is what the service calls of SQS.
type sqsAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// sqsQueue is the write queue on SQS: a standard queue with a
// dead-letter queue behind its redrive policy. A standard queue has no
// deduplication ID (only FIFO queues do); the table's primary key makes
// a write delivered twice a no-op.
type sqsQueue struct {
	client sqsAPI
	url    string
	// wait is the long poll's WaitTimeSeconds (20, SQS's longest).
	wait int32
	// retry is the pause after SQS itself failed.
	retry time.Duration
}

var _ Queue = (*sqsQueue)(nil)

// openSQS makes the client with the SDK's default configuration (the
// instance's or task's role); the region is the queue URL's
// (https://sqs.<region>.amazonaws.com/<account>/<name>), else the
// configuration's, else fallback.
func openSQS(ctx context.Context, queueURL, fallback string) (*sqsQueue, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	if r := regionOf(queueURL); r != "" {
		cfg.Region = r
	}
	if cfg.Region == "" {
		cfg.Region = fallback
	}
	return &sqsQueue{client: sqs.NewFromConfig(cfg), url: queueURL, wait: 20, retry: retryDelay}, nil
}

// regionOf reads the region in an SQS queue URL's host ("" when it has none).
func regionOf(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 3 && parts[0] == "sqs" {
		return parts[1]
	}
	return ""
}

// Publish sends the write; SendMessage answers once SQS stored it.
func (q *sqsQueue) Publish(ctx context.Context, w QueuedWrite) error {
	if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(w.encode()))}); err != nil {
		return fmt.Errorf("send to %s: %w", q.url, err)
	}
	return nil
}

// Drain long-polls the queue: a write applied is deleted (after the
// commit); a write the database refused, or a message that is no write,
// is left alone, with the rest of its batch (the database is likely down
// for them too): each is visible again after the queue's visibility
// timeout, and after the redrive policy's maxReceiveCount receives SQS
// moves it to the dead-letter queue.
func (q *sqsQueue) Drain(ctx context.Context, ready func(context.Context) error, apply func(context.Context, QueuedWrite) error) error {
	for ctx.Err() == nil {
		if err := ready(ctx); err != nil {
			pause(ctx, q.retry)
			continue
		}
		out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.url), MaxNumberOfMessages: drainBatch,
			WaitTimeSeconds: q.wait, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			if ctx.Err() == nil {
				log.Printf("shop: queue %s: receive: %v", q.url, err)
				pause(ctx, q.retry)
			}
			continue
		}
		refused := false
		for _, m := range out.Messages {
			w, err := decodeWrite([]byte(aws.ToString(m.Body)))
			if err != nil {
				log.Printf("shop: queue %s: message %s (received %s times): %v", q.url, aws.ToString(m.MessageId), m.Attributes["ApproximateReceiveCount"], err)
				continue
			}
			if err := apply(ctx, w); err != nil {
				// the database refused: the rest of the batch, untried,
				// is visible again after the timeout as this one is
				refused = true
				break
			}
			// the commit is done: delete even when shutting down, else the
			// write is delivered again (and applied as a no-op)
			del, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, err = q.client.DeleteMessage(del, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: m.ReceiptHandle})
			cancel()
			if err != nil {
				log.Printf("shop: queue %s: delete %d: %v (it will be delivered again, and applied as a no-op)", q.url, w.Seq, err)
			}
		}
		if refused {
			pause(ctx, q.retry)
		}
	}
	return nil
}

// Close has nothing to let go of.
func (q *sqsQueue) Close() error { return nil }
