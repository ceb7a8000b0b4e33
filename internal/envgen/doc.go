// Package envgen writes synthetic environment files of a chosen size
// (regions x services) into a scratch bulwark project, for benchmarks and
// scale tests. The files are ordinary, valid environments.
//
// It is not a template system for users' environments.
package envgen
