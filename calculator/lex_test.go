package main

import (
	"fmt"
	"strings"
	"testing"
)

type lexTest struct {
	name  string
	input string
	want  string // the tokens as Kind:Text@Pos, or the error
}

var lexTests = []lexTest{
	{"empty", "", "EOF@0"},
	{"spaces", " \t\r\n", "EOF@4"},
	{"integer", "42", "Number:42@0 EOF@2"},
	{"decimal", "2.5", "Number:2.5@0 EOF@3"},
	{"leading dot", ".5", "Number:.5@0 EOF@2"},
	{"exponent", "1e3", "Number:1e3@0 EOF@3"},
	{"signed exponent", "1.5E-2", "Number:1.5E-2@0 EOF@6"},
	{"plus exponent", ".5e+10", "Number:.5e+10@0 EOF@6"},
	{"operators", "+-*/%^", "Op:+@0 Op:-@1 Op:*@2 Op:/@3 Op:%@4 Op:^@5 EOF@6"},
	{"parens", "(1)", "LParen:(@0 Number:1@1 RParen:)@2 EOF@3"},
	{"spaced", " 2 *\t(3+4) ", "Number:2@1 Op:*@3 LParen:(@5 Number:3@6 Op:+@7 Number:4@8 RParen:)@9 EOF@11"},
	{"no spaces", "2^-1", "Number:2@0 Op:^@1 Op:-@2 Number:1@3 EOF@4"},
	{"number after number", "1.2.3", "Number:1.2@0 Number:.3@3 EOF@5"},
	{"trailing dot", "5.", `col 1: malformed number "5."`},
	{"double dot", "1..2", `col 1: malformed number "1."`},
	{"lone dot", ".", `col 1: malformed number "."`},
	{"dot exponent", ".e1", `col 1: malformed number "."`},
	{"bare exponent", "1e", `col 1: malformed number "1e"`},
	{"signed bare exponent", "2 + 1e+", `col 5: malformed number "1e+"`},
	{"letter", "2x", "col 2: unexpected character 'x'"},
	{"non-ASCII", "2 × 3", "col 3: unexpected character '×'"},
	{"invalid UTF-8", "1+\xff", `col 3: unexpected character '\xff'`},
	{"NUL", "1\x00", `col 2: unexpected character '\x00'`},
	{"comma", "1,5", "col 2: unexpected character ','"},
}

var kindNames = map[Kind]string{EOF: "EOF", Number: "Number", Op: "Op", LParen: "LParen", RParen: "RParen"}

// show returns toks in the form used by lexTests.
func show(toks []Token) string {
	var s []string
	for _, t := range toks {
		if t.Kind == EOF {
			s = append(s, fmt.Sprintf("EOF@%d", t.Pos))
			continue
		}
		s = append(s, fmt.Sprintf("%s:%s@%d", kindNames[t.Kind], t.Text, t.Pos))
	}
	return strings.Join(s, " ")
}

func TestLex(t *testing.T) {
	for _, test := range lexTests {
		toks, err := Lex(test.input)
		got := show(toks)
		if err != nil {
			got = err.Error()
		}
		if got != test.want {
			t.Errorf("%s: Lex(%q) = %s, want %s", test.name, test.input, got, test.want)
		}
	}
}

func TestTokenString(t *testing.T) {
	for _, test := range []struct {
		tok  Token
		want string
	}{
		{Token{Kind: EOF}, "end of input"},
		{Token{Number, 0, "2.5"}, "number 2.5"},
		{Token{Op, 0, "+"}, "'+'"},
		{Token{RParen, 0, ")"}, "')'"},
	} {
		if got := test.tok.String(); got != test.want {
			t.Errorf("%#v.String() = %q, want %q", test.tok, got, test.want)
		}
	}
}
