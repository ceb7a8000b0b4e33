package localcloud

import (
	"fmt"
	"syscall"
)

// fileStamp identifies one version of a file's content without reading it:
// its inode, size, modification and change times. Any write to the file,
// a chmod, or a file put in its place changes it; the change time cannot
// be set back from user space (touch sets only the modification time).
type fileStamp struct {
	dev, ino    uint64
	size        int64
	mtime, ctim syscall.Timespec
}

// hashedFile is a file's digest and the stamp it had when it was hashed.
type hashedFile struct {
	stamp  fileStamp
	digest string
}

func stampOf(path string) (fileStamp, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileStamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return fileStamp{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim, ctim: st.Ctim}, nil
}

// imageDigest is the sha256 of an image's file (hex), hashed once per
// version of the file: GetImage checks an image's file every time a group
// or a build asks for it (twice per service at every up), and an image is
// tens of megabytes, so rehashing it each time cost the plane seconds of
// CPU per up of 60 services. A file whose stamp changed is hashed again.
func (p *Plane) imageDigest(path string) (string, error) {
	before, err := stampOf(path)
	if err != nil {
		return "", err
	}
	if h, ok := p.digests.Load(path); ok && h.(hashedFile).stamp == before {
		return h.(hashedFile).digest, nil
	}
	sum, err := fileDigest(path)
	if err != nil {
		return "", err
	}
	// remember it only when the file did not change while it was read
	if after, err := stampOf(path); err == nil && after == before {
		p.digests.Store(path, hashedFile{stamp: before, digest: sum})
	}
	return sum, nil
}

// noteDigest records the digest of a file just written and hashed (a build).
func (p *Plane) noteDigest(path, sum string) {
	if st, err := stampOf(path); err == nil {
		p.digests.Store(path, hashedFile{stamp: st, digest: sum})
	}
}
