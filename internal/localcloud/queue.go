package localcloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// A write queue is one NATS server (Debian's nats-server) with JetStream
// per service and region, listening on the region's QueueAddress at the
// service's port and nowhere else (no monitoring port, no cluster), its
// file store in the queue's folder. The plane creates (or updates) its
// stream and the durable pull consumer the service's instances share
// (contract.QueueConsumer) once it listens.
//
// NATS with JetStream rather than RabbitMQ: one static binary started with
// a handful of flags, no Erlang runtime or cookie, a file store that
// survives a restart, a work-queue stream that removes a write once it is
// acknowledged, and a dedup window on the message ID (Nats-Msg-Id) that
// makes a retried publish of the same write id harmless.
//
// Like a load balancer, a queue's server is managed, not supervised: one
// that dies stays down (the service's writes fail over to its database or
// fail) until the next Put.

// queueAckWait is how long the consumer waits for an instance to
// acknowledge a delivered write before delivering it again.
const queueAckWait = 5 * time.Second

// queueDuplicates is the stream's window for de-duplicating publishes by
// their message ID.
const queueDuplicates = 2 * time.Minute

// queueRunner runs one write queue's nats-server.
type queueRunner struct {
	p      *Plane
	region localapi.Region
	managed

	spec localapi.QueueSpec
	args string // the command line it runs with (\x00-separated)
}

func (p *Plane) queueName(id localapi.ServiceID) string { return "queue/" + id.String() }

func (p *Plane) queueDir(spec localapi.QueueSpec) string {
	return filepath.Join(p.dir, "queues", spec.Env, spec.Region, spec.Service)
}

// streamName is what a JetStream stream (and subject) may be called here:
// letters, digits, - and _ (contract.QueueStreamName's).
var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// checkQueueSpec says why a queue cannot be run (nil when it can), as an
// ErrBadRequest: its names make its folder and the server's name, its
// stream a subject.
func checkQueueSpec(spec localapi.QueueSpec) error {
	for _, n := range []struct{ what, value string }{{"environment", spec.Env}, {"region", spec.Region}, {"service", spec.Service}} {
		if err := contract.CheckName(n.value); err != nil {
			return fmt.Errorf("%w: write queue %q: %s: %w", localapi.ErrBadRequest, spec.ID().String(), n.what, err)
		}
	}
	switch {
	case !streamName.MatchString(spec.Stream):
		return fmt.Errorf("%w: write queue %s: the stream's name is 1-200 letters, digits, - and _, not %q", localapi.ErrBadRequest, spec.ID(), spec.Stream)
	case spec.Port < 1 || spec.Port > 65535:
		return fmt.Errorf("%w: write queue %s: port %d is not between 1 and 65535", localapi.ErrBadRequest, spec.ID(), spec.Port)
	case spec.Keep < 0:
		return fmt.Errorf("%w: write queue %s: keep %s is negative", localapi.ErrBadRequest, spec.ID(), spec.Keep)
	case spec.MaxReceives < 0:
		return fmt.Errorf("%w: write queue %s: max receives %d is negative", localapi.ErrBadRequest, spec.ID(), spec.MaxReceives)
	}
	return nil
}

// lookProgram finds a Debian program on PATH or, as PATH may lack the
// sbin folders, in /usr/sbin.
func lookProgram(name, what, pkg string) (string, error) {
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	if path := filepath.Join("/usr/sbin", name); executable(path) {
		return path, nil
	}
	return "", fmt.Errorf("%s: %s: %w (apt-get install %s)", what, name, localapi.ErrMissingProgram, pkg)
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// PutQueue creates, updates or restarts a write queue, and returns once
// its server listens and holds the stream and its consumer as the spec
// says.
func (p *Plane) PutQueue(ctx context.Context, spec localapi.QueueSpec) (localapi.Queue, error) {
	if err := checkQueueSpec(spec); err != nil {
		return localapi.Queue{}, err
	}
	bin, err := lookProgram("nats-server", "write queue "+spec.ID().String(), "nats-server")
	if err != nil {
		return localapi.Queue{}, err
	}
	region, err := p.regionOf(spec.ID().RegionID())
	if err != nil {
		return localapi.Queue{}, err
	}
	q, _, err := register(p, p.queues, p.state.Queues, spec.ID(), spec, func() *queueRunner {
		return &queueRunner{p: p, region: region}
	})
	if err != nil {
		return localapi.Queue{}, err
	}
	p.refreshDegrade()
	if err := q.apply(bin, spec); err != nil {
		return q.status(), err
	}
	addr := q.address()
	err = waitListening(ctx, "write queue "+spec.ID().String(), addr, func() bool { return q.status().Running },
		filepath.Join(p.queueDir(spec), "nats.log"))
	if err != nil {
		return q.status(), err
	}
	var last error
	err = waitFor(ctx, "write queue "+spec.ID().String()+": stream "+spec.Stream, func() (bool, error) {
		last = q.ensureStream(ctx, spec)
		// the server's refusal (a change a stream cannot take) is final;
		// one not up yet, or not ready (503), is tried again
		var refused *jetstream.APIError
		if last != nil && (!q.status().Running || errors.As(last, &refused) && refused.Code != 503) {
			return false, fmt.Errorf("write queue %s: %w", spec.ID(), last)
		}
		return last == nil, nil
	})
	if errors.Is(err, localapi.ErrNotReady) && last != nil {
		err = fmt.Errorf("%w (%v)", err, last)
	}
	return q.status(), err
}

func (q *queueRunner) address() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return net.JoinHostPort(q.region.QueueAddress(), strconv.Itoa(q.spec.Port))
}

