package plan

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// entropy is the mocks' deterministic stand-in for what AWS and the
// providers generate at random (IDs, name suffixes, DNS labels): a stream
// of bytes derived from a seed, so that a plan is byte-identical across
// runs while every resource, region and purpose gets its own values.
type entropy struct {
	seed    []byte
	counter uint64
	buf     []byte
}

func newEntropy(parts ...string) *entropy {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &entropy{seed: h.Sum(nil)}
}

func (e *entropy) byte() byte {
	if len(e.buf) == 0 {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], e.counter)
		e.counter++
		sum := sha256.Sum256(append(append([]byte{}, e.seed...), n[:]...))
		e.buf = sum[:]
	}
	b := e.buf[0]
	e.buf = e.buf[1:]
	return b
}

// from draws n characters of charset, evenly (rejection sampling).
func (e *entropy) from(charset string, n int) string {
	out := make([]byte, n)
	limit := 256 - 256%len(charset)
	for i := range out {
		b := int(e.byte())
		for b >= limit {
			b = int(e.byte())
		}
		out[i] = charset[b%len(charset)]
	}
	return string(out)
}

const (
	lowerHex    = "0123456789abcdef"
	digits      = "0123456789"
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum  = "abcdefghijklmnopqrstuvwxyz0123456789"
	mixedAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerLetter = "abcdefghijklmnopqrstuvwxyz"
)

func (e *entropy) hex(n int) string { return e.from(lowerHex, n) }

// uuid is a version-4 shaped UUID.
func (e *entropy) uuid() string {
	h := e.hex(32)
	return fmt.Sprintf("%s-%s-4%s-%c%s-%s", h[0:8], h[8:12], h[13:16], "89ab"[int(e.byte())%4], h[17:20], h[20:32])
}

// terraformSuffix is what Terraform's id.PrefixedUniqueId appends to a
// name_prefix: a timestamp to the 1/10000 second and an 8-hex-digit
// counter, 26 characters
// (terraform-plugin-sdk helper/id: UniqueIDSuffixLength = 26).
func (e *entropy) terraformSuffix() string {
	return "2026" + e.from(digits, 14) + e.hex(8)
}
