// Package hostile holds the strings that tests feed through every field
// that ends up in another program's configuration (HAProxy, PowerDNS LUA
// records and zone files, Prometheus, PostgreSQL, pgBackRest, shells): what
// a careless or hostile author of an environment file, or a caller of the
// control plane that checked nothing, could write. It is test data, shared
// so that the loader's checks and the control plane's are tried with the
// same list; it checks nothing itself.
package hostile
