package recipes

import "strings"

// ExpandVars expands $(VAR) references in s with Kubernetes' rules (those of a container's
// command, args and env values): $(NAME) becomes lookup(NAME) when it is defined and stays as
// written when it is not; $$ is a literal $ (so $$(NAME) is the text "$(NAME)"); any other $
// is kept; an unterminated "$(" is kept as written.
func ExpandVars(s string, lookup func(name string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
