package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

func ptr[T any](v T) *T { return &v }

func TestRunCapturesOutputAndSendsStdin(t *testing.T) {
	s := startTestServer(t)
	st := &CommandOutputs{CommandInputs: CommandInputs{Connection: s.connection(), Stdin: ptr("from stdin\n"), Logging: ptr(logNone)}}
	out, errOut, err := st.run(context.Background(), "cat; echo to-stderr >&2; echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Exactly one trailing newline is trimmed, as by the official plugin.
	if out != "from stdin\n" || errOut != "to-stderr" {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
}

func TestRunFailureNamesStatusCommandAndOutput(t *testing.T) {
	s := startTestServer(t)
	st := &CommandOutputs{CommandInputs: CommandInputs{Connection: s.connection(), Logging: ptr(logNone)}}
	_, _, err := st.run(context.Background(), "echo partial; exit 3", nil)
	if err == nil {
		t.Fatal("expected an error")
	}
	want := "Process exited with status 3: running \"echo partial; exit 3\":\npartial\n"
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err.Error(), want)
	}
}

// Stock sshd refuses FOO: the command fails before it runs, with the official message.
func TestRefusedEnvironmentFailsTheCommandBeforeItRuns(t *testing.T) {
	s := startTestServer(t)
	marker := filepath.Join(t.TempDir(), "ran")
	st := &CommandOutputs{CommandInputs: CommandInputs{
		Connection:  s.connection(),
		Environment: map[string]string{"LANG": "C.UTF-8", "FOO": "bar"},
	}}
	_, _, err := st.run(context.Background(), "touch "+marker, nil)
	if err == nil || err.Error() != `could not set environment variable "FOO": ssh: setenv failed` {
		t.Fatalf("got %v", err)
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Fatal("the command ran although its environment was refused")
	}
	if len(s.execs) != 0 {
		t.Fatalf("commands run: %q", s.execs)
	}
}

func TestAcceptedEnvironmentReachesTheCommand(t *testing.T) {
	s := startTestServer(t)
	st := &CommandOutputs{CommandInputs: CommandInputs{Connection: s.connection(), Environment: map[string]string{"LC_FLASKSTACK": "x y"}}}
	out, _, err := st.run(context.Background(), `printf %s "$LC_FLASKSTACK"`, nil)
	if err != nil || out != "x y" {
		t.Fatalf("out %q err %v", out, err)
	}
}

// The previous outputs are offered too; their refusal is only a warning, and
// addPreviousOutputInEnv=false keeps them from being offered at all.
func TestPreviousOutputIsOfferedAndItsRefusalOnlyWarns(t *testing.T) {
	for _, offer := range []bool{true, false} {
		s := startTestServer(t)
		st := &CommandOutputs{CommandInputs: CommandInputs{Connection: s.connection(), AddPreviousOutputInEnv: ptr(offer)}}
		prev := &CommandOutputs{Stdout: "old out", Stderr: ""}
		out, _, err := st.run(context.Background(), "echo ran", prev)
		if err != nil || out != "ran" {
			t.Fatalf("offer=%v: out %q err %v", offer, out, err)
		}
		want := ""
		if offer {
			want = envPrevStdout // only the non-empty one
		}
		if strings.Join(s.refused, ",") != want {
			t.Fatalf("offer=%v: refused %q, want %q", offer, s.refused, want)
		}
	}
}

func TestSetenvRefusedMessageIsTheOfficialOne(t *testing.T) {
	got := setenvRefused("FLASKSTACK_PREFLIGHT")
	if !strings.HasPrefix(got, "Unable to set 'FLASKSTACK_PREFLIGHT'. This only works if your SSH server is configured to accept\n\tthese variables via AcceptEnv.") {
		t.Fatalf("got %q", got)
	}
}

// 100 ms, 1.5 times longer each time: a limit of 2 makes 3 attempts and waits 0.1 + 0.15 s.
func TestDialRetriesAsTheOfficialPlugin(t *testing.T) {
	refused := errors.New("connection refused")
	start := time.Now()
	attempts := 0
	_, err := dialWithRetries(context.Background(), "Dial", 2, func() (*ssh.Client, error) { attempts++; return nil, refused })
	elapsed := time.Since(start)
	if attempts != 3 || err == nil || err.Error() != "after 2 failed attempts: connection refused" {
		t.Fatalf("attempts %d err %v", attempts, err)
	}
	if elapsed < 250*time.Millisecond || elapsed > 600*time.Millisecond {
		t.Fatalf("waited %s, want about 250 ms", elapsed)
	}
}

func TestDialGivesUpOnAClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := float64(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	user, key, limit := "x", startTestServer(t).privateKey, 1.0
	_, err = connect(context.Background(), &Connection{Host: "127.0.0.1", Port: &port, User: &user, PrivateKey: &key, DialErrorLimit: &limit})
	if err == nil || !strings.HasPrefix(err.Error(), "after 1 failed attempts: ") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
}

func TestCopyToRemotePlacesFilesAsTheOfficialPlugin(t *testing.T) {
	s := startTestServer(t)
	local := t.TempDir()
	remote := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "app.tar"), []byte("archive bytes"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(local, "site", "static"), 0o755)
	os.WriteFile(filepath.Join(local, "site", "static", "a.css"), []byte("body{}"), 0o644)

	cases := []struct {
		name, source, dest string
		text               string
		want               string // file that must hold the content afterwards
	}{
		{"file to a missing path (parents made)", filepath.Join(local, "app.tar"), filepath.Join(remote, "in", "deep", "r1.tar"), "", filepath.Join(remote, "in", "deep", "r1.tar")},
		{"file into an existing directory", filepath.Join(local, "app.tar"), remote, "", filepath.Join(remote, "app.tar")},
		{"directory into a missing path", filepath.Join(local, "site"), filepath.Join(remote, "dst"), "", filepath.Join(remote, "dst", "site", "static", "a.css")},
		{"directory contents with a trailing slash", filepath.Join(local, "site") + "/", filepath.Join(remote, "dst2"), "", filepath.Join(remote, "dst2", "static", "a.css")},
		{"text to a file", "", filepath.Join(remote, "t", "note.txt"), "hello", filepath.Join(remote, "t", "note.txt")},
	}
	for _, c := range cases {
		in := CopyToRemoteInputs{Connection: s.connection(), RemotePath: c.dest}
		if c.text != "" {
			in.Source = types.AssetOrArchive{Asset: &resource.Asset{Text: c.text}}
		} else {
			in.Source = types.AssetOrArchive{Asset: &resource.Asset{Path: c.source}}
		}
		if err := copyToRemote(context.Background(), in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := os.Stat(c.want); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	// Modes are not carried over: the executable bit of app.tar is gone.
	info, err := os.Stat(filepath.Join(remote, "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o111 != 0 {
		t.Fatalf("mode %v: the official plugin sends no attributes", info.Mode())
	}
	// Text into a directory is refused with the official message.
	err = copyToRemote(context.Background(), CopyToRemoteInputs{Connection: s.connection(), RemotePath: remote, Source: types.AssetOrArchive{Asset: &resource.Asset{Text: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "is a directory; when using a text asset, remotePath must be a file path") {
		t.Fatalf("got %v", err)
	}
}
