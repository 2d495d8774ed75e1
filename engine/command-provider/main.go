// Command pulumi-resource-command is flaskstack's own resource plugin for the
// `command` package, written from scratch so that the unmodified
// `@pulumi/command` 1.2.1 npm SDK has something to talk to.
//
// Why it exists: the official plugin cannot be built on our machines (the Go
// module proxy refuses the pulumi-command provider module), and the machines
// cannot download prebuilt plugins. The npm SDK asks the engine for plugin
// `command` at exactly version `1.2.1`, so this binary reports that name and
// version; the engine then finds it on PATH (or in the plugin cache after
// `pulumi plugin install resource command 1.2.1 --file <binary>`).
//
// Scope: `command:remote:Command` is implemented (see command.go). Every other
// token of the package (remote:CopyToRemote, remote:CopyFile, local:Command,
// local:run) fails with a clear "not supported by this plugin build" error
// (see unsupported.go) rather than misbehaving silently.
//
// Build: cd engine/command-provider && go build -trimpath -o ../bin/pulumi-resource-command .
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

const (
	// The SDK registers resources with `version: "1.2.1"` (from its
	// package.json), and the engine looks up plugin `command` at that exact
	// version, so both must match what the SDK expects.
	pluginName    = "command"
	pluginVersion = "1.2.1"
)

func main() {
	prov, err := newProvider()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), pluginName, pluginVersion, prov); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}

// newProvider assembles the provider: infer derives Check/Create/Update/
// Delete/Read plumbing (secret and unknown propagation, encoding) from the Go
// types in command.go; Diff is replaced by our own property-level diff (see
// diff.go) because infer's default cannot express "triggers replace, all else
// updates" reliably for nested array elements or unknown values.
func newProvider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("command").
		WithNamespace("flaskstack").
		WithDescription("flaskstack's from-scratch plugin for @pulumi/command (remote:Command only).").
		WithResources(infer.Resource[*Command, CommandInputs, CommandOutputs](&Command{})).
		WithWrapped(unsupportedProvider()).
		Build()
	if err != nil {
		return p.Provider{}, err
	}

	inferDiff := prov.Diff
	prov.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		if string(req.Urn.Type()) == commandToken {
			return diffCommand(req)
		}
		return inferDiff(ctx, req)
	}
	return prov, nil
}
