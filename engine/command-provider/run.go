package main

// Running one command over SSH: environment, stdin, streaming logs, exit codes.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"golang.org/x/crypto/ssh"
)

const (
	envPrevStdout = "PULUMI_COMMAND_STDOUT"
	envPrevStderr = "PULUMI_COMMAND_STDERR"

	// sshd runs the command as `$SHELL -c "<command>"`, a single argv string,
	// which Linux caps at MAX_ARG_STRLEN = 128 KiB. Stay well below it.
	maxCommandBytes = 120 * 1024
	// An SSH "env" request is one packet; servers drop connections on
	// oversized packets, so only modest values go through setenv.
	maxSetenvBytes = 16 * 1024
	// How much output to quote in an error message.
	errorTailBytes = 8 * 1024
)

// run executes cmd for resource state st (its connection, environment, stdin
// and logging). prev, when non-nil, is the state whose stdout/stderr are
// exposed as PULUMI_COMMAND_STDOUT/STDERR (update and delete), unless
// addPreviousOutputInEnv is false.
func (st *CommandOutputs) run(ctx context.Context, op, cmd string, prev *CommandOutputs) (string, string, error) {
	if st.Connection == nil {
		return "", "", errors.New("connection is required")
	}
	log := p.GetLogger(ctx)

	env := map[string]string{}
	if prev != nil && (st.AddPreviousOutputInEnv == nil || *st.AddPreviousOutputInEnv) {
		// Like the official plugin, only non-empty previous outputs are set.
		if prev.Stdout != "" {
			env[envPrevStdout] = prev.Stdout
		}
		if prev.Stderr != "" {
			env[envPrevStderr] = prev.Stderr
		}
	}
	for k, v := range st.Environment { // the user's values win
		env[k] = v
	}

	client, err := connect(ctx, st.Connection)
	if err != nil {
		return "", "", err
	}
	defer client.Close()

	session, err := client.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("opening SSH session on %s: %w", client.target, err)
	}
	defer session.Close()

	// Environment, part 1: the SSH "env" request (what the official plugin
	// does). sshd applies it only for names its AcceptEnv allows (by default
	// just LANG/LC_*), and otherwise refuses; refusals are expected and ignored.
	for _, k := range sortedKeys(env) {
		if len(k)+len(env[k]) <= maxSetenvBytes {
			_ = session.Setenv(k, env[k])
		}
	}
	// Environment, part 2: because part 1 usually does nothing, also prefix
	// the command with `export NAME='value' ...;`. This works with any
	// POSIX-ish login shell and needs no sshd configuration, and values are
	// single-quoted, so no expansion or injection can happen. The cost is
	// that values appear in the remote process's command line (visible in ps
	// to other users of the host for the lifetime of the shell), which is the
	// same exposure as the command text itself.
	full, dropped, skipped := buildCommand(env, cmd)
	if len(skipped) > 0 {
		log.Warningf("environment variable name(s) %s are not valid shell names; they were only offered via SSH setenv",
			strings.Join(skipped, ", "))
	}
	if dropped {
		log.Warningf("previous stdout/stderr are too large for the command line; %s/%s were only offered via SSH setenv (if small enough)",
			envPrevStdout, envPrevStderr)
	}

	if st.Stdin != nil && *st.Stdin != "" {
		session.Stdin = strings.NewReader(*st.Stdin)
	}

	var stdoutBuf, stderrBuf bytes.Buffer
	stdoutLog := &lineLogger{emit: log.Info}
	stderrLog := &lineLogger{emit: log.Info}
	session.Stdout = &stdoutBuf
	session.Stderr = &stderrBuf
	mode := deref(st.Logging)
	if mode == "" || mode == logStdout || mode == logStdoutAndStderr {
		session.Stdout = multiWriter(&stdoutBuf, stdoutLog)
	}
	if mode == "" || mode == logStderr || mode == logStdoutAndStderr {
		session.Stderr = multiWriter(&stderrBuf, stderrLog)
	}

	// On cancellation (Ctrl-C / engine Cancel) ask the remote side to stop
	// and tear the session down so Run returns.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = session.Signal(ssh.SIGTERM)
			_ = session.Close()
		case <-done:
		}
	}()

	runErr := session.Run(full)
	stdoutLog.Flush()
	stderrLog.Flush()

	stdout := strings.TrimSuffix(stdoutBuf.String(), "\n")
	stderr := strings.TrimSuffix(stderrBuf.String(), "\n")
	if runErr != nil {
		return stdout, stderr, commandError(ctx, op, client.target, runErr, stdout, stderr)
	}
	return stdout, stderr, nil
}

