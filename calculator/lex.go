package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Lex splits input into tokens. The last token is always EOF.
// The tokens are
//
//	number   = digits [ "." digits ] [ exponent ] | "." digits [ exponent ] .
//	exponent = ( "e" | "E" ) [ "+" | "-" ] digits .
//	op       = "+" | "-" | "*" | "/" | "%" | "^" .
//	paren    = "(" | ")" .
//
// Spaces, tabs and line endings between tokens are skipped.
// Anything else, including any byte that is not ASCII, is an error.
func Lex(input string) ([]Token, error) {
	var toks []Token
	i := 0
	for i < len(input) {
		c := input[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case isDigit(c) || c == '.':
			end, err := number(input, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, Token{Number, i, input[i:end]})
			i = end
			continue
		case strings.IndexByte("+-*/%^", c) >= 0:
			toks = append(toks, Token{Op, i, input[i : i+1]})
		case c == '(':
			toks = append(toks, Token{LParen, i, "("})
		case c == ')':
			toks = append(toks, Token{RParen, i, ")"})
		default:
			return nil, unexpected(input, i)
		}
		i++
	}
	return append(toks, Token{Kind: EOF, Pos: len(input)}), nil
}

// number returns the end of the number that starts at input[start].
func number(input string, start int) (int, error) {
	i := start
	// digits skips a run of digits and reports whether there was any.
	digits := func() bool {
		from := i
		for i < len(input) && isDigit(input[i]) {
			i++
		}
		return i > from
	}
	ok := true
	digits()
	if i < len(input) && input[i] == '.' {
		i++
		ok = digits()
	}
	if ok && i < len(input) && (input[i] == 'e' || input[i] == 'E') {
		i++
		if i < len(input) && (input[i] == '+' || input[i] == '-') {
			i++
		}
		ok = digits()
	}
	if !ok {
		return 0, newError(start, "malformed number "+strconv.Quote(input[start:i]))
	}
	return i, nil
}

// unexpected returns the error for the unexpected character at input[i],
// quoted in Go syntax: '@', '×', '\x00', or '\xff' for a byte that is
// not valid UTF-8.
func unexpected(input string, i int) error {
	r, size := utf8.DecodeRuneInString(input[i:])
	q := strconv.QuoteRune(r)
	if r == utf8.RuneError && size == 1 {
		q = `'\x` + strconv.FormatUint(uint64(input[i]), 16) + `'` // a lone byte here is >= 0x80: two digits
	}
	return newError(i, "unexpected character "+q)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
