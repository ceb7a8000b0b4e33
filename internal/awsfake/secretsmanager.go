package awsfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Secret is a Secrets Manager secret of the fake: its name and ARN in a
// region, when it was made, and its versions (PutSecretString), newest
// last. A secret of the same name in another region is its replica.
type Secret struct {
	Name, Region, ARN string
	Created           time.Time
	versions          []*secretVersion
}

// secretVersion is a version of a secret's value and its staging labels
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html).
type secretVersion struct {
	id, value string
	stages    []string
	created   time.Time
}

// version finds the version of a secret with an ID and a staging label
// ("" matches any); nil when there is none.
func (s *Secret) version(id, stage string) *secretVersion {
	for i := len(s.versions) - 1; i >= 0; i-- {
		v := s.versions[i]
		if (id == "" || v.id == id) && (stage == "" || slices.Contains(v.stages, stage)) {
			return v
		}
	}
	return nil
}

// maxSecretVersions bounds the versions the fake keeps of a secret: Secrets
// Manager keeps about 100, removing the oldest unlabelled ones
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html).
const maxSecretVersions = 100

// PutSecretString gives a secret a new version holding value, labelled
// AWSCURRENT; the version that held AWSCURRENT becomes AWSPREVIOUS, as
// PutSecretValue and a rotation's last step do
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html).
// Every region's copy of the secret takes it: replicas follow their
// primary (https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html).
// It fails when no region has a secret of that name.
func (c *Cloud) PutSecretString(name, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, found := newUUID(), false
	for _, region := range sortedKeys(c.secrets) {
		s := c.secrets[region][name]
		if s == nil {
			continue
		}
		found = true
		for _, v := range s.versions {
			v.stages = slices.DeleteFunc(v.stages, func(l string) bool { return l == "AWSPREVIOUS" })
			for i, l := range v.stages {
				if l == "AWSCURRENT" {
					v.stages[i] = "AWSPREVIOUS"
				}
			}
		}
		s.versions = append(s.versions, &secretVersion{id: id, value: value, stages: []string{"AWSCURRENT"}, created: c.now()})
		for len(s.versions) > maxSecretVersions {
			i := slices.IndexFunc(s.versions, func(v *secretVersion) bool { return len(v.stages) == 0 })
			if i < 0 {
				break
			}
			s.versions = slices.Delete(s.versions, i, i+1)
		}
	}
	if !found {
		return fmt.Errorf("no secret %s in any region", name)
	}
	return nil
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

type getSecretValueDoc struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"`
}

// secretsManager serves Secrets Manager's JSON 1.1 protocol (the action in
// X-Amz-Target): DescribeSecret and GetSecretValue.
func (c *Cloud) secretsManager(region, action string, body []byte) (any, *apiError) {
	switch action {
	case "GetSecretValue":
		// the version of VersionId and VersionStage, AWSCURRENT when
		// neither is given; a secret, or a version, the region does not
		// have is ResourceNotFoundException
		// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html)
		var req struct {
			SecretID     string `json:"SecretId"`
			VersionID    string `json:"VersionId"`
			VersionStage string `json:"VersionStage"`
		}
		if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.SecretID) == "" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterException", "SecretId is required.")
		}
		s := c.secret(region, req.SecretID)
		if s == nil {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		}
		stage := req.VersionStage
		if stage == "" && req.VersionID == "" {
			stage = "AWSCURRENT"
		}
		v := s.version(req.VersionID, stage)
		if v == nil && req.VersionID != "" {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", req.VersionID)
		}
		if v == nil {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
		return getSecretValueDoc{ARN: s.ARN, Name: s.Name, VersionID: v.id, SecretString: v.value, VersionStages: slices.Clone(v.stages), CreatedDate: epochSeconds(v.created)}, nil
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
