package hostile

import "strings"

// String is one hostile string and what it tries.
type String struct{ What, Value string }

// Strings are every hostile string, by what each tries.
var Strings = []String{
	{"single quote", "it's"},
	{"double quote", `say "hi"`},
	{"backslash", `a\b`},
	{"newline", "a\nb"},
	{"carriage return", "a\rb"},
	{"NUL", "a\x00b"},
	{"LUA long bracket", "a]]b"},
	{"LUA string breakout", "a')os.execute('id')--"},
	{"LUA concatenation", "a'..os.getenv('HOME')..'b"},
	{"HAProxy comment", "a#b"},
	{"HAProxy space", "a b"},
	{"HAProxy server line", "x\n  server evil 10.0.0.1:80"},
	{"shell substitution", "$(rm -rf /)"},
	{"backticks", "`id`"},
	{"semicolon", "a;reboot"},
	{"Go template", "{{ $labels }}"},
	{"HCL template", "${path.root}"},
	{"path traversal", "../../etc"},
	{"invalid UTF-8", "a\xff\xfeb"},
	{"non-ASCII", "café"},
	{"10 000 characters", strings.Repeat("a", 10000)},
	{"leading space", " shop"},
	{"trailing space", "shop "},
	{"uppercase", "UPPER"},
}
