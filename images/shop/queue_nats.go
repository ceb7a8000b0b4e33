package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// natsQueue is the write queue on NATS JetStream: a stream whose subject
// is its name, and the durable pull consumer contract.QueueConsumer
// ("drain") that the region's instances share. The control plane creates
// both (work-queue retention, file storage, a duplicate window); the
// service only binds to them.
type natsQueue struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string
	// retry is how long a refused write waits before redelivery.
	retry time.Duration
}

var _ Queue = (*natsQueue)(nil)

// openNATS connects to the broker; a broker that is down is retried in
// the background (publishes fail until it is back).
func openNATS(url, stream, name string) (*natsQueue, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &natsQueue{nc: nc, js: js, stream: stream, retry: retryDelay}, nil
}

// Publish publishes the write on the stream's subject with its seq as
// Nats-Msg-Id, so that JetStream keeps one of two publishes of a seq
// within the stream's duplicate window, and waits for the PubAck.
func (q *natsQueue) Publish(ctx context.Context, w QueuedWrite) error {
	_, err := q.js.Publish(ctx, q.stream, w.encode(), jetstream.WithMsgID(strconv.FormatInt(w.Seq, 10)),
		jetstream.WithExpectStream(q.stream))
	if err != nil {
		return fmt.Errorf("publish to %s: %w", q.stream, err)
	}
	return nil
}

// Drain binds the durable consumer and fetches writes in batches: a
// write applied is acknowledged (Ack, after the commit); a write the
// database refused is negatively acknowledged with a delay (NakWithDelay),
// and so is the rest of its batch, untried, since the database is likely
// down for them too; a message that is no write is terminated (Term).
func (q *natsQueue) Drain(ctx context.Context, ready func(context.Context) error, apply func(context.Context, QueuedWrite) error) error {
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if err := ready(ctx); err != nil {
			pause(ctx, q.retry)
			continue
		}
		if cons == nil {
			bind, cancel := context.WithTimeout(ctx, drainWait)
			c, err := q.js.Consumer(bind, q.stream, contract.QueueConsumer)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					log.Printf("shop: queue %s: consumer %s: %v", q.stream, contract.QueueConsumer, err)
					pause(ctx, q.retry)
				}
				continue
			}
			cons = c
		}
		batch, err := cons.Fetch(drainBatch, jetstream.FetchMaxWait(drainWait))
		if err != nil {
			if ctx.Err() == nil {
				log.Printf("shop: queue %s: fetch: %v", q.stream, err)
				cons = nil // bind again: the consumer may have been made anew
				pause(ctx, q.retry)
			}
			continue
		}
		refused := false
		for msg := range batch.Messages() {
			if refused {
				_ = msg.NakWithDelay(q.retry)
				continue
			}
			w, err := decodeWrite(msg.Data())
			if err != nil {
				log.Printf("shop: queue %s: %v", q.stream, err)
				_ = msg.Term()
				continue
			}
			if err := apply(ctx, w); err != nil {
				refused = true
				_ = msg.NakWithDelay(q.retry)
				continue
			}
			if err := msg.Ack(); err != nil {
				log.Printf("shop: queue %s: ack %d: %v (it will be delivered again, and applied as a no-op)", q.stream, w.Seq, err)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			log.Printf("shop: queue %s: batch: %v", q.stream, err)
		}
		if refused {
			pause(ctx, q.retry)
		}
	}
	return nil
}

// Close drops the connection.
func (q *natsQueue) Close() error {
	q.nc.Close()
	return nil
}
