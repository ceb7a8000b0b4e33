package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Queued writes: when the database cannot take a write, the service
// publishes it to its region's durable write queue and acknowledges it
// (202, QueuedHeader); a consumer in every instance drains the queue into
// the database once it takes writes again. A write is applied exactly once
// per seq: the queue may deliver it more than once (a redelivery after a
// lost acknowledgement, a publish retried), and the table's primary key
// makes every application after the first a no-op. The consumer
// acknowledges a write only once the database committed it, so a crash
// between the two redelivers it rather than losing it.
//
// Queue is the broker seen from the service, the same on every target:
// NATS JetStream on the local target (queue_nats.go), SQS on aws
// (queue_sqs.go).
type Queue interface {
	// Publish queues a write; it returns once the broker holds it durably
	// (JetStream's PubAck, SQS's SendMessage answer).
	Publish(ctx context.Context, w QueuedWrite) error
	// Drain receives queued writes and gives each to apply, acknowledging
	// it only when apply returned nil and leaving it to be delivered again
	// otherwise, until ctx is done; it returns nil then. It asks ready
	// before each receive and receives nothing while ready fails: every
	// receive counts toward the queue's max_receives (JetStream's
	// MaxDeliver, SQS's maxReceiveCount), and a database that is down
	// must not spend them, else a write queued during an outage longer
	// than max_receives tries is given up (dead-lettered) instead of
	// written.
	Drain(ctx context.Context, ready func(context.Context) error, apply func(context.Context, QueuedWrite) error) error
	// Close lets go of the broker.
	Close() error
}

// QueuedWrite is a write on the queue: its seq (the deduplication ID),
// the instance that took it, and when.
type QueuedWrite struct {
	Seq      int64     `json:"seq"`
	Writer   string    `json:"writer"`
	QueuedAt time.Time `json:"queued_at"`
}

func (w QueuedWrite) encode() []byte {
	b, _ := json.Marshal(w)
	return b
}

func decodeWrite(b []byte) (QueuedWrite, error) {
	var w QueuedWrite
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("a queued write that is not one: %w", err)
	}
	if w.Seq < 0 {
		return w, fmt.Errorf("a queued write of seq %d", w.Seq)
	}
	return w, nil
}

// The write path's and the consumer's budgets.
const (
	// queuedWriteTimeout is how long POST /writes gives the database when
	// a queue stands behind it: a second (a healthy primary commits in
	// milliseconds; a dead one would otherwise hold the caller for the
	// connection's timeout), then the write goes to the queue.
	queuedWriteTimeout = time.Second
	// directWriteTimeout is the database's budget without a queue.
	directWriteTimeout = 5 * time.Second
	// publishTimeout bounds the publish (and its acknowledgement).
	publishTimeout = 3 * time.Second
	// drainWriteTimeout bounds one queued write's application.
	drainWriteTimeout = 5 * time.Second
	// drainBatch, drainWait: the consumer takes up to 10 writes at a
	// time, waiting at most drainWait for one (JetStream), so it notices
	// a shutdown within that.
	drainBatch = 10
	drainWait  = 2 * time.Second
	// retryDelay is how long a write the database refused waits before it
	// is delivered again (JetStream's Nak delay), and how long the
	// consumer pauses after the broker failed it.
	retryDelay = 2 * time.Second
)

// pause waits d or until ctx is done.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
