package examples_test

import (
	"slices"
	"testing"

	"github.com/godurable/durable/examples"
)

func TestDocumentApprovalOrchestrator(t *testing.T) {
	t.Parallel()
	req := examples.DocumentRequest{Title: "Q3 dojo budget", Author: "Daniel LaRusso", Manager: "Terry Silver"}
	tests := []struct {
		name    string
		timeout float64
		event   any // nil: raise nothing
		want    string
		steps   []string
	}{
		{"approved", 0, examples.ApprovalDecision{Approved: true, Approver: "Terry Silver"},
			`Document "Q3 dojo budget" was approved by Terry Silver and finalized`,
			[]string{"GenerateDocument", "RequestApproval", "FinalizeDocument"}},
		{"rejected", 0, examples.ApprovalDecision{Approved: false},
			`Document "Q3 dojo budget" was rejected by Terry Silver`,
			[]string{"GenerateDocument", "RequestApproval"}},
		{"not a decision", 0, "sure",
			`Document "Q3 dojo budget" was rejected by Terry Silver`,
			[]string{"GenerateDocument", "RequestApproval"}},
		{"escalated", 0.3, nil,
			`Approval of "Q3 dojo budget" was escalated: no decision from Terry Silver within 300ms`,
			[]string{"GenerateDocument", "RequestApproval", "Escalate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, c := testCtx(t), rt.Client()
			in := req
			in.ApprovalTimeoutSeconds = tt.timeout
			id, err := c.Start(ctx, "DocumentApprovalOrchestrator", in)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := examples.WaitForCustomStatus(ctx, c, id, "Waiting for approval by Terry Silver"); err != nil {
				t.Fatal(err)
			}
			if tt.event != nil {
				if err := c.RaiseEvent(ctx, id, "ApprovalEvent", tt.event); err != nil {
					t.Fatal(err)
				}
			}
			st, err := c.WaitForCompletion(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if out := completed[string](t, st); out != tt.want {
				t.Fatalf("output %q, want %q", out, tt.want)
			}
			if got := scheduled(t, id); !slices.Equal(got, tt.steps) {
				t.Fatalf("scheduled %v, want %v", got, tt.steps)
			}
		})
	}
}
