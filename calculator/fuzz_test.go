package main

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse and Eval never panic, that whatever Parse
// accepts prints (String) as an expression that parses to the same tree,
// and that every result prints (Format) as an expression for itself.
func FuzzParse(f *testing.F) {
	for _, test := range lexTests {
		f.Add(test.input)
	}
	for _, test := range parseTests {
		f.Add(test.input)
	}
	for _, test := range parseErrorTests {
		f.Add(test.input)
	}
	for _, test := range evalTests {
		f.Add(test.input)
	}
	for _, test := range badInputs {
		f.Add(test.input)
	}
	f.Fuzz(func(t *testing.T, input string) {
		n, err := Parse(input)
		if err != nil {
			checkError(t, input, err)
			return
		}
		s := n.String()
		n2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", input, s, err)
		}
		if s2 := n2.String(); s2 != s {
			t.Fatalf("Parse(%q) = %s, which parses as %s", input, s, s2)
		}
		v, err := Eval(n)
		if err != nil {
			checkError(t, input, err)
			return
		}
		out := Format(v)
		n3, err := Parse(out)
		if err != nil {
			t.Fatalf("Eval(%q) prints as %s, which does not parse: %v", input, out, err)
		}
		if v3, err := Eval(n3); err != nil || v3 != v {
			t.Fatalf("Eval(%q) = %v, printed as %s, which evaluates to %v, %v", input, v, out, v3, err)
		}
	})
}

// checkError checks that err is an *Error pointing into input.
func checkError(t *testing.T, input string, err error) {
	var e *Error
	if !errors.As(err, &e) || e.Pos < 0 || e.Pos > len(input) {
		t.Fatalf("%q: error %#v, want an *Error within the input", input, err)
	}
}
