package localcloud

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a child the control plane started, or one a previous control
// plane started and this one adopted by PID.
type process struct {
	PID    int
	exited chan struct{} // closed when the process has exited (and been reaped, if ours)
	// term is the signal that asks for a clean, prompt stop (SIGTERM unless set).
	term syscall.Signal
}

// spawn starts cmd in its own process group, logging to logPath, inside
// the cgroup folder group when there is one (see cgroupTree).
func spawn(cmd *exec.Cmd, logPath, group string) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if group != "" {
		g, err := os.Open(group)
		if err != nil {
			log.Close()
			return nil, fmt.Errorf("start %s: cgroup: %w", cmd.Path, err)
		}
		defer g.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(g.Fd())
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &process{PID: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(p.exited)
	}()
	return p, nil
}

// adopt watches a process this control plane did not start (a previous
// control plane did), if it is alive and runs the expected program.
func adopt(pid int, program string) (*process, bool) {
	if !alive(pid) || !strings.Contains(cmdline(pid), program) {
		return nil, false
	}
	p := &process{PID: pid, exited: make(chan struct{})}
	go func() {
		for alive(pid) {
			time.Sleep(200 * time.Millisecond)
		}
		close(p.exited)
	}()
	return p, true
}

// alive reports whether pid runs: it exists and is not a zombie (PID 1 may
// reap slowly, so kill -0 alone is not enough).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// the state follows the parenthesised command name
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// running reports whether the process has not exited.
func (p *process) running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) error {
	if !p.running() {
		return nil
	}
	sig := p.term
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	_ = syscall.Kill(-p.PID, sig)
	_ = syscall.Kill(p.PID, sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	select {
	case <-p.exited:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("process " + strconv.Itoa(p.PID) + " did not exit after SIGKILL")
	}
}
