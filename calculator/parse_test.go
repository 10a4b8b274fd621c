package main

import (
	"strings"
	"testing"
)

type parseTest struct {
	input string
	want  string // String() of the tree, or the error
}

var parseTests = []parseTest{
	{"1", "1"},
	{"2.50", "2.50"},
	{"(1)", "1"},
	{"((((7))))", "7"},
	{"1+2*3", "(1 + (2 * 3))"},
	{"(1+2)*3", "((1 + 2) * 3)"},
	{"1-2-3", "((1 - 2) - 3)"},
	{"8/4/2", "((8 / 4) / 2)"},
	{"7%3*2", "((7 % 3) * 2)"},
	{"2^3^2", "(2 ^ (3 ^ 2))"},
	{"-2^2", "(-(2 ^ 2))"},
	{"(-2)^2", "((-2) ^ 2)"},
	{"2^-1", "(2 ^ (-1))"},
	{"-2", "(-2)"},
	{"+-+1", "(+(-(+1)))"},
	{"1 - -1", "(1 - (-1))"},
	{"2*-3", "(2 * (-3))"},
	{"-2*3", "((-2) * 3)"},
	{" 1 + 2 ", "(1 + 2)"},
	{"1e3*.5", "(1e3 * .5)"},
	{"1e-400", "1e-400"},
	{"(1 + (2 * 3))", "(1 + (2 * 3))"},
	{strings.Repeat("(", maxDepth) + "1" + strings.Repeat(")", maxDepth), "1"},
	{strings.Repeat("-", maxDepth) + "1", strings.Repeat("(-", maxDepth) + "1" + strings.Repeat(")", maxDepth)},
}

var parseErrorTests = []parseTest{
	{"", "col 1: unexpected end of input, want a number or '('"},
	{"2 * ", "col 5: unexpected end of input, want a number or '('"},
	{"2 3", "col 3: unexpected number 3, want an operator"},
	{"1.2.3", "col 4: unexpected number .3, want an operator"},
	{"(1", "col 3: unexpected end of input, want ')'"},
	{"(1 2)", "col 4: unexpected number 2, want ')'"},
	{"1)", "col 2: unmatched ')'"},
	{"()", "col 2: unexpected ')', want a number or '('"},
	{")", "col 1: unexpected ')', want a number or '('"},
	{"*2", "col 1: unexpected '*', want a number or '('"},
	{"2^", "col 3: unexpected end of input, want a number or '('"},
	{"2 */ 3", "col 4: unexpected '/', want a number or '('"},
	{"1e400", "col 1: number 1e400 is out of range"},
	{"1e", `col 1: malformed number "1e"`},
	{strings.Repeat("(", maxDepth+1) + "1" + strings.Repeat(")", maxDepth+1),
		"col 1001: expression nested too deeply (more than 1000 levels)"},
	{strings.Repeat("-", maxDepth+1) + "1", "col 1001: expression nested too deeply (more than 1000 levels)"},
	{strings.Repeat("2^", maxDepth+1) + "2", "col 2002: expression nested too deeply (more than 1000 levels)"},
	{strings.Repeat("1+", maxDepth+1) + "1", "col 2: expression nested too deeply (more than 1000 levels)"},
}

func TestParse(t *testing.T) {
	for _, test := range parseTests {
		n, err := Parse(test.input)
		if err != nil {
			t.Errorf("Parse(%.40q): %v", test.input, err)
			continue
		}
		if got := n.String(); got != test.want {
			t.Errorf("Parse(%.40q) = %.40s, want %.40s", test.input, got, test.want)
		}
		// The fully parenthesised form must parse to the same tree.
		if n2, err := Parse(n.String()); err != nil || n2.String() != n.String() {
			t.Errorf("Parse(%.40q) does not read back: %v", n.String(), err)
		}
	}
}

func TestParseError(t *testing.T) {
	for _, test := range parseErrorTests {
		n, err := Parse(test.input)
		if err == nil {
			t.Errorf("Parse(%.40q) = %.40s, want error %q", test.input, n, test.want)
			continue
		}
		if _, ok := err.(*Error); !ok || err.Error() != test.want {
			t.Errorf("Parse(%.40q): error %#v, want %q", test.input, err, test.want)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	// A chain of maxDepth operators is as deep as a tree may be.
	ok := strings.Repeat("1+", maxDepth) + "1"
	n, err := Parse(ok)
	if err != nil {
		t.Fatalf("Parse(%.20q...): %v", ok, err)
	}
	if _, err := Parse(n.String()); err != nil {
		t.Errorf("Parse(String()) of %d-deep tree: %v", maxDepth, err)
	}
}
