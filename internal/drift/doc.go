// Package drift reports how what runs differs from what the stacks'
// state records, from the engine's refresh in preview-only mode: per
// stack and resource, each property whose recorded value differs from the
// value read now, and each resource that is gone. It renders text, JSON
// and Markdown.
//
// It does not repair anything: `bulwark up --refresh` does. It does not
// compare with the code either; a change to the environment file is what
// `bulwark preview` shows.
package drift
