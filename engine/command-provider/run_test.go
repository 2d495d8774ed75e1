package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The export prefix must hand every value to the command byte-for-byte,
// whatever quotes, $, backticks or newlines it holds; checked with a real sh.
func TestBuildCommandRoundTripsThroughSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	env := map[string]string{
		"PLAIN":  "hello",
		"QUOTES": `it's "quoted" \ back\slash`,
		"EXPAND": "$HOME `id` $(id) ${X:-y} !x *",
		"NL":     "line1\nline2\n",
		"EMPTY":  "",
	}
	full, dropped, skipped := buildCommand(env, `printf '%s|' "$PLAIN" "$QUOTES" "$EXPAND" "$NL" "$EMPTY"`)
	if dropped || len(skipped) != 0 {
		t.Fatalf("unexpected dropped=%v skipped=%v", dropped, skipped)
	}
	out, err := exec.Command(sh, "-c", full).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	want := strings.Join([]string{env["PLAIN"], env["QUOTES"], env["EXPAND"], env["NL"], env["EMPTY"]}, "|") + "|"
	if string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

func TestBuildCommandNoEnvLeavesCommandAlone(t *testing.T) {
	full, _, _ := buildCommand(map[string]string{}, "echo hi")
	if full != "echo hi" {
		t.Fatalf("got %q", full)
	}
}

func TestBuildCommandSkipsInvalidNames(t *testing.T) {
	full, _, skipped := buildCommand(map[string]string{"OK": "1", "NOT-OK": "2", "1BAD": "3"}, "true")
	if len(skipped) != 2 || strings.Contains(full, "NOT-OK") || strings.Contains(full, "1BAD") {
		t.Fatalf("full=%q skipped=%v", full, skipped)
	}
	if !strings.HasPrefix(full, "export OK='1'\n") {
		t.Fatalf("full=%q", full)
	}
}

func TestBuildCommandDropsHugePreviousOutput(t *testing.T) {
	big := strings.Repeat("x", maxCommandBytes)
	full, dropped, _ := buildCommand(map[string]string{envPrevStdout: big, "KEEP": "me"}, "true")
	if !dropped || strings.Contains(full, envPrevStdout) || !strings.Contains(full, "KEEP='me'") {
		t.Fatalf("dropped=%v len=%d", dropped, len(full))
	}
}

func TestLineLoggerSplitsLines(t *testing.T) {
	var got []string
	l := &lineLogger{emit: func(s string) { got = append(got, s) }}
	_, _ = l.Write([]byte("a\r\nb"))
	_, _ = l.Write([]byte("c\n\n  \nd"))
	l.Flush()
	if strings.Join(got, ",") != "a,bc,d" {
		t.Fatalf("got %q", got)
	}
}

func TestTailKeepsWholeLines(t *testing.T) {
	s := strings.Repeat("0123456789\n", 2000)
	got := tail(s, 100)
	if !strings.HasPrefix(got, "[...]\n0123456789") || len(got) > 110 {
		t.Fatalf("got %q", got)
	}
}
