package receipt

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-dev/bulwark/internal/engine"
)

// ErrKey is returned when the receipts' key cannot be read or made, or
// others may read it.
var ErrKey = errors.New("receipt key")

// Receipt says that the engine found a stack had nothing to change, and
// under which fingerprint of what it read.
type Receipt struct {
	Stack string `json:"stack"`
	// Fingerprint is the HMAC of everything that preview read (Book.Fingerprint).
	Fingerprint string `json:"fingerprint"`
	// Changes are the steps the engine's preview reports, by operation:
	// only unchanged ones ("same", and "read" for what the program reads).
	Changes map[string]int `json:"changes"`
	// By is the engine operation that found it: "preview", or "up" where
	// an up's result is what a preview compares against (Keeper.TrustUp).
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// Book keeps one receipt per stack in a folder, with the key their
// fingerprints are made under.
type Book struct {
	dir string

	mu      sync.Mutex
	key     []byte            // the folder's own
	derived map[string][]byte // by passphrase, once per process
}

// keyFile holds the receipts' own key, beside them.
const keyFile = "key"

// passphraseRounds is the PBKDF2 work that takes the passphrase into the
// key: as much as the engine's passphrase secrets manager spends.
const passphraseRounds = 1_000_000

// Open returns the book of receipts in dir (made, mode 0700, when first
// used).
func Open(dir string) *Book {
	return &Book{dir: dir, derived: map[string][]byte{}}
}

// keyOf is the key of fingerprints made with passphrase: the folder's own
// (read, or made: 32 random bytes, mode 0600), and, for a passphrase that
// is not empty, a key derived from it.
func (b *Book) keyOf(passphrase string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.key == nil {
		key, err := b.readKey()
		if err != nil {
			return nil, err
		}
		b.key = key
	}
	if passphrase == "" {
		return b.key, nil
	}
	if d, ok := b.derived[passphrase]; ok {
		return d, nil
	}
	derived, err := pbkdf2.Key(sha256.New, passphrase, b.key, passphraseRounds, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: the passphrase: %w", ErrKey, err)
	}
	d := append(slices.Clone(b.key), derived...)
	b.derived[passphrase] = d
	return d, nil
}

// readKey reads the folder's key, making it when absent.
func (b *Book) readKey() ([]byte, error) {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	path := filepath.Join(b.dir, keyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err = makeKey(path); err == nil {
			key, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKey, path, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 || len(key) != 32 {
		return nil, fmt.Errorf("%w: %s must be 32 bytes only its owner reads (chmod 600), or absent", ErrKey, path)
	}
	return key, nil
}

// makeKey makes the key file, unless another process made it first: the
// key is written aside and linked into place, which fails when the file
// exists, so every process reads the one key.
func makeKey(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	aside := fmt.Sprintf("%s.%d", path, os.Getpid())
	if err := os.WriteFile(aside, key, 0o600); err != nil {
		return err
	}
	defer os.Remove(aside)
	if err := os.Link(aside, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// Fingerprint is the HMAC-SHA256, under the book's key, of a stack's
// program digest (plan.Digest) and the preview's other inputs.
func (b *Book) Fingerprint(stack string, program []byte, in engine.PreviewInputs) (string, error) {
	key, err := b.keyOf(in.Passphrase)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "bulwark receipt v1\nstack %s\nprogram %x\n", stack, program)
	for _, build := range in.Builds {
		fmt.Fprintf(m, "build %s\n", build)
	}
	for _, s := range slices.Sorted(maps.Keys(in.States)) {
		sum := in.States[s]
		fmt.Fprintf(m, "state %s %x\n", s, sum)
	}
	fmt.Fprintf(m, "settings %d\n", len(in.Settings))
	m.Write(in.Settings)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// file is where a stack's receipt is kept.
func (b *Book) file(stack string) string {
	return filepath.Join(b.dir, strings.ReplaceAll(stack, "/", "_")+".json")
}

// Lookup returns the stack's receipt when its fingerprint is fingerprint.
func (b *Book) Lookup(stack, fingerprint string) (Receipt, bool) {
	raw, err := os.ReadFile(b.file(stack))
	if err != nil {
		return Receipt{}, false
	}
	var r Receipt
	if json.Unmarshal(raw, &r) != nil || r.Stack != stack || len(r.Changes) == 0 ||
		!hmac.Equal([]byte(r.Fingerprint), []byte(fingerprint)) {
		return Receipt{}, false
	}
	return r, true
}

// Write keeps r as its stack's receipt (replacing the one before).
func (b *Book) Write(r Receipt) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("receipt of %s: %w", r.Stack, err)
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("receipt of %s: %w", r.Stack, err)
	}
	if err := writeFileAtomic(b.file(r.Stack), append(raw, '\n')); err != nil {
		return fmt.Errorf("receipt of %s: %w", r.Stack, err)
	}
	return nil
}

// Remove forgets the stack's receipt, if it has one.
func (b *Book) Remove(stack string) error {
	if err := os.Remove(b.file(stack)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("receipt of %s: %w", stack, err)
	}
	return nil
}

// writeFileAtomic writes a file (mode 0600) so that a reader sees the old
// bytes or the new, never a part.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, nothing
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
