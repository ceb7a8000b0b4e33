// Package awsprices is the dated extract of AWS Price List offer files
// that bulwark ships (README.md in this folder says where it came from and
// when), embedded in the binary: an environment that names no `prices`
// folder, in a project without its own pricing/aws, is priced from it. It
// is data only, not a reader (internal/pricing reads it) and not a
// price list of every AWS service or region: only what bulwark's bill asks.
package awsprices
