// Command durable hosts the runtime with its HTTP API and dashboard, and manages
// instances and entities of a running server from the command line.
//
//	durable serve [--http 127.0.0.1:7071] [--data ./data] [--api-key KEY] [--grpc ADDR]
//	              [--cluster NAME --etcd HOST:PORT[,...] --peer HOST:PORT [--partitions 32]]
//	durable start NAME [--id ID] [--input JSON]
//	durable run NAME [--id ID] [--input JSON] [--timeout 10m]
//	durable status ID [--history]
//	durable wait ID [--timeout 10m]
//	durable raise ID EVENT [JSON]
//	durable terminate|suspend|resume|rewind ID [--reason TEXT]
//	durable restart ID [--same-id]
//	durable purge ID
//	durable purge [--status S[,S]] [--created-after T] [--created-before T]
//	durable list [--status S[,S]] [--name N] [--prefix P] [--created-after T] [--created-before T] [--all]
//	durable signal ENTITY KEY OP [JSON]
//	durable entity ENTITY KEY
//	durable entities [NAME]
//	durable members | partitions
//	durable help [VERB] | version | completion bash|zsh|fish
//
// Client verbs talk to --server (default http://127.0.0.1:7071, or $DURABLE_SERVER)
// and print a table or text, or JSON with --output json|jsonl. `durable help` lists
// the exit codes; `durable VERB --help` a verb's flags.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes. Scripts branch on them, so they are listed in the help and the README,
// and a code keeps its meaning once given.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitNotFound   = 3
	exitFailed     = 4
	exitTerminated = 5
	exitTimeout    = 6
)

var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "done; for wait and run: the instance completed"},
	{exitError, "the server refused the request or could not be reached"},
	{exitUsage, "usage error: an unknown verb or flag, a bad argument or flag value"},
	{exitNotFound, "no such instance or entity"},
	{exitFailed, "wait, run: the instance failed"},
	{exitTerminated, "wait, run: the instance was terminated (or canceled)"},
	{exitTimeout, "wait, run: the instance was still going when --timeout ran out"},
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		// A bare `durable` is a mistake a script should notice, not a request for help.
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	cmd, err := lookup(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "durable:", err)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}
