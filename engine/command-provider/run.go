package main

// Running one command over SSH the way the official plugin (pulumi-command
// v1.2.1, provider/pkg/provider/remote/commandOutputs.go) does, so that a
// program behaves the same on this stand-in as on the plugin users get:
//   - `environment` is offered with SSH "env" requests only. A server that
//     refuses one (stock sshd accepts only LANG and LC_*) fails the command
//     before it runs, with the official message.
//   - the previous stdout/stderr go the same way as PULUMI_COMMAND_STDOUT /
//     PULUMI_COMMAND_STDERR (update and delete, only when non-empty, unless
//     addPreviousOutputInEnv is false); a refusal is only a warning.
//   - stdin is sent when non-empty; no PTY; one exec request per session.
//   - output lines are logged as ephemeral status messages; the captured
//     outputs lose exactly one trailing "\n".
//   - a failed command's error reads `Process exited with status N: running
//     "<command>":` followed by its combined output.
//   - cancelling `pulumi up` does not interrupt a command already running.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
)

const (
	envPrevStdout = "PULUMI_COMMAND_STDOUT"
	envPrevStderr = "PULUMI_COMMAND_STDERR"
)

// setenvRefused is the official plugin's text for a refused variable, with
// its line breaks (newline and tab) as they are.
func setenvRefused(key string) string {
	return fmt.Sprintf("Unable to set '%s'. This only works if your SSH server is configured to accept\n\t"+
		"these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, you could\n\t"+
		"prefix the command itself with the variables in the form 'VAR=value command'", key)
}

// session is what run needs of an SSH session (an interface so the tests
// can drive run against an in-process server as well).
type session interface {
	Setenv(name, value string) error
	Run(cmd string) error
	Close() error
}

// run executes cmd for resource state st (its connection, environment, stdin
// and logging). prev, when non-nil, is the state whose stdout/stderr are
// offered as PULUMI_COMMAND_STDOUT/STDERR (update and delete).
func (st *CommandOutputs) run(ctx context.Context, cmd string, prev *CommandOutputs) (string, string, error) {
	if st.Connection == nil {
		return "", "", fmt.Errorf("connection is required")
	}
	client, err := connect(ctx, st.Connection)
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer s.Close()

	var stdoutBuf, stderrBuf, combined bytes.Buffer
	lockedCombined := &lockedWriter{w: &combined}
	var stdoutSink, stderrSink []io.Writer
	stdoutSink = append(stdoutSink, &stdoutBuf, lockedCombined)
	stderrSink = append(stderrSink, &stderrBuf, lockedCombined)
	log := p.GetLogger(ctx)
	var logs *lineLogger
	mode := deref(st.Logging)
	if mode == "" || mode == logStdout || mode == logStdoutAndStderr || mode == logStderr {
		logs = &lineLogger{emit: func(line string) { log.InfoStatus(line) }}
		if mode == "" || mode == logStdout || mode == logStdoutAndStderr {
			stdoutSink = append(stdoutSink, logs)
		}
		if mode == "" || mode == logStderr || mode == logStdoutAndStderr {
			stderrSink = append(stderrSink, logs)
		}
	}
	s.Stdout = io.MultiWriter(stdoutSink...)
	s.Stderr = io.MultiWriter(stderrSink...)
	if st.Stdin != nil && *st.Stdin != "" {
		s.Stdin = strings.NewReader(*st.Stdin)
	}

	if err := sendEnvironment(s, st, prev, func(msg string, fatal bool) {
		if fatal {
			log.Error(msg)
		} else {
			log.Warning(msg)
		}
	}); err != nil {
		return "", "", err
	}

	runErr := s.Run(cmd)
	if logs != nil {
		logs.Flush()
	}
	if runErr != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", runErr, cmd, combined.String())
	}
	return strings.TrimSuffix(stdoutBuf.String(), "\n"), strings.TrimSuffix(stderrBuf.String(), "\n"), nil
}

// sendEnvironment offers the user's environment, then the previous outputs.
// A refused user variable is fatal; a refused previous output is a warning.
func sendEnvironment(s session, st *CommandOutputs, prev *CommandOutputs, report func(msg string, fatal bool)) error {
	for _, k := range sortedKeys(st.Environment) {
		if err := s.Setenv(k, st.Environment[k]); err != nil {
			report(setenvRefused(k), true)
			return fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	if prev == nil || (st.AddPreviousOutputInEnv != nil && !*st.AddPreviousOutputInEnv) {
		return nil
	}
	for _, kv := range [][2]string{{envPrevStdout, prev.Stdout}, {envPrevStderr, prev.Stderr}} {
		if kv[1] == "" {
			continue
		}
		if err := s.Setenv(kv[0], kv[1]); err != nil {
			report(setenvRefused(kv[0]), false)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lockedWriter serialises the two streams' writes into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lineLogger turns a byte stream into one log message per line, so output
// shows up while the command runs rather than all at the end.
type lineLogger struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.send(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64*1024 { // a very long line without newline: emit in pieces
		l.send(string(l.buf))
		l.buf = nil
	}
	return len(b), nil
}

func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.send(string(l.buf))
		l.buf = nil
	}
}

func (l *lineLogger) send(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	l.emit(line)
}
