package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// outputFormat is how client verbs print: a table or text for people, or JSON.
type outputFormat string

const (
	formatTable outputFormat = "table"
	formatJSON  outputFormat = "json"
	formatJSONL outputFormat = "jsonl"
)

var outputFormats = []string{string(formatTable), string(formatJSON), string(formatJSONL)}

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Set(s string) error {
	if !slices.Contains(outputFormats, s) {
		return fmt.Errorf("want %s", strings.Join(outputFormats, ", "))
	}
	*f = outputFormat(s)
	return nil
}

func (f *outputFormat) choices() []string { return outputFormats }

// printer writes results for people, or the server's JSON for scripts.
type printer struct {
	w      io.Writer
	format outputFormat
}

// print writes one JSON value, on one line, or its human form.
func (p *printer) print(raw []byte, human func(io.Writer)) error {
	if p.format != formatTable {
		_, err := fmt.Fprintln(p.w, compact(raw))
		return err
	}
	human(p.w)
	return nil
}

// printList writes a JSON array, or its items one a line for jsonl, or its human form.
// An empty list is [], never null.
func (p *printer) printList(items []json.RawMessage, human func(io.Writer)) error {
	switch p.format {
	case formatJSON:
		var b strings.Builder
		b.WriteByte('[')
		for i, item := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(compact(item))
		}
		b.WriteByte(']')
		_, err := fmt.Fprintln(p.w, b.String())
		return err
	case formatJSONL:
		for _, item := range items {
			if _, err := fmt.Fprintln(p.w, compact(item)); err != nil {
				return err
			}
		}
		return nil
	}
	human(p.w)
	return nil
}

func (p *printer) done(msg string) error {
	b, _ := json.Marshal(map[string]string{"result": msg})
	return p.print(b, func(w io.Writer) { fmt.Fprintln(w, msg) })
}

func (p *printer) status(raw []byte) error {
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	return p.print(raw, func(w io.Writer) {
		tw := newTable(w)
		fmt.Fprintf(tw, "Instance\t%s\nName\t%s\nStatus\t%s\nCreated\t%s\nUpdated\t%s\n",
			st.InstanceID, st.Name, st.RuntimeStatus, st.CreatedTime, st.LastUpdatedTime)
		if st.Version != "" {
			fmt.Fprintf(tw, "Version\t%s\n", st.Version)
		}
		for _, f := range []struct {
			name string
			v    json.RawMessage
		}{{"Input", st.Input}, {"Custom status", st.CustomStatus}, {"Output", st.Output}} {
			if len(f.v) > 0 && string(f.v) != "null" {
				fmt.Fprintf(tw, "%s\t%s\n", f.name, compact(f.v))
			}
		}
		_ = tw.Flush()
		if len(st.HistoryEvents) > 0 {
			var events []map[string]any
			_ = json.Unmarshal(st.HistoryEvents, &events)
			fmt.Fprintln(w, "History:")
			for _, ev := range events {
				fmt.Fprintf(w, "  %-36v %v %v\n", ev["EventType"], ev["Timestamp"], orEmpty(ev["FunctionName"], ev["Name"]))
			}
		}
	})
}

func (p *printer) instances(items []json.RawMessage) error {
	return p.printList(items, func(w io.Writer) {
		tw := newTable(w)
		fmt.Fprintln(tw, "INSTANCE\tNAME\tVERSION\tSTATUS\tCREATED")
		for _, item := range items {
			var st status
			_ = json.Unmarshal(item, &st)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.InstanceID, st.Name, orDash(st.Version), st.RuntimeStatus, st.CreatedTime)
		}
		_ = tw.Flush()
	})
}

func (p *printer) entities(raw []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return err
	}
	return p.printList(items, func(w io.Writer) {
		tw := newTable(w)
		fmt.Fprintln(tw, "ENTITY\tKEY\tLAST OPERATION\tSTATE")
		for _, item := range items {
			var e struct {
				EntityID struct {
					Name string `json:"name"`
					Key  string `json:"key"`
				} `json:"entityId"`
				LastOperationTime string          `json:"lastOperationTime"`
				State             json.RawMessage `json:"state"`
			}
			_ = json.Unmarshal(item, &e)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.EntityID.Name, e.EntityID.Key, e.LastOperationTime, compact(e.State))
		}
		_ = tw.Flush()
	})
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

func pretty(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func orEmpty(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return ""
}

// orDash stands for an empty cell, so that columns stay aligned for the eye.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }
