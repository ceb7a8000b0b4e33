package contract

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// NewDatabasePassword is a new database password: 128 bits from
// crypto/rand, written as 26 characters of RFC 4648's base32 alphabet
// (A-Z, 2-7), which every place a target writes a password takes as it is
// (a libpq URL or conninfo string, a passfile, an environment variable).
// The local target's provider generates one per database at deploy.
func NewDatabasePassword() string { return rand.Text() }

// Database passwords are this long at least and at most.
const (
	DatabasePasswordMin = 16
	DatabasePasswordMax = 128
)

// CheckDatabasePassword refuses a password the local target cannot write
// as it is into a libpq URL, a conninfo string and a passfile: it takes
// DatabasePasswordMin to DatabasePasswordMax ASCII letters and digits
// (NewDatabasePassword's are). The error, a *StringError wrapping
// ErrInvalidString, never quotes the password.
func CheckDatabasePassword(password string) error {
	if n := len(password); n < DatabasePasswordMin || n > DatabasePasswordMax {
		return &StringError{Reason: fmt.Sprintf("a database password has %d to %d characters, not %d", DatabasePasswordMin, DatabasePasswordMax, n)}
	}
	if i := strings.IndexFunc(password, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}); i >= 0 {
		return &StringError{Reason: fmt.Sprintf("a database password holds ASCII letters and digits only (character %d is not one)", i+1)}
	}
	return nil
}
