package main

import (
	"strconv"
	"strings"
)

// parser holds the state of one call to Parse.
type parser struct {
	toks   []Token // tokens not yet consumed, ending with EOF
	parens int     // parentheses open
	ops    int     // signs and ^ operators waiting for their operand
}

// Parse parses one expression and returns its tree. The grammar is
//
//	expr    = term { ( "+" | "-" ) term } .
//	term    = unary { ( "*" | "/" | "%" ) unary } .
//	unary   = ( "+" | "-" ) unary | power .
//	power   = primary [ "^" unary ] .
//	primary = number | "(" expr ")" .
//
// with the tokens described at Lex. Nesting is limited as described
// at maxDepth.
func Parse(input string) (Node, error) {
	toks, err := Lex(input)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	switch t := p.next(); t.Kind {
	case EOF:
	case RParen:
		return nil, newError(t.Pos, "unmatched ')'")
	default:
		return nil, newError(t.Pos, "unexpected "+t.String()+", want an operator")
	}
	if err := checkDepth(x, 1); err != nil {
		return nil, err
	}
	return x, nil
}

// expr parses
//
//	expr = term { ( "+" | "-" ) term } .
func (p *parser) expr() (Node, error) { return p.binary("+-", p.term) }

// term parses
//
//	term = unary { ( "*" | "/" | "%" ) unary } .
func (p *parser) term() (Node, error) { return p.binary("*/%", p.unary) }

// binary parses operands separated by any of the operators in ops,
// grouping them to the left: 1-2-3 is ((1-2)-3).
func (p *parser) binary(ops string, operand func() (Node, error)) (Node, error) {
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for p.atOp(ops) {
		op := p.next()
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = &Binary{Pos: op.Pos, Op: op.Text, X: x, Y: y}
	}
	return x, nil
}

// unary parses
//
//	unary = ( "+" | "-" ) unary | power .
//
// A sign applies to a whole power, so -2^2 is -(2^2).
func (p *parser) unary() (Node, error) {
	if !p.atOp("+-") {
		return p.power()
	}
	op := p.next()
	x, err := p.nested(&p.ops, op, p.unary)
	if err != nil {
		return nil, err
	}
	return &Unary{Pos: op.Pos, Op: op.Text, X: x}, nil
}

// power parses
//
//	power = primary [ "^" unary ] .
//
// The exponent is itself a unary, so ^ groups to the right
// (2^3^2 is 2^(3^2)) and may take a sign (2^-1).
func (p *parser) power() (Node, error) {
	x, err := p.primary()
	if err != nil || !p.atOp("^") {
		return x, err
	}
	op := p.next()
	y, err := p.nested(&p.ops, op, p.unary)
	if err != nil {
		return nil, err
	}
	return &Binary{Pos: op.Pos, Op: op.Text, X: x, Y: y}, nil
}

// primary parses
//
//	primary = number | "(" expr ")" .
func (p *parser) primary() (Node, error) {
	t := p.next()
	switch t.Kind {
	case Number:
		v, err := strconv.ParseFloat(t.Text, 64)
		if err != nil {
			return nil, newError(t.Pos, "number "+t.Text+" is out of range")
		}
		return &Num{Pos: t.Pos, Text: t.Text, Val: v}, nil
	case LParen:
		x, err := p.nested(&p.parens, t, p.expr)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.Kind != RParen {
			return nil, newError(t.Pos, "unexpected "+t.String()+", want ')'")
		}
		return x, nil
	}
	return nil, newError(t.Pos, "unexpected "+t.String()+", want a number or '('")
}

// nested calls parse one level deeper in *depth, which counts the
// parentheses, or the operators, open at token t.
func (p *parser) nested(depth *int, t Token, parse func() (Node, error)) (Node, error) {
	*depth++
	defer func() { *depth-- }()
	if *depth > maxDepth {
		return nil, newError(t.Pos, tooDeep)
	}
	return parse()
}

// atOp reports whether the next token is one of the operators in ops.
func (p *parser) atOp(ops string) bool {
	t := p.toks[0]
	return t.Kind == Op && strings.Contains(ops, t.Text)
}

// next consumes and returns the next token.
// At the end of the input it returns EOF every time.
func (p *parser) next() Token {
	t := p.toks[0]
	if t.Kind != EOF {
		p.toks = p.toks[1:]
	}
	return t
}
