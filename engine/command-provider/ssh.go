package main

// Establishing the SSH connection described by a Connection: defaults,
// authentication, host-key checking, dial retries and the optional proxy
// (bastion) hop.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Documented defaults of remote.ConnectionArgs.
const (
	defaultPort           = 22
	defaultUser           = "root"
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15 // seconds; 0 means no per-dial limit

	// Back-off between failed dials, as the official plugin's: 100 ms, then
	// 1.5 times longer each time, at most 5 s.
	firstRetryDelay = 100 * time.Millisecond
	retryBackoff    = 1.5
	maxRetryDelay   = 5 * time.Second
)

// endpoint is Connection/ProxyConnection with defaults applied.
type endpoint struct {
	host, user                                        string
	port                                              int
	password, privateKey, privateKeyPassword, hostKey *string
	agentSocketPath                                   *string
	dialErrorLimit                                    int // <0: unlimited
	perDialTimeout                                    time.Duration
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// label identifies the target in messages (never includes credentials).
func (e endpoint) label() string { return e.user + "@" + e.addr() }

func makeEndpoint(host string, port *float64, user *string, password, privateKey, privateKeyPassword,
	agentSocketPath, hostKey *string, dialErrorLimit, perDialTimeout *float64,
) endpoint {
	e := endpoint{
		host: host, port: defaultPort, user: defaultUser,
		password: password, privateKey: privateKey, privateKeyPassword: privateKeyPassword,
		agentSocketPath: agentSocketPath, hostKey: hostKey,
		dialErrorLimit: defaultDialErrorLimit,
		perDialTimeout: defaultPerDialTimeout * time.Second,
	}
	if port != nil && *port > 0 {
		e.port = int(*port)
	}
	if user != nil && *user != "" {
		e.user = *user
	}
	if dialErrorLimit != nil {
		e.dialErrorLimit = int(*dialErrorLimit)
	}
	if perDialTimeout != nil {
		e.perDialTimeout = time.Duration(*perDialTimeout * float64(time.Second))
	}
	return e
}

func (c *Connection) endpoint() endpoint {
	return makeEndpoint(c.Host, c.Port, c.User, c.Password, c.PrivateKey, c.PrivateKeyPassword,
		c.AgentSocketPath, c.HostKey, c.DialErrorLimit, c.PerDialTimeout)
}

func (c *ProxyConnection) endpoint() endpoint {
	return makeEndpoint(c.Host, c.Port, c.User, c.Password, c.PrivateKey, c.PrivateKeyPassword,
		c.AgentSocketPath, c.HostKey, c.DialErrorLimit, c.PerDialTimeout)
}

// sshClient is an *ssh.Client plus what must be closed with it (proxy hop,
// agent socket).
type sshClient struct {
	*ssh.Client
	target  string
	closers []func() error
}

func (c *sshClient) Close() error {
	err := c.Client.Close()
	for i := len(c.closers) - 1; i >= 0; i-- {
		_ = c.closers[i]()
	}
	return err
}

// connect opens an SSH client to conn, through conn.Proxy when given.
func connect(ctx context.Context, conn *Connection) (*sshClient, error) {
	target := conn.endpoint()
	if target.host == "" {
		return nil, errors.New("connection.host is required")
	}
	var closers []func() error
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
	}

	targetCfg, closeAgent, err := clientConfig(target)
	if err != nil {
		return nil, fmt.Errorf("connection to %s: %w", target.label(), err)
	}
	closers = append(closers, closeAgent)

	// dialTCP opens the transport for the target: directly, or through the
	// proxy's SSH connection (a "direct-tcpip" channel, i.e. ssh -J).
	dialTCP := func(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, "tcp", addr)
	}
	if conn.Proxy != nil {
		proxy := conn.Proxy.endpoint()
		if proxy.host == "" {
			closeAll()
			return nil, errors.New("connection.proxy.host is required")
		}
		proxyCfg, closeProxyAgent, err := clientConfig(proxy)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("proxy connection to %s: %w", proxy.label(), err)
		}
		closers = append(closers, closeProxyAgent)
		proxyClient, err := dialWithRetries(ctx, "Dial proxy", proxy.dialErrorLimit, func() (*ssh.Client, error) {
			return dialOnce(ctx, dialTCP, proxy.addr(), proxy.perDialTimeout, proxyCfg)
		})
		if err != nil {
			closeAll()
			return nil, err
		}
		closers = append(closers, proxyClient.Close)
		dialTCP = func(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return proxyClient.DialContext(ctx, "tcp", addr)
		}
	}

	client, err := dialWithRetries(ctx, "Dial", target.dialErrorLimit, func() (*ssh.Client, error) {
		return dialOnce(ctx, dialTCP, target.addr(), target.perDialTimeout, targetCfg)
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	return &sshClient{Client: client, target: target.label(), closers: closers}, nil
}

// dialOnce makes one attempt: TCP connect bounded by timeout, then the SSH
// handshake without a bound, as the official plugin (x/crypto's
// ClientConfig.Timeout covers only the connect).
func dialOnce(ctx context.Context,
	dialTCP func(context.Context, string, time.Duration) (net.Conn, error),
	addr string, timeout time.Duration, cfg *ssh.ClientConfig,
) (*ssh.Client, error) {
	nc, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return nil, err
	}
	c, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// errHostKeyMismatch marks a host key that differs from `hostKey`.
var errHostKeyMismatch = errors.New("host key mismatch")

// dialWithRetries retries fn the way the official plugin does (pulumi sdk's
// retry.Until): every error is retried, the first wait is 100 ms and each
// next one 1.5 times longer, up to 5 s; after `limit` failed retries (limit
// < 0: no limit) it gives up with "after N failed attempts". With the default
// limit of 10 that is 11 attempts over about 11 s.
func dialWithRetries(ctx context.Context, what string, limit int, fn func() (*ssh.Client, error)) (*ssh.Client, error) {
	log := p.GetLogger(ctx)
	delay := firstRetryDelay
	limitText := strconv.Itoa(limit)
	if limit < 0 {
		limitText = "inf"
	}
	for failed := 0; ; failed++ {
		c, err := fn()
		if err == nil {
			return c, nil
		}
		if limit >= 0 && failed >= limit {
			return nil, fmt.Errorf("after %d failed attempts: %w", failed, err)
		}
		log.InfoStatusf("%s %d/%s failed: retrying", what, failed+1, limitText)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		delay = min(time.Duration(float64(delay)*retryBackoff), maxRetryDelay)
	}
}

// clientConfig builds the ssh.ClientConfig for e. The returned func closes
// the agent socket, if one was opened.
func clientConfig(e endpoint) (*ssh.ClientConfig, func() error, error) {
	noop := func() error { return nil }
	var auths []ssh.AuthMethod

	// The private key goes first: the documented rule is that it takes
	// preference over the password.
	if key := deref(e.privateKey); key != "" {
		var signer ssh.Signer
		var err error
		if pass := deref(e.privateKeyPassword); pass != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(key), []byte(pass))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(key))
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, noop, errors.New("privateKey is encrypted: set privateKeyPassword")
			}
		}
		if err != nil {
			// Never include the key material in the message.
			return nil, noop, fmt.Errorf("could not parse privateKey: %v", err)
		}
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if pw := deref(e.password); pw != "" {
		auths = append(auths, ssh.Password(pw))
		// Many sshd setups only offer keyboard-interactive for passwords.
		auths = append(auths, ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = pw
			}
			return answers, nil
		}))
	}
	// SSH agent: agentSocketPath, else SSH_AUTH_SOCK (documented default).
	closeAgent := noop
	sock, explicit := deref(e.agentSocketPath), true
	if sock == "" {
		sock, explicit = os.Getenv("SSH_AUTH_SOCK"), false
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		switch {
		case err == nil:
			auths = append(auths, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			closeAgent = conn.Close
		case explicit:
			return nil, noop, fmt.Errorf("could not open SSH agent socket %s: %v", sock, err)
		}
	}
	if len(auths) == 0 {
		return nil, noop, errors.New("no authentication method: set privateKey, password or agentSocketPath")
	}

	hostKeyCallback := ssh.InsecureIgnoreHostKey() // documented: no hostKey => not verified
	if hk := deref(e.hostKey); hk != "" {
		want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hk))
		if err != nil {
			closeAgent()
			return nil, noop, fmt.Errorf("could not parse hostKey (expected e.g. \"ssh-ed25519 AAAA...\"): %v", err)
		}
		fixed := ssh.FixedHostKey(want)
		hostKeyCallback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			if err := fixed(hostname, remote, key); err != nil {
				return fmt.Errorf("%w: %s presented %s %s", errHostKeyMismatch, hostname,
					key.Type(), ssh.FingerprintSHA256(key))
			}
			return nil
		}
	}

	return &ssh.ClientConfig{
		User:            e.user,
		Auth:            auths,
		HostKeyCallback: hostKeyCallback,
		Timeout:         e.perDialTimeout,
	}, closeAgent, nil
}
