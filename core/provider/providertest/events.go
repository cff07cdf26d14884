package providertest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SSE encodes events as an SSE stream, the way the backend frames them:
// "event: <type>\ndata: <json>\n\n" for each.
func SSE(events ...map[string]any) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(Record(e))
	}
	return b.String()
}

// Record is one SSE record for event.
func Record(event map[string]any) string {
	data, err := json.Marshal(event)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("event: %v\ndata: %s\n\n", event["type"], data)
}

// Created is response.created.
func Created(id string) map[string]any {
	return map[string]any{"type": "response.created", "response": map[string]any{"id": id}}
}

// TextDelta is response.output_text.delta.
func TextDelta(delta string) map[string]any {
	return map[string]any{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": delta}
}

// ReasoningDelta is response.reasoning_summary_text.delta for paragraph idx.
func ReasoningDelta(idx int, delta string) map[string]any {
	return map[string]any{"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": idx, "delta": delta}
}

// MessageDone is response.output_item.done for an assistant message.
func MessageDone(text string) map[string]any {
	return map[string]any{"type": "response.output_item.done", "output_index": 1, "item": map[string]any{
		"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
		"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}}}
}

// ReasoningDone is response.output_item.done for a reasoning item.
func ReasoningDone(summary []string, encrypted string) map[string]any {
	var s []any
	for _, t := range summary {
		s = append(s, map[string]any{"type": "summary_text", "text": t})
	}
	return map[string]any{"type": "response.output_item.done", "output_index": 0, "item": map[string]any{
		"type": "reasoning", "id": "rs_1", "summary": s, "encrypted_content": encrypted}}
}

// Usage is the usage object of response.completed.
type Usage struct{ Input, Cached, Output, Reasoning int }

// Completed is response.completed with usage.
func Completed(id string, u Usage) map[string]any {
	return map[string]any{"type": "response.completed", "response": map[string]any{
		"id": id, "status": "completed", "output": []any{}, "end_turn": true,
		"usage": map[string]any{
			"input_tokens": u.Input, "input_tokens_details": map[string]any{"cached_tokens": u.Cached},
			"output_tokens": u.Output, "output_tokens_details": map[string]any{"reasoning_tokens": u.Reasoning},
			"total_tokens": u.Input + u.Output,
		}}}
}

// Failed is response.failed with error code and message; extra fields
// (plan_type, resets_at, type) go into the error object.
func Failed(code, message string, extra map[string]any) map[string]any {
	e := map[string]any{"code": code, "message": message}
	for k, v := range extra {
		e[k] = v
	}
	return map[string]any{"type": "response.failed", "response": map[string]any{"id": "resp_failed", "status": "failed", "error": e}}
}

// Incomplete is response.incomplete.
func Incomplete(reason string) map[string]any {
	return map[string]any{"type": "response.incomplete", "response": map[string]any{
		"id": "resp_incomplete", "status": "incomplete", "incomplete_details": map[string]any{"reason": reason}}}
}

// Error is a top-level error event.
func Error(code, message string) map[string]any {
	return map[string]any{"type": "error", "code": code, "message": message, "param": nil, "sequence_number": 3}
}

// Stream is a complete successful answer: created, a reasoning summary,
// the text in deltas, the items and completed.
func Stream(text string, u Usage) string {
	events := []map[string]any{Created("resp_1"), ReasoningDelta(0, "Thinking "), ReasoningDelta(0, "about it."),
		ReasoningDone([]string{"Thinking about it."}, "enc-reasoning-1")}
	for _, w := range strings.SplitAfter(text, " ") {
		if w != "" {
			events = append(events, TextDelta(w))
		}
	}
	events = append(events, MessageDone(text), Completed("resp_1", u))
	return SSE(events...)
}

// FixtureDir is the repository's testdata/codex folder: the Codex fixtures
// with their provenance (testdata/codex/PROVENANCE.md). It is found from this
// source file's own path, so it is the same for every package's tests and for
// bench/ (its own module, which uses this package through a replace). A
// missing folder fails the test: the fixtures are part of the repository.
func FixtureDir(t testing.TB) string {
	t.Helper()
	_, src, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(src) {
		t.Fatalf("providertest: cannot locate testdata/codex from its own source path %q (built with -trimpath?)", src)
	}
	// src is <repo>/core/provider/providertest/events.go.
	d := filepath.Join(filepath.Dir(src), "..", "..", "..", "testdata", "codex")
	if _, err := os.Stat(filepath.Join(d, "PROVENANCE.md")); err != nil {
		t.Fatalf("the Codex fixtures are missing: %v (they belong in the repository's testdata/codex)", err)
	}
	return d
}

// Fixture reads a fixture file.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(FixtureDir(t), name))
	if err != nil {
		t.Fatalf("Codex fixture %s is missing or unreadable: %v", name, err)
	}
	return b
}

// FixtureSSE turns a JSON-array fixture into an SSE stream, each element a
// record, with __ID__ replaced by id (as Codex's old test harness did).
func FixtureSSE(t testing.TB, name, id string) string {
	t.Helper()
	raw := strings.ReplaceAll(string(Fixture(t, name)), "__ID__", id)
	var events []map[string]any
	if err := json.Unmarshal([]byte(raw), &events); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return SSE(events...)
}
