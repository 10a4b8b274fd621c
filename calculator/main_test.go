package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// runCalc runs calc with args and the given standard input.
func runCalc(args []string, stdin string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

var runTests = []struct {
	name   string
	args   []string
	stdin  string
	stdout string
	stderr string // a substring of standard error
	code   int
}{
	{"one arg", []string{"2*(3+4)"}, "", "14\n", "", 0},
	{"joined args", []string{"2", "+", "3"}, "", "5\n", "", 0},
	{"leading minus", []string{"-2+3"}, "", "1\n", "", 0},
	{"double minus", []string{"--2"}, "", "2\n", "", 0},
	{"end of flags", []string{"--", "-2"}, "", "-2\n", "", 0},
	{"end of flags, flag-like expression", []string{"--", "-x"}, "", "", "calc: col 2: unexpected character 'x'", 1},
	{"help", []string{"-h"}, "", usage, "", 0},
	{"long help", []string{"--help"}, "", usage, "", 0},
	{"version", []string{"--version"}, "", "calc dev\n", "", 0},
	{"unknown flag", []string{"-x"}, "", "", "calc: unknown flag \"-x\"\nusage: calc", 2},
	{"unknown long flag", []string{"--foo", "1"}, "", "", "calc: unknown flag \"--foo\"", 2},
	{"flags come first", []string{"1", "--help"}, "", "", "calc: col 5: unexpected character 'h'", 1},
	{"bad expression", []string{"2 *"}, "", "", "calc: col 4: unexpected end of input", 1},
	{"stdin", nil, "1+1\n\n  # comment\n2*3\n", "2\n6\n", "", 0},
	{"stdin after --", []string{"--"}, "7\n", "7\n", "", 0},
	{"stdin without final newline", nil, "1\n2", "1\n2\n", "", 0},
	{"stdin CRLF", nil, "1+1\r\n2\r\n", "2\n2\n", "", 0},
	{"stdin empty", nil, "", "", "", 0},
	{"stdin bad middle line", nil, "1+1\n2 +\n3*3\n", "2\n9\n", "calc: line 2: col 4: unexpected end of input", 1},
	{"stdin two bad lines", nil, "1/0\n4\n)\n", "4\n", "calc: line 3: col 1: unexpected ')'", 1},
	{"stdin long line", nil, "1\n" + strings.Repeat("1+", 5000) + "1\n2\n", "1\n2\n", "calc: line 2: line too long (more than 4096 bytes)\n", 1},
	{"stdin huge line", nil, strings.Repeat(" ", 1<<20) + "x\n5\n", "5\n", "calc: line 1: line too long", 1},
	{"stdin long comment", nil, "#" + strings.Repeat("x", 5000) + "\n5\n", "5\n", "calc: line 1: line too long", 1},
}

func TestRun(t *testing.T) {
	for _, test := range runTests {
		stdout, stderr, code := runCalc(test.args, test.stdin)
		if stdout != test.stdout || code != test.code || !strings.Contains(stderr, test.stderr) ||
			(test.stderr == "" && stderr != "") {
			t.Errorf("%s: calc %q = %q, stderr %q, exit %d; want %q, stderr with %q, exit %d",
				test.name, test.args, stdout, stderr, code, test.stdout, test.stderr, test.code)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	const want = "calc: col 5: unexpected end of input, want a number or '('\n" +
		"  2 * \n" +
		"      ^\n"
	if _, stderr, _ := runCalc([]string{"2 * "}, ""); stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	// White space shows as a space and other characters as U+FFFD,
	// so that the caret stays under the fault.
	const want2 = "calc: line 1: col 5: unexpected character '\\x00'\n" +
		"  1 + \uFFFD\n" +
		"      ^\n"
	if _, stderr, _ := runCalc(nil, "1\t+ \x00\n"); stderr != want2 {
		t.Errorf("stderr = %q, want %q", stderr, want2)
	}
}

// badInputs are malformed expressions, each with part of its error.
var badInputs = []struct{ input, err string }{
	{"", "col 1: unexpected end of input"},
	{"   ", "col 4: unexpected end of input"},
	{"(", "col 2: unexpected end of input"},
	{"((1)", "col 5: unexpected end of input, want ')'"},
	{"(1+2", "want ')'"},
	{")", "col 1: unexpected ')'"},
	{"1)", "col 2: unmatched ')'"},
	{"(1))", "col 4: unmatched ')'"},
	{"()", "col 2: unexpected ')'"},
	{"+", "unexpected end of input"},
	{"2 +", "col 4: unexpected end of input"},
	{"2 * ", "col 5: unexpected end of input"},
	{"* 2", "col 1: unexpected '*'"},
	{"2 * / 3", "col 5: unexpected '/'"},
	{"2^", "col 3: unexpected end of input"},
	{"^2", "col 1: unexpected '^'"},
	{"2 3", "col 3: unexpected number 3"},
	{"(1)(2)", "col 4: unexpected '('"},
	{"1..2", `col 1: malformed number "1."`},
	{"1.2.3", "col 4: unexpected number .3"},
	{".", `malformed number "."`},
	{"5.", `malformed number "5."`},
	{"1e", `malformed number "1e"`},
	{"1e+", `malformed number "1e+"`},
	{"1e-x", `malformed number "1e-"`},
	{"--", "col 3: unexpected end of input"},
	{"2x", "col 2: unexpected character 'x'"},
	{"x", "unexpected character 'x'"},
	{"1,000", "unexpected character ','"},
	{"2 = 2", "unexpected character '='"},
	{"3!", "unexpected character '!'"},
	{"2 × 3", "unexpected character '×'"},
	{"٣", "unexpected character '٣'"},
	{"１", "unexpected character '１'"},
	{"1+\xff", `unexpected character '\xff'`},
	{"\xc3", `unexpected character '\xc3'`},
	{"\x00", `col 1: unexpected character '\x00'`},
	{"1\x00+1", `col 2: unexpected character '\x00'`},
	{"1\x1b[31m", `unexpected character '\x1b'`},
	{"1 # 2", "unexpected character '#'"},
	{"1/0", "col 2: division by zero"},
	{"1%0", "col 2: modulo by zero"},
	{"1e400", "number 1e400 is out of range"},
	{"1e308*10", "col 6: result out of range"},
	{"(-1)^0.5", "col 5: result is not a number"},
	{strings.Repeat("1+", 3000) + "1", "line too long (more than 4096 bytes)"},
	{strings.Repeat("(", 2000) + "1" + strings.Repeat(")", 2000), "expression nested too deeply"},
	{strings.Repeat("(", 4096), "expression nested too deeply"},
	{strings.Repeat("-", 2000) + "1", "expression nested too deeply"},
	{strings.Repeat("2^", 2000) + "2", "expression nested too deeply"},
	{strings.Repeat("1+", 2000) + "1", "expression nested too deeply"},
	{strings.Repeat(")", 100), "col 1: unexpected ')'"},
}

func TestBadInputs(t *testing.T) {
	for _, test := range badInputs {
		stdout, stderr, code := runCalc([]string{"--", test.input}, "")
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "calc: ") || !strings.Contains(stderr, test.err) {
			t.Errorf("calc -- %.40q = %q, stderr %.200q, exit %d; want stderr with %q, exit 1",
				test.input, stdout, stderr, code, test.err)
		}
		for _, bad := range []string{"panic", "goroutine"} {
			if strings.Contains(stdout+stderr, bad) {
				t.Errorf("calc -- %.40q: output contains %q:\n%s", test.input, bad, stderr)
			}
		}
	}
}

// runFile runs calc with no arguments and f as standard input.
func runFile(f *os.File) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(nil, f, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestNoPrompt(t *testing.T) {
	// A strings.Reader is not a file, so not a terminal.
	if stdout, _, _ := runCalc(nil, "1\n"); stdout != "1\n" {
		t.Errorf("strings.Reader: stdout = %q, want %q, no prompt", stdout, "1\n")
	}
	// The null device, standard input under "docker run" without -i, is
	// a character device like a terminal, but not a terminal.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if stdout, stderr, code := runFile(null); stdout != "" || stderr != "" || code != 0 {
		t.Errorf("%s: stdout %q, stderr %q, exit %d; want no output, exit 0", os.DevNull, stdout, stderr, code)
	}
	// Nor is a pipe, standard input under "docker run -i" or "echo 1 | calc".
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("1\n")
	w.Close()
	if stdout, _, _ := runFile(r); stdout != "1\n" {
		t.Errorf("pipe: stdout = %q, want %q, no prompt", stdout, "1\n")
	}
}

func TestPrompt(t *testing.T) {
	// Make a terminal, as "docker run -it" does: open a new
	// pseudo-terminal's master, unlock it, and open its other end.
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	defer ptmx.Close()
	var unlock, n uint32
	for _, req := range []struct {
		op  uintptr
		arg *uint32
	}{{syscall.TIOCSPTLCK, &unlock}, {syscall.TIOCGPTN, &n}} {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), req.op, uintptr(unsafe.Pointer(req.arg))); errno != 0 {
			t.Skip("no pseudo-terminals:", errno)
		}
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	defer tty.Close()
	// Type a line, then ^D (end of file) at the start of the next.
	if _, err := ptmx.WriteString("2*3\n\x04"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		stdout, stderr string
		code           int
	}
	done := make(chan result, 1)
	go func() {
		stdout, stderr, code := runFile(tty)
		done <- result{stdout, stderr, code}
	}()
	select {
	case r := <-done:
		// A prompt before each line and a newline after the last prompt.
		if want := "> 6\n> \n"; r.stdout != want || r.stderr != "" || r.code != 0 {
			t.Errorf("terminal: stdout %q, stderr %q, exit %d; want %q, exit 0", r.stdout, r.stderr, r.code, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("terminal: calc did not see the end of input in 10s")
	}
}
