package main

import "strconv"

// Node is a node of the expression tree that Parse builds.
type Node interface {
	// String returns the expression with every operation in parentheses,
	// so that its structure shows: 1+2*3 is "(1 + (2 * 3))" and -2 is "(-2)".
	// Parse reads it back as the same tree.
	String() string
}

// Num is a number.
type Num struct {
	Pos  int    // byte offset of the number in the input
	Text string // the number as written, e.g. "1.5e3"
	Val  float64
}

// Unary is a sign applied to an operand: -X or +X.
type Unary struct {
	Pos int    // byte offset of the sign
	Op  string // "+" or "-"
	X   Node
}

// Binary is an operator applied to two operands: X Op Y.
type Binary struct {
	Pos  int    // byte offset of the operator
	Op   string // one of + - * / % ^
	X, Y Node
}

func (n *Num) String() string {
	return n.Text
}

func (n *Unary) String() string {
	return "(" + n.Op + n.X.String() + ")"
}

func (n *Binary) String() string {
	return "(" + n.X.String() + " " + n.Op + " " + n.Y.String() + ")"
}

// maxDepth bounds how deeply an expression may nest, so that the
// recursive functions in this program stay shallow whatever the input.
// At most maxDepth parentheses may be open at once, and at most maxDepth
// operators may enclose one another in the tree: 1+2+3 nests two deep,
// as it means ((1 + 2) + 3). String writes one pair of parentheses per
// operator, so Parse accepts the String of any tree it returns.
const maxDepth = 1000

// tooDeep is the message for an expression that nests more than maxDepth deep.
var tooDeep = "expression nested too deeply (more than " + strconv.Itoa(maxDepth) + " levels)"

// checkDepth returns an error if n, at the given depth, or any node
// below it is an operator more than maxDepth operators deep.
func checkDepth(n Node, depth int) error {
	var pos int
	var operands []Node
	switch n := n.(type) {
	case *Unary:
		pos, operands = n.Pos, []Node{n.X}
	case *Binary:
		pos, operands = n.Pos, []Node{n.X, n.Y}
	default:
		return nil
	}
	if depth > maxDepth {
		return newError(pos, tooDeep)
	}
	for _, x := range operands {
		if err := checkDepth(x, depth+1); err != nil {
			return err
		}
	}
	return nil
}
