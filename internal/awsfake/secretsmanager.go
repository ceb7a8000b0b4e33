package awsfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Secret is a Secrets Manager secret of the fake: its name and ARN in a
// region, and when it was made. The fake keeps no value: bulwark reads no
// secret, it only hands a secret's ARN to the RDS Data API.
type Secret struct {
	Name, Region, ARN string
	Created           time.Time
}

// secretSuffix is what Secrets Manager appends to a secret's name in its
// ARN: a hyphen and six random characters, so a secret deleted and made
// again under the same name gets another ARN
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen).
func secretSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "-" + string(b)
}

// AddSecret makes a secret in a region (a replica in another region is
// one more call with the same name) and returns its ARN.
func (c *Cloud) AddSecret(region, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secrets == nil {
		c.secrets = map[string]map[string]*Secret{}
	}
	if c.secrets[region] == nil {
		c.secrets[region] = map[string]*Secret{}
	}
	if s := c.secrets[region][name]; s != nil {
		return s.ARN
	}
	s := &Secret{Name: name, Region: region, Created: c.now(),
		ARN: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s%s", region, Account, name, secretSuffix())}
	c.secrets[region][name] = s
	return s.ARN
}

// secret finds a secret of the region by its name or its full ARN, as
// SecretId takes either
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
func (c *Cloud) secret(region, id string) *Secret {
	for _, s := range c.secrets[region] {
		if s.Name == id || s.ARN == id {
			return s
		}
	}
	return nil
}

type describeSecretDoc struct {
	ARN         string  `json:"ARN"`
	Name        string  `json:"Name"`
	CreatedDate float64 `json:"CreatedDate"`
}

// secretsManager serves Secrets Manager's JSON 1.1 protocol (the action in
// X-Amz-Target): DescribeSecret only.
func (c *Cloud) secretsManager(region, action string, body []byte) (any, *apiError) {
	switch action {
	case "DescribeSecret":
		var req struct {
			SecretID string `json:"SecretId"`
		}
		if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.SecretID) == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterException", "SecretId is required.")
		}
		s := c.secret(region, req.SecretID)
		if s == nil {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		}
		return describeSecretDoc{ARN: s.ARN, Name: s.Name, CreatedDate: epochSeconds(s.Created)}, nil
	}
	return nil, errorf(http.StatusBadRequest, "UnknownOperationException", "The fake does not serve Secrets Manager's %s.", action)
}
