package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client talks to a control plane over its unix socket.
type Client struct {
	http *http.Client
}

// NewClient returns a client of the control plane listening at socket.
// It keeps up to 64 idle connections (the engine runs up to 32 steps at
// once on the local target; the default of 2 would redial most calls).
func NewClient(socket string) *Client {
	return &Client{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second,
	}}}
}

// Put creates or updates the object spec declares and returns it (once it
// is ready: a group healthy, a balancer listening, a database answering).
func Put[I ID, S, O any](ctx context.Context, c *Client, k Kind[I, S, O], spec S) (O, error) {
	var o O
	return o, c.do(ctx, http.MethodPut, k.Path(k.ID(spec)), spec, &o)
}

// Get returns an object; errors.Is(err, ErrNotFound) when the plane holds none.
func Get[I ID, S, O any](ctx context.Context, c *Client, k Kind[I, S, O], id I) (O, error) {
	var o O
	return o, c.do(ctx, http.MethodGet, k.Path(id), nil, &o)
}

// Delete removes an object; errors.Is(err, ErrNotFound) when the plane holds none.
func Delete[I ID, S, O any](ctx context.Context, c *Client, k Kind[I, S, O], id I) error {
	return c.do(ctx, http.MethodDelete, k.Path(id), nil, nil)
}

// Do runs an action on the object id.
func Do[I ID, In, Out any](ctx context.Context, c *Client, a Action[I, In, Out], id I, in In) (Out, error) {
	var out Out
	return out, c.do(ctx, http.MethodPost, a.Path(id), in, &out)
}

// Status returns everything the plane holds.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	return s, c.do(ctx, http.MethodGet, StatusPath, nil, &s)
}

// Version returns the running plane's API version and build (0 and "" for
// a plane that predates versioning, or none).
func (c *Client) Version(ctx context.Context) (int, string) {
	var v Version
	if c.do(ctx, http.MethodGet, VersionPath, nil, &v) != nil {
		return 0, ""
	}
	return v.API, v.Build
}

// Shutdown asks the plane to stop its processes and exit.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, ShutdownPath, nil, nil)
}

// The plane's own paths, beside the kinds' and actions'.
const (
	StatusPath   = "/v1/status"
	VersionPath  = "/v1/version"
	ShutdownPath = "/v1/shutdown"
)

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("local control plane: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://plane"+path, rd)
	if err != nil {
		return fmt.Errorf("local control plane: %s %s: %w", method, path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("local control plane: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var f Failure
		if json.Unmarshal(b, &f) != nil || f.Message == "" {
			return fmt.Errorf("local control plane: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
		}
		if err := f.Err(); err != nil {
			return err
		}
		return fmt.Errorf("local control plane: %s %s: %s", method, path, f.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("local control plane: %s %s: %w", method, path, err)
	}
	return nil
}
