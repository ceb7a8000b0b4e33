package localapi

import (
	"fmt"
	"time"
)

// The addresses of a region's degradation parts, beside its balancers
// (.1), database (.2), restore copy (.3) and metrics (.4).

// QueueAddress is where the region's write queues (NATS) listen, each at
// its service's port.
func (r Region) QueueAddress() string { return fmt.Sprintf("127.0.%d.5", r.Index) }

// CacheAddress is where the region's caches (nginx) listen, each at its
// service's port.
func (r Region) CacheAddress() string { return fmt.Sprintf("127.0.%d.6", r.Index) }

// LinkAddress is where the region's links to the services it calls
// (Toxiproxy) listen, each at the called service's port; the Toxiproxy
// API answers there at LinkAPIPort.
func (r Region) LinkAddress() string { return fmt.Sprintf("127.0.%d.7", r.Index) }

// LinkAPIPort is the port of a region's Toxiproxy API, on LinkAddress.
const LinkAPIPort = 8474

// QueueSpec is a service's write queue in one region: a NATS server with
// JetStream, holding the stream Stream (whose subject is the same name).
type QueueSpec struct {
	Env     string `json:"env"`
	Region  string `json:"region"`
	Service string `json:"service"`
	Port    int    `json:"port"`
	Stream  string `json:"stream"`
	// Keep is how long a queued write is kept (the stream's max age).
	Keep time.Duration `json:"keep"`
	// MaxReceives is how often a write is delivered before the consumer
	// gives it up (the consumer's max deliver).
	MaxReceives int `json:"max_receives"`
}

// ID is env/region/service, as its group's.
func (s QueueSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

// Queue is a write queue's spec and its process.
type Queue struct {
	QueueSpec
	URL     string `json:"url"` // nats://host:port
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
}

// QueueStats are what a write queue holds now.
type QueueStats struct {
	// Messages are the queued writes not yet acknowledged.
	Messages uint64 `json:"messages"`
	// OldestAge is the age of the oldest of them (0 when none).
	OldestAge time.Duration `json:"oldest_age"`
	// Delivered counts deliveries to the consumer, redeliveries included;
	// Acked those it acknowledged.
	Delivered uint64 `json:"delivered"`
	Acked     uint64 `json:"acked"`
}

// CacheSpec is a cache (nginx) in front of a service's load balancers in
// one region: the paths Paths are cached for TTL and served stale for
// StaleFor while the origins fail; every other path passes through. The
// origins are the balancers of the regions Origins names, the first the
// primary and the others its backups (CloudFront's origin group).
type CacheSpec struct {
	Env      string        `json:"env"`
	Region   string        `json:"region"`
	Service  string        `json:"service"`
	Port     int           `json:"port"`
	Paths    []string      `json:"paths"`
	TTL      time.Duration `json:"ttl"`
	StaleFor time.Duration `json:"stale_for"`
	Origins  []string      `json:"origins"`
}

// ID is env/region/service, as its group's.
func (s CacheSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Service} }

// Cache is a cache's spec and its process.
type Cache struct {
	CacheSpec
	Address string `json:"address"` // host:port it listens on
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
	// OriginAddresses are the balancers it proxies to, in Origins' order.
	OriginAddresses []string `json:"origin_addresses"`
}

// LinkSpec is a region's link to a service it calls (Callee): a
// Toxiproxy proxy on the region's LinkAddress, at the callee's port, to
// the callee's balancer in the region Upstream (the caller's own region
// when the callee runs there, else the callee's nearest). Callers reach
// the callee through it, so a drill can slow it or cut it.
type LinkSpec struct {
	Env      string `json:"env"`
	Region   string `json:"region"`
	Callee   string `json:"callee"`
	Port     int    `json:"port"`
	Upstream string `json:"upstream"`
}

// ID is env/region/callee.
func (s LinkSpec) ID() ServiceID { return ServiceID{s.Env, s.Region, s.Callee} }

// Link is a link's spec, where it listens and what it reaches.
type Link struct {
	LinkSpec
	Address         string `json:"address"`          // host:port callers use
	UpstreamAddress string `json:"upstream_address"` // the callee's balancer
	// PID is the region's Toxiproxy server's.
	PID     int       `json:"pid"`
	Running bool      `json:"running"`
	Fault   LinkFault `json:"fault"`
}

// LinkFault is what a drill does to a link: Down cuts it (connections
// refused); Latency and Jitter delay every chunk of data each way (the
// added delay is Latency ± Jitter). The zero LinkFault heals it.
type LinkFault struct {
	Down    bool          `json:"down"`
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter"`
}
