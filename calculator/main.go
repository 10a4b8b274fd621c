// Calc evaluates arithmetic expressions.
//
// Usage:
//
//	calc [flags] [expression ...]
//
// With arguments, calc joins them with spaces and evaluates the result
// as one expression. Without, it evaluates each line of standard input,
// skipping blank lines and lines starting with '#', and prompts with
// "> " when standard input is a terminal.
//
// The flags are:
//
//	-h, --help
//		Print usage and exit.
//	--version
//		Print the version and exit.
//	--
//		End the flags, so that an expression may start with '-'.
//
// Expressions are made of decimal numbers (3, 2.5, .5, 1e3, 1.5E-2),
// parentheses, and the operators + - * / % ^. Unary minus binds less
// tightly than ^ (-2^2 is -4) and ^ groups to the right (2^3^2 is 512).
// Arithmetic is in float64; % is the floating-point remainder.
// Results print as integers when integral, as described at Format.
//
// Errors go to standard error with the column of the fault:
//
//	$ calc '2 * (3 +)'
//	calc: col 9: unexpected ')', want a number or '('
//	  2 * (3 +)
//	          ^
//
// Reading standard input, calc names the line too ("calc: line 3: col 5:
// division by zero") and goes on to the next. Lines may be up to 4096
// bytes long, and expressions may nest up to 1000 levels deep.
//
// The exit status is 0 if every expression was evaluated, 1 if any
// failed, and 2 for a usage error.
package main

// calc builds its messages with strconv and io.WriteString, not fmt:
// fmt formats by reflection, which would make the stripped binary
// bigger. Lesson 05 weighs the difference.
import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// version is set at build time: go build -ldflags "-X main.version=1.0".
var version = "dev"

// maxLine is the longest input line, in bytes, that calc accepts.
const maxLine = 4096

const usage = `usage: calc [flags] [expression ...]

Evaluate the expression, or each line of standard input if none is given.

  -h, --help   print this message
  --version    print the version
  --           end the flags, so that an expression may start with '-'
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs calc with the given arguments and files, and returns the
// exit status. Every flag either ends the run or, like "--", ends the
// flags, so only the first argument can be one.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "--":
			args = args[1:]
		case a == "-h" || a == "--help":
			io.WriteString(stdout, usage)
			return 0
		case a == "--version":
			io.WriteString(stdout, "calc "+version+"\n")
			return 0
		case isFlag(a):
			io.WriteString(stderr, "calc: unknown flag "+strconv.Quote(a)+"\n"+usage)
			return 2
		}
	}
	if len(args) == 0 {
		return evaluateLines(stdin, stdout, stderr)
	}
	if !evaluate(strings.Join(args, " "), "", stdout, stderr) {
		return 1
	}
	return 0
}

// isFlag reports whether arg looks like a flag, such as -x or --xyz,
// rather than an expression, such as -2 or --2.
func isFlag(arg string) bool {
	s := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	r, _ := utf8.DecodeRuneInString(s)
	return s != arg && unicode.IsLetter(r)
}

// evaluateLines evaluates each line of stdin in turn, and returns the
// exit status: 1 if any line failed.
func evaluateLines(stdin io.Reader, stdout, stderr io.Writer) int {
	prompt := isTerminal(stdin)
	in := bufio.NewReader(stdin)
	status := 0
	for n := 1; ; n++ {
		if prompt {
			io.WriteString(stdout, "> ")
		}
		line, err := readLine(in)
		if err == io.EOF {
			break
		}
		if err != nil {
			io.WriteString(stderr, "calc: "+err.Error()+"\n")
			return 1
		}
		// Skip blank lines and comments. Too long a line is an error, whatever it holds.
		if s := strings.TrimSpace(line); len(line) <= maxLine && (s == "" || s[0] == '#') {
			continue
		}
		if !evaluate(line, "line "+strconv.Itoa(n)+": ", stdout, stderr) {
			status = 1
		}
	}
	if prompt {
		io.WriteString(stdout, "\n")
	}
	return status
}

// readLine returns the next line of in, without its line ending.
// Of a line longer than maxLine it keeps only the start, enough to
// report it as too long, and discards the rest as it goes.
func readLine(in *bufio.Reader) (string, error) {
	var line []byte
	for {
		chunk, more, err := in.ReadLine()
		if err != nil {
			return "", err
		}
		if len(line) <= maxLine {
			line = append(line, chunk...)
		}
		if !more {
			return string(line), nil
		}
	}
}

// isTerminal reports whether r is a terminal, so that calc should
// prompt for input. It asks the kernel for the terminal's settings
// (the TCGETS ioctl, as isatty(3) does on Linux), which only a terminal
// has: the null device that "docker run" without -i gives as standard
// input is a character device, but not a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	c, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var errno syscall.Errno
	err = c.Control(func(fd uintptr) {
		var t syscall.Termios
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	})
	return err == nil && errno == 0
}

// evaluate evaluates one line of input and prints its value to stdout,
// or an error to stderr, prefixed by where (such as "line 3: ").
// It reports whether it succeeded.
func evaluate(line, where string, stdout, stderr io.Writer) bool {
	v, err := calc(line)
	if err != nil {
		io.WriteString(stderr, "calc: "+where+err.Error()+"\n")
		var e *Error
		if errors.As(err, &e) {
			io.WriteString(stderr, "  "+printable(line)+"\n  "+strings.Repeat(" ", e.Pos)+"^\n")
		}
		return false
	}
	io.WriteString(stdout, Format(v)+"\n")
	return true
}

// calc parses and evaluates one line of input.
func calc(line string) (float64, error) {
	if len(line) > maxLine {
		return 0, errors.New("line too long (more than " + strconv.Itoa(maxLine) + " bytes)")
	}
	n, err := Parse(line)
	if err != nil {
		return 0, err
	}
	return Eval(n)
}

// printable returns line ready to show above a caret: white space as
// a plain space and anything unprintable as U+FFFD. Everything before
// the fault is ASCII, as the lexer stops at the first other byte, so
// the caret lines up.
func printable(line string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case !unicode.IsPrint(r):
			return utf8.RuneError
		}
		return r
	}, line)
}
