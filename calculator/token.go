package main

import "strconv"

// Kind is the kind of a token.
type Kind int

const (
	EOF    Kind = iota // end of input
	Number             // 3, 2.5, .5, 1e3
	Op                 // one of + - * / % ^
	LParen             // (
	RParen             // )
)

// Token is one token of the input.
type Token struct {
	Kind Kind
	Pos  int    // byte offset of the token in the input, from 0
	Text string // the token as written; empty for EOF
}

// String describes t for error messages: "number 2.5", "'+'".
func (t Token) String() string {
	switch t.Kind {
	case EOF:
		return "end of input"
	case Number:
		return "number " + t.Text
	}
	return "'" + t.Text + "'"
}

// Error is a fault in the input. Every stage reports its errors
// as an *Error, so that the caller can point at the fault.
type Error struct {
	Pos int // byte offset of the fault in the input, from 0
	Msg string
}

// Error returns the message with the column (counted from 1) in front.
func (e *Error) Error() string {
	return "col " + strconv.Itoa(e.Pos+1) + ": " + e.Msg
}

// newError returns an *Error at pos.
func newError(pos int, msg string) error {
	return &Error{Pos: pos, Msg: msg}
}
