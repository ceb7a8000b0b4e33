package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
	"github.com/bulwark-dev/bulwark/internal/contract"
)

// The SQS consumer against the SQS fake: writes queued while the
// database is down are deleted only once applied, applied once each, and
// a message that is no write moves to the dead-letter queue after the
// redrive policy's maxReceiveCount.
func TestSQSQueueDrainsWritesAndRedrivesPoison(t *testing.T) {
	fake := awsfake.NewSQS()
	fake.Clock = clock.NewScaled(10) // the 5 s visibility timeout in half a second
	t.Cleanup(fake.Close)
	const region = "eu-west-1"
	cl := sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String(fake.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""), RetryMaxAttempts: 1})
	ctx := context.Background()
	name := contract.QueueStreamName("prod", "shop")
	dlq, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "5",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, attrs.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := regionOf(aws.ToString(src.QueueUrl)); r != region {
		t.Errorf("region of the queue URL %s = %q, want %s", aws.ToString(src.QueueUrl), r, region)
	}
	queue := &sqsQueue{client: cl, url: aws.ToString(src.QueueUrl), wait: 2, retry: 50 * time.Millisecond}
	store := newCountingStore()
	store.setDown(true)
	h := NewHandler(Config{Region: region, Instance: "i-1", Queue: queue}, store)
	const n = 12
	for seq := range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, fmt.Sprintf("/writes?seq=%d", seq), nil))
		if rec.Code != http.StatusAccepted || rec.Header().Get(contract.QueuedHeader) != "true" {
			t.Fatalf("write %d while the database is down = %d %s, want 202 queued", seq, rec.Code, rec.Body.String())
		}
	}
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("not a write")}); err != nil {
		t.Fatal(err)
	}

	drainCtx, stop := context.WithCancel(ctx)
	drained := make(chan error, 1)
	go func() { drained <- h.Drain(drainCtx) }()
	waitFor(t, 10*time.Second, "a write refused twice (visible again after the visibility timeout)", func() bool {
		_, refused := store.counts()
		for _, c := range refused {
			if c >= 2 {
				return true
			}
		}
		return false
	})
	if applied, _ := store.counts(); len(applied) != 0 {
		t.Fatalf("applied %v while the database was down", applied)
	}
	store.setDown(false)
	waitFor(t, 15*time.Second, "every write applied and the poison message in the dead-letter queue", func() bool {
		applied, _ := store.counts()
		return len(applied) == n && len(fake.Bodies(region, name)) == 0 && len(fake.Bodies(region, name+"-dlq")) == 1
	})
	if got := fake.Bodies(region, name+"-dlq"); got[0] != "not a write" {
		t.Errorf("dead-letter queue holds %v, want the poison message only", got)
	}
	applied, _ := store.counts()
	for seq := range int64(n) {
		if applied[seq] != 1 {
			t.Errorf("seq %d applied %d times, want once", seq, applied[seq])
		}
	}
	stop()
	select {
	case err := <-drained:
		if err != nil {
			t.Errorf("Drain: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Error("Drain did not stop with its context")
	}
}
