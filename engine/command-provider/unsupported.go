package main

// Everything in the command package other than remote:Command. infer
// delegates tokens it does not know to this wrapped provider, so a program
// using e.g. local.Command fails at its first Check (during preview, before
// anything ran) with a message saying why, instead of a bare "not found".

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
)

func unsupported(token string) error {
	return fmt.Errorf("%s is not supported by this plugin build: flaskstack's pulumi-resource-command "+
		"(engine/command-provider) implements only command:remote:Command and command:remote:CopyToRemote", token)
}

func unsupportedProvider() p.Provider {
	return p.Provider{
		Check: func(_ context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			return p.CheckResponse{}, unsupported(string(req.Urn.Type()))
		},
		Diff: func(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			return p.DiffResponse{}, unsupported(string(req.Urn.Type()))
		},
		Create: func(_ context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			return p.CreateResponse{}, unsupported(string(req.Urn.Type()))
		},
		Read: func(_ context.Context, req p.ReadRequest) (p.ReadResponse, error) {
			return p.ReadResponse{}, unsupported(string(req.Urn.Type()))
		},
		Update: func(_ context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
			return p.UpdateResponse{}, unsupported(string(req.Urn.Type()))
		},
		Delete: func(_ context.Context, req p.DeleteRequest) error {
			return unsupported(string(req.Urn.Type()))
		},
		Invoke: func(_ context.Context, req p.InvokeRequest) (p.InvokeResponse, error) {
			return p.InvokeResponse{}, unsupported(string(req.Token))
		},
	}
}
