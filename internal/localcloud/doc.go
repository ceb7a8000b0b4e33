// Package localcloud is the local target's control plane: the long-running
// owner of every process an environment deployed on this machine runs —
// service instances, HAProxy load balancers, PostgreSQL, PowerDNS,
// Prometheus, and the parts that let a service degrade gracefully: NATS
// write queues, nginx caches, Toxiproxy links — bound to loopback
// addresses only.
//
// The Pulumi engine starts and stops provider plugins per operation, so the
// plugin (cmd/pulumi-resource-bulwark) holds no processes: it asks the
// control plane, over a unix socket, to create, read, update and delete
// objects. The control plane (`bulwark local serve`, started on demand,
// detached, one per state directory) persists the desired objects on disk,
// supervises instances (replacing one that exits or fails its health checks,
// like an autoscaling group), and serves status.
//
// Its state is one file, written whole, synced and renamed into place; a
// put answers only once its change is in it. Concurrent changes share a
// write (group commit, statefile.go), so an up's 1,200 parameters cost
// tens of writes rather than one each. An instance is probed every 100 ms
// from its start until it first passes its health check (then at its
// group's interval), so a group answers its put as soon as it is healthy;
// failures are counted at the interval only, as before. An image's file is
// hashed once per version of it (imagecheck.go), not at every check.
//
// What crosses the socket is package localapi: the specs and objects,
// their typed IDs, the errors with their wire codes, and the generic
// client. This package is the server: each kind is registered once, with
// the Plane's put, get and delete of it (Plane.kinds in api.go), and the
// actions that are not CRUD (drills' faults, failover steps) in one table
// (Plane.actions); one route serves them all. Dial returns a client.
//
// Address plan: region R of the machine has 127.0.R.0/24; its load balancers
// listen on 127.0.R.1, its database members on .2 (a restore copy on .3),
// the balancers' metrics on .4, its write queues (queue.go) on .5, its
// caches (cache.go) on .6, its links to the services it calls (link.go)
// on .7 (their Toxiproxy API at port 8474), each at its service's port;
// instance slot i of a group on 127.0.R.(100+i). A
// replaced instance takes its slot again, so a load balancer's backends change
// only when capacity does.
//
// Every process starts in a cgroup v2 group of its region, so a region can
// be partitioned (PartitionRegion): an nftables table drops what crosses the
// region's border while its processes keep running; the control plane's
// own group passes, as a cloud's API reaches a region out of band.
//
// Load balancers are managed infrastructure, not supervised: one killed by
// hand stays down and shows as drift on refresh, until `up` recreates it.
// So are write queues, caches and the links' servers.
//
// Instances find their region's write queue and links in the runtime
// contract (degradeenv.go): the queue's keys when their group writes
// through one the plane holds, and their dependencies with each URL the
// region's link to it; a queue or link that comes or goes rolls them.
//
// Databases authenticate (dbauth.go): over TCP every role proves its
// password with SCRAM-SHA-256 — the service's application role (the
// password the deploy generated, handed to instances as the runtime
// contract's credentials), the replication role replicas clone and stream
// as, the monitoring role of the postgres exporter — and the superuser
// comes in only through the member's own unix socket, as the plane's OS
// user or the server's (peer). The passwords live in one file per
// database readable by the plane's user only, never in its state.
//
// Secret parameters (secretstore.go) are sealed with AES-256-GCM under a
// key of the plane's own (secret.key, 0600, created once) before they are
// stored; a read answers without the value, and only an instance's start
// opens it, into that instance's environment.
//
// It is not a general process manager, and it never binds outside
// 127.0.0.0/8. It does not define the API's types (localapi does).
package localcloud
