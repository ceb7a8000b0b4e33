package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

func runValidate(ctx context.Context, args []string, out, errOut io.Writer) int {
	var f envFlags
	fs := newFlagSet("validate", errOut, &f)
	_, t, code := parseAndLoad(fs, args, &f, errOut)
	if t == nil {
		return code
	}
	if f.Format == "json" {
		return writeJSON(out, errOut, map[string]any{
			"environment": t.Environment.Name, "target": t.Environment.Target, "file": t.File,
			"regions": t.RegionNames(), "primary": t.Primary().Name, "services": len(t.Services),
		})
	}
	fmt.Fprintf(out, "%s: environment %q (target %s): %d region(s), primary %s, %d service(s): valid\n",
		t.File, t.Environment.Name, t.Environment.Target, len(t.Regions), t.Primary().Name, len(t.Services))
	return exitOK
}

func writeJSON(out, errOut io.Writer, v any) int {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(errOut, "bulwark: %v\n", err)
		return exitFailed
	}
	return exitOK
}
