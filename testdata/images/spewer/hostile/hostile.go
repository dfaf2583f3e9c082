// Package hostile holds what spewer -hostile mixes into its lines: fragments a container
// could print to attack a terminal, each with the text a safe view keeps of it. The terminal
// sanitiser's tests (internal/termsafe) check these very fragments.
package hostile

// Fragment is one piece of hostile output.
type Fragment struct {
	Raw  string // as the container prints it
	Text string // what remains of it as plain text: escape sequences and controls removed
}

// Fragments are colours (allowed on a terminal), cursor movement, screen clearing, a title,
// a clipboard write (OSC 52), a hyperlink, a device query (DCS), carriage return, backspace,
// bell and a bidi override.
var Fragments = []Fragment{
	{"\x1b[31mred\x1b[0m", "red"},
	{"\x1b[2J\x1b[H", ""},
	{"\x1b[5;10H", ""},
	{"\x1b]0;pwned title\x07", ""},
	{"\x1b]52;c;aGFja2Vk\x07", ""},
	{"\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\", "link"},
	{"\x1bP+q544e\x1b\\", ""},
	{"over\rwrite", "overwrite"},
	{"back\b\bspace", "backspace"},
	{"bell\a", "bell"},
	{"\u202edesrever\u202c", "desrever"},
}
