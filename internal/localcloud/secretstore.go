package localcloud

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The secret store keeps secret parameters' values encrypted at rest with
// AES-256-GCM under one key per plane: 32 random bytes in secret.key in the
// plane's directory, mode 0600, created once (O_EXCL, so two planes racing
// on one directory end with one key) and never rewritten. A sealed value is
// base64(nonce || ciphertext || tag); the parameter's ID is the additional
// data, so a sealed value copied to another parameter does not open.

// secretKeyFile is the key's file name in the plane's directory.
const secretKeyFile = "secret.key"

// secretKeyPath is where dir's key lives.
func secretKeyPath(dir string) string { return filepath.Join(dir, secretKeyFile) }

// loadSecretKey reads dir's key, creating it the first time.
func loadSecretKey(dir string) ([]byte, error) {
	path := secretKeyPath(dir)
	key, err := readSecretKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret store key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecretKey(path) // another writer won
	}
	if err != nil {
		return nil, fmt.Errorf("secret store key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret store key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret store key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret store key %s: %w", path, err)
	}
	return key, nil
}

// readSecretKey reads a key file, refusing one others may read.
func readSecretKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret store key %s: mode %v lets others read it; want 0600", path, st.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret store key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret store key %s: %d bytes, want 32", path, len(key))
	}
	return key, nil
}

// sealSecret encrypts value under key, bound to id.
func sealSecret(key []byte, id, value string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", id, err)
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(value), []byte(id))), nil
}

// errSecretOpen is what openSecret's error wraps when a sealed value does
// not open: another key, another parameter's, or altered.
var errSecretOpen = errors.New("sealed value does not open with this plane's key")

// openSecret decrypts what sealSecret returned for id.
func openSecret(key []byte, id, sealed string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return "", fmt.Errorf("open %s: %w", id, errSecretOpen)
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", id, errSecretOpen)
	}
	return string(plain), nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret store: %w", err)
	}
	return cipher.NewGCM(block)
}
