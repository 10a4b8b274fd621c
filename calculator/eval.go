package main

import (
	"errors"
	"math"
	"strconv"
)

// Eval returns the value of the expression n, computed in float64.
// % is the floating-point remainder, as math.Mod: its result has
// the sign of the left operand, so -7 % 3 is -1.
//
// Division or modulo by zero, and any result that
// is infinite or not a number (NaN) are errors, at the operator.
func Eval(n Node) (float64, error) {
	switch n := n.(type) {
	case *Num:
		return n.Val, nil
	case *Unary:
		x, err := Eval(n.X)
		if err != nil {
			return 0, err
		}
		if n.Op == "-" {
			x = -x
		}
		return x, nil
	case *Binary:
		x, err := Eval(n.X)
		if err != nil {
			return 0, err
		}
		y, err := Eval(n.Y)
		if err != nil {
			return 0, err
		}
		return binary(n, x, y)
	}
	return 0, errors.New("eval: not an expression node")
}

// binary returns x n.Op y.
func binary(n *Binary, x, y float64) (float64, error) {
	var v float64
	switch n.Op {
	case "+":
		v = x + y
	case "-":
		v = x - y
	case "*":
		v = x * y
	case "/":
		if y == 0 {
			return 0, newError(n.Pos, "division by zero")
		}
		v = x / y
	case "%":
		if y == 0 {
			return 0, newError(n.Pos, "modulo by zero")
		}
		v = math.Mod(x, y)
	case "^":
		v = math.Pow(x, y)
	default:
		return 0, newError(n.Pos, "unknown operator "+strconv.Quote(n.Op))
	}
	if math.IsInf(v, 0) {
		return 0, newError(n.Pos, "result out of range")
	}
	if math.IsNaN(v) {
		return 0, newError(n.Pos, "result is not a number")
	}
	return v, nil
}

// Format returns v as calc prints it, in the shortest form that reads
// back as the same float64. Values from 1e-4 up to 1e15 in magnitude
// are written out in full (7, 0.25, 1234567.5), so integral results
// print as integers; all of them are exact in a float64. Smaller and
// larger values take an exponent (1e-05, 1e+15, 1.5e+300) rather than
// a long run of zeros, which for large integers would suggest digits a
// float64 does not hold. Negative zero prints as 0.
func Format(v float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e-4 && a < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
