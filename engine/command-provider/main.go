// Command pulumi-resource-command is flaskstack's stand-in for the official
// resource plugin of the `command` package, written from scratch so that the
// unmodified `@pulumi/command` 1.2.1 npm SDK has something to talk to where
// the official binary is absent.
//
// Why it exists: the official plugin cannot be built from the Go module proxy
// (it refuses the pulumi-command provider module) and machines without
// internet cannot download it. Where a binary of it is at hand, the scripts
// install that one instead; this stand-in is then compared with it by the
// conformance test. The npm SDK asks the engine for plugin
// `command` at exactly version `1.2.1`, so this binary reports that name and
// version; the engine then finds it on PATH (or in the plugin cache after
// `pulumi plugin install resource command 1.2.1 --file <binary>`).
//
// Scope: `command:remote:Command` (command.go, run.go) and
// `command:remote:CopyToRemote` (copy.go), behaving as the official plugin
// v1.2.1 does wherever a program could tell the difference. Every other token
// of the package (remote:CopyFile, local:Command, local:run) fails with a
// clear "not supported by this plugin build" error (see unsupported.go).
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

// newProvider assembles the provider: infer derives Check/Diff/Create/Update/
// Delete/Read (secret and unknown propagation, encoding, the detailed diff)
// from the Go types in command.go and copy.go, as it does for the official
// plugin, so diffs name the same keys ("create", "triggers[0]", ...).
func newProvider() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("command").
		WithNamespace("flaskstack").
		WithDescription("flaskstack's stand-in for the official @pulumi/command plugin (remote:Command and remote:CopyToRemote).").
		WithResources(
			infer.Resource[*Command, CommandInputs, CommandOutputs](&Command{}),
			infer.Resource[*CopyToRemote, CopyToRemoteInputs, CopyToRemoteOutputs](&CopyToRemote{}),
		).
		WithWrapped(unsupportedProvider()).
		Build()
}
