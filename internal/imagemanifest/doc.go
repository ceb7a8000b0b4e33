// Package imagemanifest reads and writes an image's manifest
// (images/<name>/manifest.json): the exact machine image ID of every AWS
// region, all copies of one build, recorded in the repository so that a
// change of image is reviewed in a pull request and a deploy never looks up
// "the latest" image.
//
// It does not talk to AWS: promoting an image into regions (CopyImage) and
// verifying the copies are bulwark's images commands; this package is the
// record they keep.
package imagemanifest