// commandError builds the error for a failed run. It carries the exit status
// and the tail of stderr (stdout when stderr is empty), but not the command
// text: that may contain secrets, and engine error messages are not redacted.
func commandError(ctx context.Context, op, target string, err error, stdout, stderr string) error {
	var what string
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case ctx.Err() != nil:
		what = "was cancelled"
	case errors.As(err, &exitErr):
		if exitErr.Signal() != "" {
			what = fmt.Sprintf("was killed by signal %s (exit status %d)", exitErr.Signal(), exitErr.ExitStatus())
		} else {
			what = fmt.Sprintf("exited with status %d", exitErr.ExitStatus())
		}
	case errors.As(err, &missing):
		what = "ended without an exit status (connection lost?)"
	default:
		what = fmt.Sprintf("failed: %v", err)
	}
	msg := fmt.Sprintf("%s command on %s %s", op, target, what)
	switch {
	case stderr != "":
		msg += "\nstderr:\n" + tail(stderr, errorTailBytes)
	case stdout != "":
		msg += "\nstdout:\n" + tail(stdout, errorTailBytes)
	}
	return errors.New(msg)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return "[...]\n" + s
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// buildCommand prefixes cmd with single-quoted exports of env. It returns the
// final command, whether the previous-output variables had to be left out to
// respect maxCommandBytes, and the names skipped as invalid shell names.
//
// Dropping oversized PULUMI_COMMAND_STDOUT/STDERR loses little: Linux also
// caps each environment string at 128 KiB, so a variable that large would
// make every program the shell starts fail with "Argument list too long".
func buildCommand(env map[string]string, cmd string) (string, bool, []string) {
	var skipped []string
	build := func(withPrev bool) string {
		var b strings.Builder
		n := 0
		for _, k := range sortedKeys(env) {
			if !shellName.MatchString(k) {
				continue
			}
			if !withPrev && (k == envPrevStdout || k == envPrevStderr) {
				continue
			}
			if n == 0 {
				b.WriteString("export")
			}
			b.WriteString(" ")
			b.WriteString(k)
			b.WriteString("=")
			b.WriteString(shellQuote(env[k]))
			n++
		}
		if n == 0 {
			return cmd
		}
		// A newline, not "; ": it ends the export even if cmd starts with
		// something a shell would otherwise join to it, and keeps multi-line
		// scripts readable in `ps`/logs.
		b.WriteString("\n")
		b.WriteString(cmd)
		return b.String()
	}
	for _, k := range sortedKeys(env) {
		if !shellName.MatchString(k) {
			skipped = append(skipped, k)
		}
	}
	full := build(true)
	if len(full) > maxCommandBytes {
		if _, has := env[envPrevStdout]; has {
			return build(false), true, skipped
		}
		if _, has := env[envPrevStderr]; has {
			return build(false), true, skipped
		}
	}
	return full, false, skipped
}

// shellQuote wraps s in single quotes. An embedded single quote is written as
// quote, backslash, quote, quote: close the quoting, add an escaped quote,
// reopen. Inside single quotes a POSIX shell expands nothing.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineLogger turns a byte stream into one engine log message per line, so
// output shows up while the command runs rather than all at the end.
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

// multiWriter is io.MultiWriter for our two fixed sinks (both never fail).
func multiWriter(buf *bytes.Buffer, l *lineLogger) *teeWriter { return &teeWriter{buf, l} }

type teeWriter struct {
	buf *bytes.Buffer
	log *lineLogger
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.buf.Write(b)
	return t.log.Write(b)
}
