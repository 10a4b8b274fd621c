"""The arithmetic of the Go calculator in ../calculator, in Python: standard library only.

    expr    = term { ( "+" | "-" ) term } .
    term    = unary { ( "*" | "/" | "%" ) unary } .
    unary   = ( "+" | "-" ) unary | power .
    power   = primary [ "^" unary ] .
    primary = number | "(" expr ")" .

Numbers are decimal (3, 2.5, .5, 1e3); arithmetic is in floats; % has the sign of its left
operand (-7 % 3 is -1); -2^2 is -4 and 2^3^2 is 512. A fault raises `CalcError` with the
offset of the character it is at, which the command line prints as a column.
"""

import math
import sys

MAX_DEPTH = 1000  # parentheses open at once, and operators nested in the tree, as in Go
TOO_DEEP = f"expression nested too deeply (more than {MAX_DEPTH} levels)"
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * MAX_DEPTH))  # each level is a few calls


class CalcError(Exception):
    """A fault in the input, at offset `pos` (from 0): ``col 3: division by zero``."""

    def __init__(self, pos: int, msg: str) -> None:
        super().__init__(f"col {pos + 1}: {msg}")
        self.pos = pos


class Token:
    def __init__(self, kind: str, pos: int, text: str = "") -> None:
        self.kind, self.pos, self.text = kind, pos, text  # kind: "number", "op", "(", ")" or "end"

    def __str__(self) -> str:
        return {"end": "end of input", "number": f"number {self.text}"}.get(self.kind, f"'{self.text}'")


class Node:
    def __init__(self, pos: int, op: str, args: tuple = (), value: float = 0.0) -> None:
        self.pos, self.op, self.args, self.value = pos, op, args, value  # op: "" for a number


def lex(text: str) -> list[Token]:
    """The tokens of `text`, ending with an "end" token; raise CalcError for anything else."""
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif "0" <= c <= "9" or c == ".":
            end = _number_end(text, i)
            tokens.append(Token("number", i, text[i:end]))
            i = end
        else:
            if c in "+-*/%^":
                tokens.append(Token("op", i, c))
            elif c in "()":
                tokens.append(Token(c, i, c))
            else:
                raise CalcError(i, f"unexpected character {_quote(c)}")
            i += 1
    return tokens + [Token("end", len(text))]


def _number_end(text: str, start: int) -> int:
    """Where the number that starts at text[start] ends: digits [. digits] [e [+-] digits]."""
    i = start

    def digits() -> bool:
        nonlocal i
        begin = i
        while i < len(text) and "0" <= text[i] <= "9":
            i += 1
        return i > begin

    ok = True
    digits()
    if i < len(text) and text[i] == ".":
        i += 1
        ok = digits()
    if ok and i < len(text) and text[i] in "eE":
        i += 1
        if i < len(text) and text[i] in "+-":
            i += 1
        ok = digits()
    if not ok:
        raise CalcError(start, f'malformed number "{text[start:i]}"')
    return i