// apply (re)starts the server when it does not run or runs with other
// flags (another port).
func (q *queueRunner) apply(bin string, spec localapi.QueueSpec) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	dir := q.p.queueDir(spec)
	store := filepath.Join(dir, "store")
	if err := os.MkdirAll(store, 0o700); err != nil {
		return err
	}
	host, port := q.region.QueueAddress(), strconv.Itoa(spec.Port)
	args := []string{
		"--addr", host, "--port", port,
		"--server_name", "bulwark-" + strings.ReplaceAll(spec.ID().String(), "/", "-"),
		"--jetstream", "--store_dir", store,
	}
	joined := strings.Join(args, "\x00")
	argsPath := filepath.Join(dir, "nats.args")
	if q.proc == nil {
		q.adoptRecorded(q.p, q.p.queueName(spec.ID()), "nats-server", syscall.SIGTERM)
		if old, err := os.ReadFile(argsPath); err == nil && q.proc != nil {
			q.args = string(old)
		}
	}
	q.spec = spec
	if q.proc.running() && joined == q.args {
		return nil
	}
	if q.proc.running() {
		_ = q.proc.stop(10 * time.Second) // another address: NATS binds one at start
	}
	if err := portFree(host, port); err != nil {
		return fmt.Errorf("write queue %s: %w", spec.ID(), err)
	}
	if err := os.WriteFile(argsPath, []byte(joined), 0o600); err != nil {
		return err
	}
	proc, err := spawn(exec.Command(bin, args...), filepath.Join(dir, "nats.log"), q.p.placement(spec.Env, spec.Region))
	if err != nil {
		return fmt.Errorf("write queue %s: %w", spec.ID(), err)
	}
	q.proc, q.args = proc, joined
	q.p.setPID(q.p.queueName(spec.ID()), proc.PID)
	return nil
}

// connect opens a client connection to the queue's server (the plane's
// own, for its administration), failing fast.
func (q *queueRunner) connect(ctx context.Context) (*nats.Conn, jetstream.JetStream, error) {
	timeout := 2 * time.Second
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), 10*time.Millisecond)
	}
	nc, err := nats.Connect("nats://"+q.address(), nats.Timeout(timeout), nats.NoReconnect(), nats.Name("bulwark control plane"))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// streamConfig is the stream a queue's spec asks for: a work queue (a
// write is removed once acknowledged) on disk, kept for Keep, publishes
// with the same message ID taken once within the dedup window.
func streamConfig(spec localapi.QueueSpec) jetstream.StreamConfig {
	dup := queueDuplicates
	if spec.Keep > 0 && spec.Keep < dup {
		dup = spec.Keep // NATS wants the window within the max age
	}
	return jetstream.StreamConfig{
		Name: spec.Stream, Subjects: []string{spec.Stream},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		MaxAge: spec.Keep, Duplicates: dup,
	}
}

// consumerConfig is the durable pull consumer the service's instances
// share: each write acknowledged explicitly, redelivered after
// queueAckWait, given up after MaxReceives deliveries (0: never).
func consumerConfig(spec localapi.QueueSpec) jetstream.ConsumerConfig {
	maxDeliver := spec.MaxReceives
	if maxDeliver == 0 {
		maxDeliver = -1
	}
	return jetstream.ConsumerConfig{
		Durable: contract.QueueConsumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: queueAckWait, MaxDeliver: maxDeliver,
	}
}

