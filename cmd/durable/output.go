package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// printer writes results for people, or the server's JSON for scripts.
type printer struct {
	w    io.Writer
	json bool
}

func (p *printer) print(raw []byte, human func(io.Writer)) error {
	if p.json {
		_, err := fmt.Fprintln(p.w, string(bytes.TrimSpace(raw)))
		return err
	}
	human(p.w)
	return nil
}

func (p *printer) done(msg string) error {
	if p.json {
		b, _ := json.Marshal(map[string]string{"result": msg})
		_, err := fmt.Fprintln(p.w, string(b))
		return err
	}
	_, err := fmt.Fprintln(p.w, msg)
	return err
}

func (p *printer) status(raw []byte) error {
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	return p.print(raw, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "Instance\t%s\nName\t%s\nStatus\t%s\nCreated\t%s\nUpdated\t%s\n",
			st.InstanceID, st.Name, st.RuntimeStatus, st.CreatedTime, st.LastUpdatedTime)
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

func (p *printer) instances(list []status) error {
	if p.json {
		b, _ := json.Marshal(list)
		_, err := fmt.Fprintln(p.w, string(b))
		return err
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tNAME\tSTATUS\tCREATED")
	for _, st := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.InstanceID, st.Name, st.RuntimeStatus, st.CreatedTime)
	}
	return tw.Flush()
}

func (p *printer) entities(raw []byte) error {
	var list []struct {
		EntityID struct {
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"entityId"`
		LastOperationTime string          `json:"lastOperationTime"`
		State             json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	return p.print(raw, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENTITY\tKEY\tLAST OPERATION\tSTATE")
		for _, e := range list {
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

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }
