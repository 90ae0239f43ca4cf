package main

import (
	"io"
	"os"

	"vmabench/runner"
)

// cellName is the hidden command that runs one cell in a child process:
// runner.RunIsolated starts "vmabench cell" for each cell of a run, writes
// the cell to its stdin and reads its result from its stdout. It is not
// listed in the usage text: people have no use for it.
const cellName = "cell"

// stdin is what "vmabench cell" reads the cell from.
var stdin io.Reader = os.Stdin

// cellCmd is "vmabench cell": see runner.ServeCell. main exits when it
// returns, which also ends a deadlocked cell's blocked threads.
func cellCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef(cellName, "unexpected argument %q: the cell comes on stdin", args[0])
	}
	return runner.ServeCell(stdin, stdout)
}

// cellCommand returns the command line that runs one cell in a child
// process: this executable and "cell".
func cellCommand() []string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return []string{exe, cellName}
}