def _quote(c: str) -> str:
    """A character as Go's strconv.QuoteRune writes it: '×', '\\x00', and '\\xff' for a byte that
    is not UTF-8 (Python reads such a byte of the command line as a surrogate, U+DC80-U+DCFF)."""
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"'\\x{code - 0xDC00:02x}'"
    if c.isprintable():
        return f"'{c}'"
    return f"'\\x{code:02x}'" if code < 0x80 else f"'\\u{code:04x}'" if code < 0x10000 else f"'\\U{code:08x}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i, self.depth = tokens, 0, {"parens": 0, "ops": 0}

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += token.kind != "end"
        return token

    def at(self, ops: str) -> bool:
        token = self.tokens[self.i]
        return token.kind == "op" and token.text in ops

    def nested(self, counter: str, token: Token, parse):
        self.depth[counter] += 1
        try:
            if self.depth[counter] > MAX_DEPTH:
                raise CalcError(token.pos, TOO_DEEP)
            return parse()
        finally:
            self.depth[counter] -= 1

    def binary(self, ops: str, operand) -> Node:  # expr and term: group to the left
        x = operand()
        while self.at(ops):
            op = self.next()
            x = Node(op.pos, op.text, (x, operand()))
        return x

    def expr(self) -> Node:
        return self.binary("+-", self.term)

    def term(self) -> Node:
        return self.binary("*/%", self.unary)

    def unary(self) -> Node:  # a sign applies to a whole power: -2^2 is -(2^2)
        if not self.at("+-"):
            return self.power()
        op = self.next()
        return Node(op.pos, "neg" if op.text == "-" else "pos", (self.nested("ops", op, self.unary),))

    def power(self) -> Node:  # the exponent is a unary: 2^3^2 is 2^(3^2), and 2^-1 works
        x = self.primary()
        if not self.at("^"):
            return x
        op = self.next()
        return Node(op.pos, "^", (x, self.nested("ops", op, self.unary)))

    def primary(self) -> Node:
        token = self.next()
        if token.kind == "number":
            value = float(token.text)
            if math.isinf(value):
                raise CalcError(token.pos, f"number {token.text} is out of range")
            return Node(token.pos, "", value=value)
        if token.kind == "(":
            x = self.nested("parens", token, self.expr)
            if (close := self.next()).kind != ")":
                raise CalcError(close.pos, f"unexpected {close}, want ')'")
            return x
        raise CalcError(token.pos, f"unexpected {token}, want a number or '('")


def parse(text: str) -> Node:
    """The tree of one expression; raise CalcError at the first fault."""
    parser = _Parser(lex(text))
    tree = parser.expr()
    token = parser.next()
    if token.kind == ")":
        raise CalcError(token.pos, "unmatched ')'")
    if token.kind != "end":
        raise CalcError(token.pos, f"unexpected {token}, want an operator")
    _check_depth(tree, 1)
    return tree


def _check_depth(node: Node, depth: int) -> None:
    if node.op and depth > MAX_DEPTH:
        raise CalcError(node.pos, TOO_DEEP)
    for arg in node.args:
        _check_depth(arg, depth + 1)


def evaluate(node: Node) -> float:
    """The value of a tree; division or modulo by zero, infinity and NaN raise CalcError."""
    if not node.op:
        return node.value
    if node.op in ("neg", "pos"):
        value = evaluate(node.args[0])
        return -value if node.op == "neg" else value
    x, y = evaluate(node.args[0]), evaluate(node.args[1])
    if node.op in "/%" and y == 0:
        raise CalcError(node.pos, "division by zero" if node.op == "/" else "modulo by zero")
    try:
        value = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y,
                 "%": lambda: math.fmod(x, y), "^": lambda: math.pow(x, y)}[node.op]()
    except OverflowError:
        value = math.inf
    except ValueError:  # math.pow: 0 to a negative power is infinite, a negative base to a fraction NaN
        value = math.inf if x == 0 else math.nan
    if math.isinf(value):
        raise CalcError(node.pos, "result out of range")
    if math.isnan(value):
        raise CalcError(node.pos, "result is not a number")
    return value


def format_number(value: float) -> str:
    """`value` as the Go calculator prints it: the shortest digits that read back as the same
    float, written out in full from 1e-4 up to 1e15 (7, 0.25), with an exponent outside (1e-05,
    1e+15). Negative zero prints as 0."""
    if value == 0:
        return "0"
    mantissa = repr(abs(value)).partition("e")[0]
    digits = len(mantissa.replace(".", "").strip("0"))  # significant digits of the shortest form
    scientific = f"{value:.{digits - 1}e}"
    if 1e-4 <= abs(value) < 1e15:
        exponent = int(scientific.partition("e")[2])
        return f"{value:.{max(0, digits - 1 - exponent)}f}"
    return scientific


def calc(text: str) -> str:
    """Parse and evaluate one expression, and format its value."""
    return format_number(evaluate(parse(text)))
