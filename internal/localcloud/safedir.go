package localcloud

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// ownFolder makes sure path is a folder of this process's user that no one
// else may write, creating it with perm (which must grant others no write)
// when it does not exist. A folder in a shared place (the system's
// temporary directory) that another user made first, or a symbolic link
// planted there, is refused rather than used: whoever owns it could swap
// what the plane reads or writes in it.
func ownFolder(path string, perm fs.FileMode) error {
	if perm&0o022 != 0 {
		return fmt.Errorf("%w: %s would be writable by others (%#o)", localapi.ErrUnsafeFolder, path, perm)
	}
	if err := os.Mkdir(path, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkOwnFolder(path, os.Geteuid())
}

// checkOwnFolder checks that path is a real folder of uid that neither its
// group nor others may write.
func checkOwnFolder(path string, uid int) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symbolic link; remove it", localapi.ErrUnsafeFolder, path)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a folder; remove it", localapi.ErrUnsafeFolder, path)
	case !ok || int(st.Uid) != uid:
		return fmt.Errorf("%w: %s belongs to user %d, not %d; remove it", localapi.ErrUnsafeFolder, path, ownerOf(st), uid)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: %s is writable by others (%#o); remove it or chmod go-w it", localapi.ErrUnsafeFolder, path, fi.Mode().Perm())
	}
	return nil
}

func ownerOf(st *syscall.Stat_t) int {
	if st == nil {
		return -1
	}
	return int(st.Uid)
}
