package examples

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/godurable/durable/orchestrator"
)

// DefaultDocumentApprovalTimeout is how long the manager has to decide before the
// approval is escalated.
const DefaultDocumentApprovalTimeout = 72 * time.Hour

// DocumentRequest is the input of DocumentApprovalOrchestrator.
type DocumentRequest struct {
	Title   string `json:"title"`
	Author  string `json:"author"`
	Manager string `json:"manager"`
	// ApprovalTimeoutSeconds bounds the wait for ApprovalEvent (default 72 hours).
	ApprovalTimeoutSeconds float64 `json:"approvalTimeoutSeconds,omitempty"`
}

// Document is what GenerateDocument produces.
type Document struct {
	Title  string `json:"title"`
	Author string `json:"author"`
	Body   string `json:"body"`
}

// ApprovalDecision is the payload of the ApprovalEvent external event, for example
// {"approved": true, "approver": "Terry Silver"}.
type ApprovalDecision struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver"`
}

// ApprovalNotice is the input of RequestApproval: the manager needs the instance id to
// send the decision back to the right orchestration.
type ApprovalNotice struct {
	InstanceID string   `json:"instanceId"`
	Manager    string   `json:"manager"`
	Document   Document `json:"document"`
}

// Finalization is the input of FinalizeDocument.
type Finalization struct {
	Document Document         `json:"document"`
	Decision ApprovalDecision `json:"decision"`
}

// Escalation is the input of Escalate.
type Escalation struct {
	Document Document `json:"document"`
	Manager  string   `json:"manager"`
	Waited   string   `json:"waited"`
}

// DocumentApprovalOrchestrator is the seed article's document approval process, human
// interaction with a deadline: generate the document, ask the manager for approval,
// then wait for the ApprovalEvent external event for up to 72 hours (or
// approvalTimeoutSeconds). An approval finalizes the document, a rejection ends the
// process, and silence escalates it. It returns what happened, in words.
func DocumentApprovalOrchestrator(ctx *orchestrator.Context, req DocumentRequest) (string, error) {
	doc, err := orchestrator.CallActivity[Document](ctx, "GenerateDocument", req).Await()
	if err != nil {
		return "", err
	}
	notice := ApprovalNotice{InstanceID: ctx.InstanceID(), Manager: req.Manager, Document: doc}
	if _, err := orchestrator.CallActivity[string](ctx, "RequestApproval", notice).Await(); err != nil {
		return "", err
	}
	if err := ctx.SetCustomStatus("Waiting for approval by " + req.Manager); err != nil {
		return "", err
	}
	timeout := seconds(req.ApprovalTimeoutSeconds, DefaultDocumentApprovalTimeout)
	// WithTimeout races the event against a durable timer and cancels whichever loses.
	payload, err := orchestrator.WaitForExternalEvent[json.RawMessage](ctx, "ApprovalEvent",
		orchestrator.WithTimeout(timeout)).Await()
	if errors.Is(err, orchestrator.ErrTimedOut) {
		_ = ctx.SetCustomStatus("Escalated")
		esc := Escalation{Document: doc, Manager: req.Manager, Waited: timeout.String()}
		return orchestrator.CallActivity[string](ctx, "Escalate", esc).Await()
	}
	if err != nil {
		return "", err
	}
	// A payload that is not a decision is no approval: a document is never finalized
	// without an explicit yes.
	var decision ApprovalDecision
	valid := json.Unmarshal(payload, &decision) == nil
	if decision.Approver == "" {
		decision.Approver = req.Manager
	}
	if !valid || !decision.Approved {
		_ = ctx.SetCustomStatus("Rejected")
		return fmt.Sprintf("Document %q was rejected by %s", doc.Title, decision.Approver), nil
	}
	_ = ctx.SetCustomStatus("Approved")
	return orchestrator.CallActivity[string](ctx, "FinalizeDocument", Finalization{Document: doc, Decision: decision}).Await()
}

// GenerateDocument stands in for the system that drafts the document.
func GenerateDocument(ctx context.Context, req DocumentRequest) (Document, error) {
	slog.InfoContext(ctx, "document generated", "title", req.Title)
	return Document{Title: req.Title, Author: req.Author, Body: req.Title + ", drafted by " + req.Author}, nil
}

// RequestApproval stands in for the email to the manager, whose link would raise
// ApprovalEvent on the instance.
func RequestApproval(ctx context.Context, n ApprovalNotice) (string, error) {
	msg := fmt.Sprintf("Approval of %q requested from %s", n.Document.Title, n.Manager)
	slog.InfoContext(ctx, msg, "instance", n.InstanceID, "event", "ApprovalEvent")
	return msg, nil
}

// FinalizeDocument stands in for publishing the approved document.
func FinalizeDocument(ctx context.Context, f Finalization) (string, error) {
	msg := fmt.Sprintf("Document %q was approved by %s and finalized", f.Document.Title, f.Decision.Approver)
	slog.InfoContext(ctx, msg)
	return msg, nil
}

// Escalate stands in for handing an undecided approval to the manager's manager.
func Escalate(ctx context.Context, e Escalation) (string, error) {
	msg := fmt.Sprintf("Approval of %q was escalated: no decision from %s within %s", e.Document.Title, e.Manager, e.Waited)
	slog.WarnContext(ctx, msg)
	return msg, nil
}
