package main

import (
	"math"
	"testing"
)

type evalTest struct {
	input string
	want  string // the result as Format prints it, or the error
}

var evalTests = []evalTest{
	{"2 + 3", "5"},
	{"2*(3+4)", "14"},
	{"1+2*3", "7"},
	{"10-4-3", "3"},
	{"100/10/5", "2"},
	{"7/2", "3.5"},
	{"7%3", "1"},
	{"-7%3", "-1"},
	{"5.5%2", "1.5"},
	{"2^10", "1024"},
	{"2^3^2", "512"},
	{"-2^2", "-4"},
	{"(-2)^2", "4"},
	{"2^-1", "0.5"},
	{"2^0.5", "1.4142135623730951"},
	{"-3", "-3"},
	{"--3", "3"},
	{"+-+3", "-3"},
	{"1 - -1", "2"},
	{".5+.5", "1"},
	{"1e3", "1000"},
	{"1.5E-2", "0.015"},
	{"0.1+0.2", "0.30000000000000004"},
	{"1/3", "0.3333333333333333"},
	{"2/3*3", "2"},
	{"-0", "0"},
	{"0*-1", "0"},
	{"1e-400", "0"},
	{"123456789*1000", "123456789000"},
	{"999999999999999", "999999999999999"},
	{"1e15", "1e+15"},
	{"2^60", "1.152921504606847e+18"},
	{"1e300", "1e+300"},
	{"1/100000", "1e-05"},
	{"1/0", "col 2: division by zero"},
	{"1 % 0", "col 3: modulo by zero"},
	{"5 % (2-2)", "col 3: modulo by zero"},
	{"0/0", "col 2: division by zero"},
	{"1e308*10", "col 6: result out of range"},
	{"10^400", "col 3: result out of range"},
	{"0^-1", "col 2: result out of range"},
	{"-1e308-1e308", "col 7: result out of range"},
	{"(-8)^(1/3)", "col 5: result is not a number"},
	{"1 + 2/0", "col 6: division by zero"},
}

func TestEval(t *testing.T) {
	for _, test := range evalTests {
		n, err := Parse(test.input)
		if err != nil {
			t.Errorf("Parse(%q): %v", test.input, err)
			continue
		}
		v, err := Eval(n)
		got := Format(v)
		if err != nil {
			got = err.Error()
		}
		if got != test.want {
			t.Errorf("Eval(%q) = %s, want %s", test.input, got, test.want)
		}
	}
}

func TestEvalUnknownNode(t *testing.T) {
	if _, err := Eval(nil); err == nil {
		t.Error("Eval(nil) succeeded, want error")
	}
	if _, err := Eval(&Binary{Op: "?", X: &Num{}, Y: &Num{}}); err == nil {
		t.Error("Eval of unknown operator succeeded, want error")
	}
}

func TestFormat(t *testing.T) {
	for _, test := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{7, "7"},
		{-7, "-7"},
		{0.25, "0.25"},
		{1e-4, "0.0001"},
		{1.5e-7, "1.5e-07"},
		{1234567.5, "1234567.5"},
		{1e15 - 1, "999999999999999"},
		{1e15, "1e+15"},
		{-1e21, "-1e+21"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
	} {
		if got := Format(test.v); got != test.want {
			t.Errorf("Format(%v) = %q, want %q", test.v, got, test.want)
		}
	}
}
