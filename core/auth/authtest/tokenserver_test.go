package authtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func post(t *testing.T, s *TokenServer, contentType, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.TokenURL(), contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func refreshBody(rt string) string {
	b, _ := json.Marshal(map[string]string{"client_id": ClientID, "grant_type": "refresh_token", "refresh_token": rt})
	return string(b)
}

// TestTokenServerSingleUse: tokens rotate, a second redemption gets 401
// refresh_token_reused, and anything but Codex's JSON request is refused.
func TestTokenServerSingleUse(t *testing.T) {
	s := NewTokenServer(t, "rt_a")
	code, m := post(t, s, "application/json", refreshBody("rt_a"))
	next, _ := m["refresh_token"].(string)
	if code != 200 || next == "" || next == "rt_a" || m["access_token"] == nil || m["id_token"] == nil {
		t.Fatalf("first redemption: %d, rotated: %v", code, next != "" && next != "rt_a")
	}
	code, m = post(t, s, "application/json", refreshBody("rt_a"))
	e, _ := m["error"].(map[string]any)
	if code != 401 || e["code"] != "refresh_token_reused" {
		t.Errorf("second redemption: %d %v, want 401 refresh_token_reused", code, e["code"])
	}
	if code, _ := post(t, s, "application/json", refreshBody(next)); code != 200 {
		t.Errorf("the rotated token: %d", code)
	}
	if code, _ := post(t, s, "application/json", refreshBody("rt_never_issued")); code != 401 {
		t.Errorf("an unknown token: %d", code)
	}
	form := url.Values{"client_id": {ClientID}, "grant_type": {"refresh_token"}, "refresh_token": {s.Current()}}.Encode()
	for _, c := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", form},
		{"application/json", `{"client_id":"other","grant_type":"refresh_token","refresh_token":"x"}`},
		{"application/json", `{"client_id":"` + ClientID + `","grant_type":"password","refresh_token":"x"}`},
		{"application/json", `{"client_id":"` + ClientID + `","grant_type":"refresh_token"}`},
		{"application/json", `[1]`},
	} {
		if code, _ := post(t, s, c.ct, c.body); code < 400 {
			t.Errorf("%s %s: %d, want an error", c.ct, c.body, code)
		}
	}
	want := TokenCounts{Calls: 9, Issued: 2, Reused: 1, Unknown: 1, Bad: 5}
	if got := s.Counts(); got != want {
		t.Errorf("counts %v, want %v", got, want)
	}
	s.SetFailure(FailServerError)
	if code, _ := post(t, s, "application/json", refreshBody(s.Current())); code != 500 {
		t.Errorf("FailServerError: %d", code)
	}
	s.SetFailure(FailNone)
	if code, _ := post(t, s, "application/json", refreshBody(s.Current())); code != 200 {
		t.Errorf("a failed request must not spend the token: %d", code)
	}
}
