package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

var shells = []string{"bash", "zsh", "fish"}

// completion is the completion verb: it prints a script that completes the verbs,
// their flags and the values of flags that take few, written from the command table.
func completion(args []string, _ any, stdout, _ io.Writer) error {
	verbs := completionVerbs()
	switch args[0] {
	case "bash":
		bashCompletion(stdout, verbs)
	case "zsh":
		zshCompletion(stdout, verbs)
	case "fish":
		fishCompletion(stdout, verbs)
	default:
		return usagef("unknown shell %q: want %s", args[0], strings.Join(shells, ", "))
	}
	return nil
}

// completionVerb is a verb as a completion script offers it.
type completionVerb struct {
	name, summary string
	args          []string // what its first argument can be, if known
	flags         []completionFlag
}

type completionFlag struct {
	spelling   string // -v, --timeout
	name       string // v, timeout
	arg, usage string
	choices    []string // the values it takes, if they are few
}

func (f completionFlag) takesValue() bool { return f.arg != "" }

func completionVerbs() []completionVerb {
	var verbs []completionVerb
	for _, cmd := range commands {
		v := completionVerb{name: cmd.name, summary: cmd.summary}
		if cmd.argChoices != nil {
			v.args = cmd.argChoices()
		}
		fs, _, _ := cmd.flagSet()
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			cf := completionFlag{spelling: flagSpelling(f.Name), name: f.Name, arg: arg, usage: usage}
			if c, ok := f.Value.(interface{ choices() []string }); ok {
				cf.choices = c.choices()
			}
			v.flags = append(v.flags, cf)
		})
		verbs = append(verbs, v)
	}
	return verbs
}

// quote quotes s for a POSIX shell or fish: single quotes, with the quote itself
// (and for fish the backslash) escaped.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func bashCompletion(w io.Writer, verbs []completionVerb) {
	var names []string
	for _, v := range verbs {
		names = append(names, v.name)
	}
	fmt.Fprintf(w, `# bash completion for durable: source <(durable completion bash)
_durable() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W %s -- "$cur"))
		return
	fi
	local flags= args=
	case ${COMP_WORDS[1]} in
`, quote(strings.Join(names, " ")))
	for _, v := range verbs {
		var spellings []string
		for _, f := range v.flags {
			spellings = append(spellings, f.spelling)
		}
		fmt.Fprintf(w, "\t%s)\n\t\tflags=%s\n", v.name, quote(strings.Join(spellings, " ")))
		if len(v.args) > 0 {
			fmt.Fprintf(w, "\t\targs=%s\n", quote(strings.Join(v.args, " ")))
		}
		for _, f := range v.flags {
			if len(f.choices) > 0 {
				fmt.Fprintf(w, "\t\t[[ $prev == %s ]] && { COMPREPLY=($(compgen -W %s -- \"$cur\")); return; }\n",
					f.spelling, quote(strings.Join(f.choices, " ")))
			}
		}
		fmt.Fprint(w, "\t\t;;\n")
	}
	fmt.Fprint(w, `	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	elif [[ $COMP_CWORD -eq 2 && -n $args ]]; then
		COMPREPLY=($(compgen -W "$args" -- "$cur"))
	fi
}
complete -o default -F _durable durable
`)
}

func zshCompletion(w io.Writer, verbs []completionVerb) {
	// In _arguments specs, brackets end an explanation and colons separate fields.
	esc := strings.NewReplacer("[", `\[`, "]", `\]`, ":", `\:`)
	fmt.Fprint(w, `#compdef durable
# zsh completion for durable: source <(durable completion zsh)
_durable() {
	local -a verbs
	verbs=(
`)
	for _, v := range verbs {
		fmt.Fprintf(w, "\t\t%s\n", quote(v.name+":"+v.summary))
	}
	fmt.Fprint(w, `	)
	if (( CURRENT == 2 )); then
		_describe -t verbs 'durable verb' verbs
		return
	fi
	local verb=$words[2]
	shift words
	(( CURRENT-- ))
	case $verb in
`)
	for _, v := range verbs {
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments", v.name)
		for _, f := range v.flags {
			spec := f.spelling + "[" + esc.Replace(f.usage) + "]"
			if f.takesValue() {
				action := " "
				if len(f.choices) > 0 {
					action = "(" + strings.Join(f.choices, " ") + ")"
				}
				spec += ":" + esc.Replace(f.arg) + ":" + action
			}
			fmt.Fprintf(w, " \\\n\t\t\t%s", quote(spec))
		}
		if len(v.args) > 0 {
			fmt.Fprintf(w, " \\\n\t\t\t%s", quote("1:argument:("+strings.Join(v.args, " ")+")"))
		}
		fmt.Fprintf(w, " \\\n\t\t\t%s\n\t\t;;\n", quote("*:argument: "))
	}
	// Sourced, it registers itself; from a file _durable in $fpath, zsh autoloads it
	// as the body of _durable, which must then complete at once.
	fmt.Fprint(w, `	esac
}
if [[ $funcstack[1] == _durable ]]; then
	_durable "$@"
else
	compdef _durable durable
fi
`)
}

func fishCompletion(w io.Writer, verbs []completionVerb) {
	fmt.Fprint(w, `# fish completion for durable: durable completion fish | source
function __durable_verb --description 'Whether the verb on the command line is one of the arguments'
	set -l words (commandline -opc)
	test (count $words) -ge 2; and contains -- $words[2] $argv
end
function __durable_first_arg --description 'Whether the verb is the argument and its first argument is next'
	set -l words (commandline -opc)
	test (count $words) -eq 2; and test $words[2] = $argv[1]
end
complete -c durable -f
`)
	for _, v := range verbs {
		fmt.Fprintf(w, "complete -c durable -n 'test (count (commandline -opc)) -eq 1' -a %s -d %s\n", v.name, fishQuote(v.summary))
	}
	for _, v := range verbs {
		cond := fishQuote("__durable_verb " + v.name)
		if len(v.args) > 0 {
			fmt.Fprintf(w, "complete -c durable -n %s -a %s\n", fishQuote("__durable_first_arg "+v.name), fishQuote(strings.Join(v.args, " ")))
		}
		for _, f := range v.flags {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			if f.takesValue() {
				opt += " -x"
			}
			if len(f.choices) > 0 {
				opt += " -a " + fishQuote(strings.Join(f.choices, " "))
			}
			fmt.Fprintf(w, "complete -c durable -n %s %s -d %s\n", cond, opt, fishQuote(f.usage))
		}
	}
}
