package main

// An in-process SSH server with stock sshd's environment policy (AcceptEnv
// LANG LC_*), an SFTP subsystem and `exec` run by /bin/sh, for the tests of
// what the stand-in sends over the wire.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type testServer struct {
	addr       string
	port       float64
	privateKey string // the client's key, OpenSSH PEM
	mu         sync.Mutex
	execs      []string // commands run
	refused    []string // environment variables refused
}

func startTestServer(t *testing.T) *testServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(sshPub.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &testServer{addr: "127.0.0.1", port: float64(ln.Addr().(*net.TCPAddr).Port), privateKey: string(pem.EncodeToMemory(block))}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serveConn(c, cfg)
		}
	}()
	return s
}

func (s *testServer) connection() *Connection {
	user := "tester"
	limit := 0.0
	return &Connection{Host: s.addr, Port: &s.port, User: &user, PrivateKey: &s.privateKey, DialErrorLimit: &limit}
}

func (s *testServer) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, requests, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.serveSession(ch, requests)
	}
}

func (s *testServer) serveSession(ch ssh.Channel, requests <-chan *ssh.Request) {
	defer ch.Close()
	var env []string
	for req := range requests {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			_ = ssh.Unmarshal(req.Payload, &kv)
			ok := kv.Name == "LANG" || strings.HasPrefix(kv.Name, "LC_")
			if ok {
				env = append(env, kv.Name+"="+kv.Value)
			} else {
				s.mu.Lock()
				s.refused = append(s.refused, kv.Name)
				s.mu.Unlock()
			}
			_ = req.Reply(ok, nil)
		case "subsystem":
			_ = req.Reply(true, nil)
			srv, err := sftp.NewServer(ch)
			if err == nil {
				_ = srv.Serve()
			}
			return
		case "exec":
			var cmd struct{ Command string }
			_ = ssh.Unmarshal(req.Payload, &cmd)
			_ = req.Reply(true, nil)
			s.mu.Lock()
			s.execs = append(s.execs, cmd.Command)
			s.mu.Unlock()
			p := exec.Command("/bin/sh", "-c", cmd.Command)
			p.Env = env
			p.Stdin, p.Stdout, p.Stderr = ch, ch, ch.Stderr()
			status := 0
			if err := p.Run(); err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					status = ee.Sys().(syscall.WaitStatus).ExitStatus()
				} else {
					status = 127
				}
			}
			b := make([]byte, 4)
			binary.BigEndian.PutUint32(b, uint32(status))
			_, _ = ch.SendRequest("exit-status", false, b)
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}
