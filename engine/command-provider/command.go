package main

// The command:remote:Command resource.
//
// Property names and shapes mirror node_modules/@pulumi/command/remote/command.d.ts
// and types/input.d.ts of SDK 1.2.1 exactly, because the SDK sends and reads
// them by name. Behaviour follows the documented semantics of the official
// provider:
//   - create runs once on creation; update (or create when update is unset)
//     runs when any input changes; delete runs on deletion/replacement.
//   - a change of `triggers` replaces the resource (infer's default diff with
//     the `replaceOnChanges` tag below, plus the SDK's `triggers[*]` option).
//   - stdout/stderr are captured as outputs, with one trailing "\n" removed
//     (so `echo hi` yields "hi", like the official plugin).
//   - nothing runs on the host during preview (DryRun) or on Read/refresh.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

const commandToken = "command:remote:Command"

// Command is the resource controller; it holds no state of its own.
type Command struct{}

// Annotate pins the token: dispatch matches "<module>:<name>", and the
// package part comes from the plugin name ("command").
func (c *Command) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Command")
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
}

// Connection is the SDK's remote.ConnectionArgs. The SDK applies the defaults
// (port 22, user root, dialErrorLimit 10, perDialTimeout 15) before sending,
// but we default again in ssh.go so Command.get()/imported state also work.
//
// Numbers arrive from JavaScript as floats; they are declared float64 so the
// decoder never rejects e.g. 22.0, and converted where used.
//
// provider:"secret" on the credentials makes infer re-mark them secret in
// Check even if a caller forgot to (the SDK already wraps the whole
// connection in pulumi.secret and lists it in additionalSecretOutputs).
type Connection struct {
	Host               string           `pulumi:"host"`
	Port               *float64         `pulumi:"port,optional"`
	User               *string          `pulumi:"user,optional"`
	Password           *string          `pulumi:"password,optional" provider:"secret"`
	PrivateKey         *string          `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string          `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string          `pulumi:"agentSocketPath,optional"`
	HostKey            *string          `pulumi:"hostKey,optional"`
	DialErrorLimit     *float64         `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *float64         `pulumi:"perDialTimeout,optional"`
	Proxy              *ProxyConnection `pulumi:"proxy,optional"`
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "Connection")
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
}

// ProxyConnection is the SDK's remote.ProxyConnectionArgs (a bastion host).
type ProxyConnection struct {
	Host               string   `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional" provider:"secret"`
	PrivateKey         *string  `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
	DialErrorLimit     *float64 `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *float64 `pulumi:"perDialTimeout,optional"`
}

func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.SetToken("remote", "ProxyConnection")
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a bastion host.")
}

// CommandInputs are the SDK's CommandArgs.
type CommandInputs struct {
	Connection             *Connection       `pulumi:"connection" provider:"secret"`
	Environment            map[string]string `pulumi:"environment,optional"`
	Triggers               []any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string           `pulumi:"create,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Logging                *string           `pulumi:"logging,optional"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
}

// CommandOutputs: all inputs plus stdout/stderr. Embedding the inputs keeps
// their names identical in state, which is also what infer needs to flow
// each input's secretness onto the same-named output.
type CommandOutputs struct {
	CommandInputs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Logging values, from types/enums/remote (SDK enum remote.Logging).
const (
	logStdout          = "stdout"
	logStderr          = "stderr"
	logStdoutAndStderr = "stdoutAndStderr"
	logNone            = "none"
)

// Check wraps infer's default check (decode, secrets) with validation of the
// one enum input, so a typo fails at preview time instead of mid-deploy.
func (*Command) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[CommandInputs], error) {
	in, failures, err := infer.DefaultCheck[CommandInputs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[CommandInputs]{Inputs: in, Failures: failures}, err
	}
	if in.Logging != nil {
		switch *in.Logging {
		case "", logStdout, logStderr, logStdoutAndStderr, logNone: // "" = unknown during preview
		default:
			failures = append(failures, p.CheckFailure{
				Property: "logging",
				Reason: fmt.Sprintf("invalid value %q: expected one of %q, %q, %q, %q",
					*in.Logging, logStdout, logStderr, logStdoutAndStderr, logNone),
			})
		}
	}
	return infer.CheckResponse[CommandInputs]{Inputs: in, Failures: failures}, nil
}

// Create runs `create` (if set) and records its output.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandInputs]) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	if req.DryRun {
		// Preview: touch nothing; infer marks stdout/stderr as unknown.
		return infer.CreateResponse[CommandOutputs]{Output: state}, nil
	}
	id, err := newID(req.Name)
	if err != nil {
		return infer.CreateResponse[CommandOutputs]{}, err
	}
	if cmd := deref(state.Create); cmd != "" {
		// No previous output exists on create. An error here is returned
		// as-is, so the engine records nothing for this resource.
		state.Stdout, state.Stderr, err = state.run(ctx, cmd, nil)
		if err != nil {
			return infer.CreateResponse[CommandOutputs]{}, err
		}
	}
	return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, nil
}

// Update runs `update`, or `create` when no update command is set, like the
// official plugin. Only called when diffCommand reported a non-replacing change.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs]) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	if req.DryRun {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	cmd := deref(req.Inputs.Update)
	if cmd == "" {
		cmd = deref(req.Inputs.Create)
	}
	if cmd == "" {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	prev := &req.State
	stdout, stderr, err := state.run(ctx, cmd, prev)
	if err != nil {
		// The engine keeps the old state on a failed update.
		return infer.UpdateResponse[CommandOutputs]{}, err
	}
	state.Stdout, state.Stderr = stdout, stderr
	return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
}

// Delete runs `delete` (if set) with the stored connection; with no delete
// command nothing is contacted at all.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	cmd := deref(req.State.Delete)
	if cmd == "" {
		return infer.DeleteResponse{}, nil
	}
	_, _, err := req.State.run(ctx, cmd, &req.State)
	return infer.DeleteResponse{}, err
}

// Read is deliberately not implemented: infer's default returns the stored
// state unchanged, so `pulumi refresh` never runs anything on the host (a
// command has no observable "current state" to read back).

// newID returns "<name>-<8 hex chars>"; the ID only has to be unique.
func newID(name string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return name + "-" + hex.EncodeToString(b), nil
}

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}
