//go:build !unix

package main

import (
	"io/fs"
	"os"
	"syscall"
)

// Without flock, holding the socket is the lock: a second up fails to listen on it.

func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}

func ownerUID(fs.FileInfo) (int, bool) { return 0, false }

func detachedProcess() *syscall.SysProcAttr { return nil }

func watchResize(func()) (stop func()) { return func() {} }
