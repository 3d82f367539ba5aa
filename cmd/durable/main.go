// Command durable hosts the runtime with its HTTP API and dashboard, and manages
// instances and entities of a running server from the command line.
//
//	durable serve [--http 127.0.0.1:7071] [--data ./data] [--api-key KEY]
//	              [--cluster NAME --etcd HOST:PORT[,...] --peer HOST:PORT [--partitions 32]]
//	durable start NAME [--id ID] [--input JSON]
//	durable status ID [--history]
//	durable wait ID
//	durable raise ID EVENT [JSON]
//	durable terminate|suspend|resume|rewind|restart ID [--reason TEXT]
//	durable purge ID
//	durable list [--status S[,S]] [--prefix P] [--all]
//	durable signal ENTITY KEY OP [JSON]
//	durable entity ENTITY KEY
//	durable entities [NAME]
//	durable members | partitions
//
// Client commands talk to --server (default http://127.0.0.1:7071, or $DURABLE_SERVER)
// and print readable text, or JSON with --json.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: durable COMMAND [ARGS]

server:
  serve [--http ADDR] [--data DIR] [--api-key KEY]   host the runtime, its HTTP API and dashboard
        [--cluster NAME --etcd HOST:PORT[,...] --peer HOST:PORT [--partitions N] [--replicas 2]]

instances:
  start NAME [--id ID] [--input JSON]      start an orchestration
  status ID [--history]                    show an instance
  wait ID [--timeout DURATION]             wait until an instance finishes
  raise ID EVENT [JSON]                    raise an external event
  terminate|suspend|resume|rewind ID [--reason TEXT]
  restart ID [--same-id]                   start again with the same input
  purge ID                                 delete a finished instance
  list [--status S,S] [--prefix P] [--top N] [--all]

entities:
  signal ENTITY KEY OP [JSON]              signal an entity operation
  entity ENTITY KEY                        show an entity's state
  entities [NAME]                          list entities

cluster:
  members                                  the members and how many partitions each owns
  partitions                               who owns each partition, at which epoch

client flags: --server URL ($DURABLE_SERVER), --api-key KEY ($DURABLE_API_KEY), --json
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if args[0] == "serve" {
		return serve(args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "durable: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}
