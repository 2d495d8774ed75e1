package main

// Diff for command:remote:Command, done on raw property values instead of
// infer's typed default, because:
//   - infer's default decides "replace" by looking up each detailed-diff key
//     in the schema, but keys of changed array elements are "triggers[0]",
//     which never match, so a changed trigger would only update;
//   - decoding into Go structs turns unknown (preview) values into zero
//     values, which could hide a change; here an unknown new value always
//     counts as a change.
//
// Rules (those of the documented Command semantics):
//   - any change under `triggers` => replace (the SDK also sets
//     replaceOnChanges: ["triggers[*]"], so the engine agrees);
//   - any other changed input (create, update, delete, stdin, environment,
//     connection, logging, addPreviousOutputInEnv) => update, which re-runs
//     `update` (or `create`);
//   - no change => no changes, so the engine calls neither Update nor
//     anything remote on a no-op `pulumi up`.
// A change of secretness alone (plain -> secret) counts as a change, so that
// the new secretness reaches the stored outputs.

import (
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

var replaceKeys = map[resource.PropertyKey]bool{"triggers": true}

// Output-only properties: excluded when old inputs must be rebuilt from state.
var outputOnlyKeys = map[resource.PropertyKey]bool{"stdout": true, "stderr": true}

func diffCommand(req p.DiffRequest) (p.DiffResponse, error) {
	var olds resource.PropertyMap
	if req.OldInputs.Len() > 0 {
		olds = toResourceMap(req.OldInputs)
	} else {
		// Older engines do not send old inputs; state holds them (the
		// outputs embed every input under the same name).
		olds = toResourceMap(req.State)
		for k := range outputOnlyKeys {
			delete(olds, k)
		}
	}
	news := toResourceMap(req.Inputs)
	for _, m := range []resource.PropertyMap{olds, news} {
		for k := range m {
			if strings.HasPrefix(string(k), "__") { // engine-internal keys
				delete(m, k)
			}
		}
	}

	// ignoreChanges: treat the ignored paths as unchanged (the engine
	// usually applied them already; doing it again is harmless).
	if len(req.IgnoreChanges) > 0 {
		oldObj, newObj := resource.NewObjectProperty(olds), resource.NewObjectProperty(news)
		for _, s := range req.IgnoreChanges {
			path, err := resource.ParsePropertyPath(s)
			if err != nil {
				continue
			}
			if v, ok := path.Get(oldObj); ok {
				path.Set(newObj, v)
			} else {
				path.Delete(newObj)
			}
		}
	}

	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, string(k))
	}
	sort.Strings(sorted)

	detailed := map[string]p.PropertyDiff{}
	for _, ks := range sorted {
		k := resource.PropertyKey(ks)
		o, hasOld := olds[k]
		n, hasNew := news[k]
		hasOld = hasOld && !o.IsNull()
		hasNew = hasNew && !n.IsNull()

		var kind p.DiffKind
		switch {
		case !hasOld && !hasNew:
			continue
		case !hasOld:
			kind = p.Add
		case !hasNew:
			kind = p.Delete
		case n.ContainsUnknowns() || !o.DeepEquals(n):
			kind = p.Update
		default:
			continue
		}
		if replaceKeys[k] {
			switch kind {
			case p.Add:
				kind = p.AddReplace
			case p.Delete:
				kind = p.DeleteReplace
			default:
				kind = p.UpdateReplace
			}
		}
		detailed[ks] = p.PropertyDiff{Kind: kind, InputDiff: true}
	}

	return p.DiffResponse{
		HasChanges:   len(detailed) > 0,
		DetailedDiff: detailed,
		// Default create-before-delete ordering, as in the official plugin:
		// on replacement the new `create` runs, then the old `delete`.
		// Programs needing the opposite set `deleteBeforeReplace: true`.
		DeleteBeforeReplace: false,
	}, nil
}

func toResourceMap(m property.Map) resource.PropertyMap {
	v := resource.ToResourcePropertyValue(property.New(m))
	if !v.IsObject() {
		return resource.PropertyMap{}
	}
	return v.ObjectValue().Copy()
}
