// Package project finds a bulwark project on disk and the files it names: the
// project root (the folder holding Pulumi.yaml), an environment file from the
// --env flag, the images folder, and the user's state directory.
//
// It does not parse environments (internal/topology does) or talk to Pulumi
// (internal/engine does).
package project
