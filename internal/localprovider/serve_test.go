package localprovider

import "testing"

// A bulwark binary serves the plugin under the plugin's name (through a
// link, a copy or a hard link), and the control plane when the plugin
// started it by its own path; otherwise it is the CLI.
func TestInvoked(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"/state/pulumi-home/bulwark-provider/ab/pulumi-resource-bulwark"}, true},
		{[]string{"bin/pulumi-resource-bulwark", "127.0.0.1:4000"}, true},
		{[]string{"pulumi-resource-bulwark", ControlPlaneArg}, true},
		{[]string{"/go/bin/bulwark", ControlPlaneArg}, true},
		{[]string{"/go/bin/bulwark", "up", "--env", "dev"}, false},
		{[]string{"/go/bin/bulwark", "local", "serve"}, false},
		{[]string{"/go/bin/bulwark", ControlPlaneArg, "extra"}, false},
		{[]string{"/go/bin/bulwark"}, false},
		{nil, false},
	} {
		if got := Invoked(c.args); got != c.want {
			t.Errorf("Invoked(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