// ensureStream creates or updates the stream and its consumer.
func (q *queueRunner) ensureStream(ctx context.Context, spec localapi.QueueSpec) error {
	nc, js, err := q.connect(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(actx, streamConfig(spec)); err != nil {
		return fmt.Errorf("stream %s: %w", spec.Stream, err)
	}
	if _, err := js.CreateOrUpdateConsumer(actx, spec.Stream, consumerConfig(spec)); err != nil {
		return fmt.Errorf("stream %s: consumer %s: %w", spec.Stream, contract.QueueConsumer, err)
	}
	return nil
}

func (q *queueRunner) status() localapi.Queue {
	pid, running := q.pid()
	q.mu.Lock()
	defer q.mu.Unlock()
	return localapi.Queue{QueueSpec: q.spec, PID: pid, Running: running,
		URL: "nats://" + net.JoinHostPort(q.region.QueueAddress(), strconv.Itoa(q.spec.Port))}
}

// GetQueue returns a write queue's status (Running false when it died).
func (p *Plane) GetQueue(_ context.Context, id localapi.ServiceID) (localapi.Queue, error) {
	q, err := lookup(p, p.queues, "write queue", id)
	if err != nil {
		return localapi.Queue{}, err
	}
	return q.status(), nil
}

// DeleteQueue stops the queue's server and removes it with its data: the
// writes it still holds are gone.
func (p *Plane) DeleteQueue(_ context.Context, id localapi.ServiceID) error {
	q, spec, ok, err := forget(p, p.queues, p.state.Queues, id)
	if ok {
		q.stop(10 * time.Second)
		p.setPID(p.queueName(id), 0)
		_ = os.RemoveAll(p.queueDir(spec))
		p.refreshDegrade()
	}
	return err
}

// QueueStats reads what a write queue holds: the writes not yet
// acknowledged and the oldest one's age, from the stream; the deliveries
// to the consumer, redeliveries included, from the consumer. Acked counts
// the writes the stream no longer holds (a work queue removes a write when
// it is acknowledged; one older than Keep is removed too, and counted).
func (p *Plane) QueueStats(ctx context.Context, id localapi.ServiceID) (localapi.QueueStats, error) {
	q, err := lookup(p, p.queues, "write queue", id)
	if err != nil {
		return localapi.QueueStats{}, err
	}
	st := q.status()
	if !st.Running {
		return localapi.QueueStats{}, fmt.Errorf("write queue %s does not run: %w", id, localapi.ErrNotReady)
	}
	nc, js, err := q.connect(ctx)
	if err != nil {
		return localapi.QueueStats{}, fmt.Errorf("write queue %s: %w: %v", id, localapi.ErrNotReady, err)
	}
	defer nc.Close()
	stream, err := js.Stream(ctx, st.Stream)
	if err != nil {
		return localapi.QueueStats{}, fmt.Errorf("write queue %s: stream %s: %w", id, st.Stream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return localapi.QueueStats{}, fmt.Errorf("write queue %s: stream %s: %w", id, st.Stream, err)
	}
	var out localapi.QueueStats
	out.Messages = info.State.Msgs
	if out.Messages > 0 && !info.State.FirstTime.IsZero() {
		out.OldestAge = max(time.Since(info.State.FirstTime), 0)
	}
	if info.State.LastSeq >= info.State.Msgs {
		out.Acked = info.State.LastSeq - info.State.Msgs
	}
	c, err := stream.Consumer(ctx, contract.QueueConsumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("write queue %s: consumer %s: %w", id, contract.QueueConsumer, err)
	}
	ci, err := c.Info(ctx)
	if err != nil {
		return out, fmt.Errorf("write queue %s: consumer %s: %w", id, contract.QueueConsumer, err)
	}
	out.Delivered = ci.Delivered.Consumer
	return out, nil
}

// abandonQueue stops a lost region's write queue and forgets it; the
// writes it still held (queued there, never drained) are kept aside, as a
// former primary's data is.
func (p *Plane) abandonQueue(id localapi.ServiceID) (string, error) {
	q, spec, ok, err := forget(p, p.queues, p.state.Queues, id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "write queue " + id.String() + " was gone already", nil
	}
	q.stop(10 * time.Second)
	p.setPID(p.queueName(id), 0)
	p.refreshDegrade()
	dir := p.queueDir(spec)
	if _, err := os.Stat(filepath.Join(dir, "store")); err != nil {
		_ = os.RemoveAll(dir)
		return "write queue " + id.String() + " removed", nil
	}
	aside := fmt.Sprintf("%s.abandoned-%s", dir, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("write queue %s: keep its writes aside: %w", id, err)
	}
	return fmt.Sprintf("write queue %s removed; the writes it held are kept in %s", id, aside), nil
}
