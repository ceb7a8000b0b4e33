package localapi

import (
	"fmt"
	"slices"
	"strings"
)

// ID is an object's identity within its kind: String is its form in the
// API's paths and in the plane's state (env/region/service, ...).
type ID interface {
	comparable
	String() string
}

// RegionID names a region of an environment: env/region.
type RegionID struct{ Env, Region string }

func (id RegionID) String() string { return id.Env + "/" + id.Region }

// ParseRegionID reads env/region.
func ParseRegionID(s string) (RegionID, error) {
	p, err := split(s, 2, "region", "env/region")
	if err != nil {
		return RegionID{}, err
	}
	return RegionID{p[0], p[1]}, nil
}

// MarshalText is String, so the ID keys a JSON map.
func (id RegionID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText is ParseRegionID.
func (id *RegionID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseRegionID(string(b))
	return err
}

// ServiceID names a service in one region of an environment:
// env/region/service. Its instance group, load balancer, database member
// and restore copy there share it.
type ServiceID struct{ Env, Region, Service string }

func (id ServiceID) String() string { return id.Env + "/" + id.Region + "/" + id.Service }

// RegionID is the region the service runs in.
func (id ServiceID) RegionID() RegionID { return RegionID{id.Env, id.Region} }

// ParseServiceID reads env/region/service.
func ParseServiceID(s string) (ServiceID, error) {
	p, err := split(s, 3, "service", "env/region/service")
	if err != nil {
		return ServiceID{}, err
	}
	return ServiceID{p[0], p[1], p[2]}, nil
}

// MarshalText is String, so the ID keys a JSON map.
func (id ServiceID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText is ParseServiceID.
func (id *ServiceID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseServiceID(string(b))
	return err
}

// BackupID names a service's backup plan, across its regions: env/service.
type BackupID struct{ Env, Service string }

func (id BackupID) String() string { return id.Env + "/" + id.Service }

// ParseBackupID reads env/service.
func ParseBackupID(s string) (BackupID, error) {
	p, err := split(s, 2, "backup plan", "env/service")
	if err != nil {
		return BackupID{}, err
	}
	return BackupID{p[0], p[1]}, nil
}

// MarshalText is String, so the ID keys a JSON map.
func (id BackupID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText is ParseBackupID.
func (id *BackupID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseBackupID(string(b))
	return err
}

// ParameterID names a parameter of a service in one region:
// env/region/service/name.
type ParameterID struct{ Env, Region, Service, Name string }

func (id ParameterID) String() string {
	return id.Env + "/" + id.Region + "/" + id.Service + "/" + id.Name
}

// ServiceID is the service the parameter configures.
func (id ParameterID) ServiceID() ServiceID { return ServiceID{id.Env, id.Region, id.Service} }

// ParseParameterID reads env/region/service/name.
func ParseParameterID(s string) (ParameterID, error) {
	p, err := split(s, 4, "parameter", "env/region/service/name")
	if err != nil {
		return ParameterID{}, err
	}
	return ParameterID{p[0], p[1], p[2], p[3]}, nil
}

// MarshalText is String, so the ID keys a JSON map.
func (id ParameterID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText is ParseParameterID.
func (id *ParameterID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseParameterID(string(b))
	return err
}

// RecordID names a DNS record: env/zone/name.
type RecordID struct{ Env, Zone, Name string }

func (id RecordID) String() string { return id.Env + "/" + id.Zone + "/" + id.Name }

// ParseRecordID reads env/zone/name.
func ParseRecordID(s string) (RecordID, error) {
	p, err := split(s, 3, "dns record", "env/zone/name")
	if err != nil {
		return RecordID{}, err
	}
	return RecordID{p[0], p[1], p[2]}, nil
}

// MarshalText is String, so the ID keys a JSON map.
func (id RecordID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText is ParseRecordID.
func (id *RecordID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseRecordID(string(b))
	return err
}

// EnvID names an environment: its DNS server and its monitoring.
type EnvID string

func (id EnvID) String() string { return string(id) }

// ParseEnvID reads an environment's name.
func ParseEnvID(s string) (EnvID, error) {
	p, err := split(s, 1, "environment", "env")
	if err != nil {
		return "", err
	}
	return EnvID(p[0]), nil
}

// ImageID is an image's digest (sha256:<hex>): the plane assigns it when
// it builds the image.
type ImageID string

func (id ImageID) String() string { return string(id) }

// ParseImageID reads a digest.
func ParseImageID(s string) (ImageID, error) {
	if s == "" {
		return "", fmt.Errorf("image: empty digest: %w", ErrBadRequest)
	}
	return ImageID(s), nil
}

// split cuts s into n non-empty parts at "/".
func split(s string, n int, what, form string) ([]string, error) {
	p := strings.Split(s, "/")
	if len(p) != n || slices.Contains(p, "") {
		return nil, fmt.Errorf("%s ID %q: want %s: %w", what, s, form, ErrBadRequest)
	}
	return p, nil
}
