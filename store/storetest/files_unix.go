//go:build unix

package storetest

import (
	"os"
	"syscall"
	"testing"
)

// NormalUmask runs the rest of the test under umask 022, where a file is
// made 0644 unless its creator asks otherwise: the tests of private files
// need it whatever the umask of the machine that runs them.
func NormalUmask(t testing.TB) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// Mode is the permission bits of the file at path; ok is false when there
// is no such file.
func Mode(t testing.TB, path string) (mode os.FileMode, ok bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm(), true
}
