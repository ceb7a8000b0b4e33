package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/bulwark-dev/bulwark/internal/clock"
)

// newSQS starts an SQS fake whose clock runs factor times as fast as the
// wall clock (the wall clock itself when factor is 0).
func newSQS(t *testing.T, factor float64) *SQS {
	t.Helper()
	f := NewSQS()
	if factor > 0 {
		f.Clock = clock.NewScaled(factor)
	}
	t.Cleanup(f.Close)
	return f
}

func sqsClient(f *SQS, region string) *sqs.Client {
	return sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String(f.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func createQueue(t *testing.T, cl *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := cl.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func queueArn(t *testing.T, cl *sqs.Client, url string) string {
	t.Helper()
	out, err := cl.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

func receive(t *testing.T, cl *sqs.Client, url string, wait int32) []sqstypes.Message {
	t.Helper()
	out, err := cl.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func TestSQSQueueURLsCarryRegionAndAccount(t *testing.T) {
	f := newSQS(t, 0)
	ctx, east, west := context.Background(), sqsClient(f, "us-east-1"), sqsClient(f, "us-west-2")
	url := createQueue(t, east, "writes", nil)
	if !strings.Contains(url, "sqs.us-east-1.") || !strings.HasSuffix(url, "/"+Account+"/writes") {
		t.Errorf("queue URL %s: want the region in its host and /<account>/<name> as its path", url)
	}
	if arn := queueArn(t, east, url); arn != "arn:aws:sqs:us-east-1:"+Account+":writes" {
		t.Errorf("QueueArn = %s", arn)
	}
	got, err := east.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("writes")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Errorf("GetQueueUrl = %v, %v; want %s", got, err, url)
	}
	// another region holds its own queues: the name and the URL are unknown there
	var missing *sqstypes.QueueDoesNotExist
	if _, err := west.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("writes")}); !errors.As(err, &missing) || code(err) != "AWS.SimpleQueueService.NonExistentQueue" || status(err) != 400 {
		t.Errorf("GetQueueUrl in another region: %v (code %q), want QueueDoesNotExist with the query code AWS.SimpleQueueService.NonExistentQueue (400)", err, code(err))
	}
	if _, err := west.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")}); !errors.As(err, &missing) {
		t.Errorf("SendMessage to another region's queue URL: %v, want QueueDoesNotExist", err)
	}
	// the same name and attributes again is the same queue; other attributes are refused
	if again := createQueue(t, east, "writes", nil); again != url {
		t.Errorf("CreateQueue again = %s, want %s", again, url)
	}
	var exists *sqstypes.QueueNameExists
	if _, err := east.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("writes"), Attributes: map[string]string{"VisibilityTimeout": "5"}}); !errors.As(err, &exists) || code(err) != "QueueAlreadyExists" {
		t.Errorf("CreateQueue with other attributes: %v, want QueueNameExists (QueueAlreadyExists)", err)
	}
	for _, bad := range []map[string]string{{"VisibilityTimeout": "43201"}, {"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:` + Account + `:nope","maxReceiveCount":3}`}} {
		if _, err := east.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad"), Attributes: bad}); code(err) != "InvalidAttributeValue" {
			t.Errorf("CreateQueue with %v: %v, want InvalidAttributeValue", bad, err)
		}
	}
	if _, err := east.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name")}); err == nil {
		t.Error("a queue name with a space was taken")
	}
}

// A received message is hidden for the visibility timeout, then visible
// again with its receive count one higher and a new receipt handle; an
// old handle deletes nothing; after maxReceiveCount receives the next one
// moves it to the dead-letter queue.
func TestSQSVisibilityTimeoutAndRedrive(t *testing.T) {
	f := newSQS(t, 20) // 10 s in half a second
	ctx, cl := context.Background(), sqsClient(f, "eu-west-1")
	dlq := createQueue(t, cl, "writes-dlq", nil)
	src := createQueue(t, cl, "writes", map[string]string{"VisibilityTimeout": "10",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + queueArn(t, cl, dlq) + `","maxReceiveCount":"2"}`})
	sent, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String(`{"seq":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	first := receive(t, cl, src, 0)
	if len(first) != 1 || aws.ToString(first[0].MessageId) != aws.ToString(sent.MessageId) || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive = %+v, want the message, received once", first)
	}
	if again := receive(t, cl, src, 0); len(again) != 0 {
		t.Fatalf("within the visibility timeout: %d messages, want none", len(again))
	}
	attrs, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(src), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("attributes in flight = %v, %v; want 0 visible, 1 not visible", attrs.Attributes, err)
	}
	sleepOn(t, f.Clock, 11*time.Second)
	second := receive(t, cl, src, 0)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" || aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Fatalf("after the visibility timeout = %+v, want the message again, received twice, with a new receipt handle", second)
	}
	// the first receive's handle is stale: the call succeeds, the message stays
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(src), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a stale handle: %v, want success", err)
	}
	if b := f.Bodies("eu-west-1", "writes"); len(b) != 1 {
		t.Fatalf("a stale handle deleted the message: %v left", b)
	}
	sleepOn(t, f.Clock, 11*time.Second)
	if third := receive(t, cl, src, 0); len(third) != 0 {
		t.Fatalf("a third receive over maxReceiveCount 2 = %+v, want none (moved)", third)
	}
	if b := f.Bodies("eu-west-1", "writes-dlq"); len(b) != 1 || b[0] != `{"seq":7}` {
		t.Fatalf("dead-letter queue holds %v, want the message", b)
	}
	moved := receive(t, cl, dlq, 0)
	if len(moved) != 1 || aws.ToString(moved[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("from the dead-letter queue = %+v, want the message with its ID", moved)
	}
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: moved[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if b := f.Bodies("eu-west-1", "writes-dlq"); len(b) != 0 {
		t.Errorf("after DeleteMessage with the latest handle: %v left", b)
	}
	var invalid *sqstypes.ReceiptHandleIsInvalid
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: aws.String("made-up")}); !errors.As(err, &invalid) || status(err) != 404 {
		t.Errorf("DeleteMessage with a made-up handle: %v, want ReceiptHandleIsInvalid (404)", err)
	}
}

// A long poll answers as soon as a message arrives, and empty at the end
// of its wait (on the fake's clock); WaitTimeSeconds is at most 20.
func TestSQSLongPoll(t *testing.T) {
	f := newSQS(t, 40) // 20 s in half a second
	ctx, cl := context.Background(), sqsClient(f, "us-east-1")
	url := createQueue(t, cl, "writes", nil)
	start := f.Clock.Now()
	if got := receive(t, cl, url, 20); len(got) != 0 {
		t.Fatalf("an empty queue answered %d messages", len(got))
	}
	if waited := clock.Since(f.Clock, start); waited < 19*time.Second || waited > 25*time.Second {
		t.Errorf("an empty long poll of 20 s took %s of the fake's time", waited)
	}
	go func() {
		time.Sleep(100 * time.Millisecond) // 4 s of the fake's time
		_, _ = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("hello")})
	}()
	start = f.Clock.Now()
	got := receive(t, cl, url, 20)
	if waited := clock.Since(f.Clock, start); len(got) != 1 || aws.ToString(got[0].Body) != "hello" || waited > 15*time.Second {
		t.Errorf("a long poll while a message is sent = %d messages after %s, want it well before the 20 s", len(got), waited)
	}
	if _, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21}); code(err) != "InvalidParameterValue" {
		t.Errorf("WaitTimeSeconds 21: %v, want InvalidParameterValue", err)
	}
	if _, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11}); code(err) != "InvalidParameterValue" {
		t.Errorf("MaxNumberOfMessages 11: %v, want InvalidParameterValue", err)
	}
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("bad \x01")}); code(err) != "InvalidMessageContents" {
		t.Errorf("a control character in a body: %v, want InvalidMessageContents", err)
	}
}

// Messages expire after the queue's retention period.
func TestSQSRetention(t *testing.T) {
	f := newSQS(t, 600) // a minute in 100 ms
	ctx, cl := context.Background(), sqsClient(f, "us-east-1")
	url := createQueue(t, cl, "writes", map[string]string{"MessageRetentionPeriod": "60"})
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("old")}); err != nil {
		t.Fatal(err)
	}
	sleepOn(t, f.Clock, 61*time.Second)
	attrs, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Errorf("after the retention period: %v, %v; want 0 messages", attrs.Attributes, err)
	}
	if _, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateAgeOfOldestMessage"}}); code(err) != "InvalidAttributeName" {
		t.Errorf("ApproximateAgeOfOldestMessage (a CloudWatch metric): %v, want InvalidAttributeName", err)
	}
}
