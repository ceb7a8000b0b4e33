package contract_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localprovider"
)

// TestLocalTokensAreTheProvidersKinds checks the local target's type
// tokens against the kinds the provider plugin registers: a kind the
// contract lacks, or a token no kind serves, fails.
func TestLocalTokensAreTheProvidersKinds(t *testing.T) {
	served := localprovider.ReplaceOnChanges()
	for token := range served {
		if !slices.Contains(contract.TypeTokens(), token) {
			t.Errorf("the provider serves %s, which the contract does not name", token)
		}
	}
	for _, token := range contract.TypeTokens() {
		if _, ok := served[token]; strings.HasPrefix(token, contract.LocalType("")) && !ok {
			t.Errorf("the contract names %s, which the provider does not serve", token)
		}
	}
}
