//go:build tools

// Package tools pins the Node.js language host's main package. Newer Pulumi releases moved the
// host into its own Go module, which the module proxy does not serve; v3.68.0 is the last SDK
// release that still carries it inside github.com/pulumi/pulumi/sdk/v3.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
