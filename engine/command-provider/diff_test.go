package main

import (
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func inputs(create string, triggers ...property.Value) property.Map {
	m := map[string]property.Value{
		"connection": property.New(property.NewMap(map[string]property.Value{
			"host":       property.New("10.0.0.1"),
			"privateKey": property.New("KEY"),
		})).WithSecret(true),
		"create": property.New(create),
	}
	if triggers != nil {
		m["triggers"] = property.New(property.NewArray(triggers))
	}
	return property.NewMap(m)
}

func withOutputs(m property.Map) property.Map {
	return m.Set("stdout", property.New("out")).Set("stderr", property.New(""))
}

func TestDiffNoChange(t *testing.T) {
	old := inputs("echo a", property.New("t1"))
	resp, err := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: inputs("echo a", property.New("t1"))})
	if err != nil || resp.HasChanges || len(resp.DetailedDiff) != 0 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}
}

func TestDiffCommandChangeIsUpdate(t *testing.T) {
	old := inputs("echo a")
	resp, _ := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: inputs("echo b")})
	if !resp.HasChanges || resp.DetailedDiff["create"].Kind != p.Update || len(resp.DetailedDiff) != 1 {
		t.Fatalf("resp=%+v", resp)
	}
}

func TestDiffTriggerChangeIsReplace(t *testing.T) {
	old := inputs("echo a", property.New("t1"))
	resp, _ := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: inputs("echo a", property.New("t2"))})
	if resp.DetailedDiff["triggers"].Kind != p.UpdateReplace {
		t.Fatalf("resp=%+v", resp)
	}
	// Adding triggers where there were none also replaces.
	old = inputs("echo a")
	resp, _ = diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: inputs("echo a", property.New("t1"))})
	if resp.DetailedDiff["triggers"].Kind != p.AddReplace {
		t.Fatalf("resp=%+v", resp)
	}
}

func TestDiffUnknownIsChange(t *testing.T) {
	old := inputs("echo a")
	news := old.Set("create", property.New(property.Computed))
	resp, _ := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: news})
	if resp.DetailedDiff["create"].Kind != p.Update {
		t.Fatalf("resp=%+v", resp)
	}
}

func TestDiffFallsBackToStateWithoutOldInputs(t *testing.T) {
	old := inputs("echo a")
	// stdout/stderr in state must not count as removed inputs.
	resp, _ := diffCommand(p.DiffRequest{State: withOutputs(old), Inputs: inputs("echo a")})
	if resp.HasChanges {
		t.Fatalf("resp=%+v", resp)
	}
}

func TestDiffConnectionChangeIsUpdate(t *testing.T) {
	old := inputs("echo a")
	news := old.Set("connection", property.New(property.NewMap(map[string]property.Value{
		"host":       property.New("10.0.0.2"),
		"privateKey": property.New("KEY"),
	})).WithSecret(true))
	resp, _ := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: news})
	if resp.DetailedDiff["connection"].Kind != p.Update {
		t.Fatalf("resp=%+v", resp)
	}
}

func TestDiffIgnoreChanges(t *testing.T) {
	old := inputs("echo a")
	resp, _ := diffCommand(p.DiffRequest{OldInputs: old, State: withOutputs(old), Inputs: inputs("echo b"),
		IgnoreChanges: []string{"create"}})
	if resp.HasChanges {
		t.Fatalf("resp=%+v", resp)
	}
}
