// Package localapi is the local control plane's API: everything that
// crosses its unix socket, and the client that sends it.
//
// It holds the specs a caller declares and the objects the plane answers
// with (GroupSpec and Group, DatabaseSpec and Database, ...), their typed
// IDs (ServiceID, RegionID, ParameterID, ...: the one place an ID's
// "env/region/service" form is written and parsed), the errors the plane
// returns with their wire codes (one table, so that errors.Is matches the
// same sentinel on both sides of the socket), and one descriptor per
// resource kind (Kind) and per action on an object (Action). The generic
// client (Put, Get, Delete, Do) serves every kind and action through the
// same few paths: a new kind is a spec type, an object type and one Kind
// value here, and one registration in the server.
//
// It is not the server: internal/localcloud runs the processes and serves
// this API; this package imports no bulwark package and starts nothing.
package localapi
