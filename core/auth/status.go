package auth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/codextray/codextray/core/textfmt"
)

// State is the login state reported by `codextray status` and shown in the tray.
type State string

const (
	StateLoggedOut       State = "logged_out"
	StateAPIKey          State = "api_key"
	StateValid           State = "valid"
	StateExpiring        State = "expiring"
	StateExpired         State = "expired"
	StateReloginRequired State = "relogin_required"
	StateError           State = "error"
)

// Status is everything `status --json` prints. It never holds a token.
type Status struct {
	CodexHome        string `json:"codex_home"`
	Store            string `json:"store"`
	Source           string `json:"source"`
	Mode             Mode   `json:"mode"`
	State            State  `json:"state"`
	Email            string `json:"email,omitempty"`
	Plan             string `json:"plan,omitempty"`
	AccountID        string `json:"account_id,omitempty"`
	ExpiresAt        string `json:"expires_at,omitempty"`
	ExpiresInSeconds *int64 `json:"expires_in_seconds,omitempty"`
	LastRefresh      string `json:"last_refresh,omitempty"`
	APIKey           string `json:"api_key,omitempty"`
	Mirror           string `json:"mirror"`
	Message          string `json:"message"`
	Error            string `json:"error,omitempty"`
	// CodexCLI is the installed Codex CLI, null when none was found.
	CodexCLI *CodexCLI `json:"codex_cli"`

	// Expires is ExpiresAt as a time, for countdowns; zero when unknown.
	Expires time.Time `json:"-"`
}

// CodexCLI is where the Codex CLI is installed and its version.
type CodexCLI struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Mirror states of the keychain mirror.
const (
	MirrorInSync      = "in_sync"
	MirrorStale       = "stale"
	MirrorAbsent      = "absent"
	MirrorUnavailable = "unavailable"
	MirrorDisabled    = "disabled"
)

// DefaultReminder is how long before expiry the login counts as expiring.
const DefaultReminder = 24 * time.Hour

// StatusOptions are the inputs of NewStatus besides the snapshot.
type StatusOptions struct {
	Now      time.Time
	Reminder time.Duration // DefaultReminder when zero
	Mirror   string        // MirrorDisabled when empty
	// Relogin is the last permanent refresh failure; it applies when it was
	// for this exact login.
	Relogin *Failure
}

// NewStatus turns a snapshot into the status shown everywhere. It is pure:
// the same snapshot and options give the same status.
func NewStatus(s Snapshot, o StatusOptions) Status {
	if o.Reminder <= 0 {
		o.Reminder = DefaultReminder
	}
	if o.Mirror == "" {
		o.Mirror = MirrorDisabled
	}
	st := Status{
		CodexHome: s.Home,
		Store:     string(s.Config.Store),
		Source:    string(s.Source),
		Mode:      ModeNone,
		Mirror:    o.Mirror,
	}
	if st.Store == "" {
		st.Store = string(StoreFile)
	}
	fail := func(err error) Status {
		st.State = StateError
		st.Error = err.Error()
		st.Message = "Cannot read the Codex login: " + st.Error
		return st
	}
	switch {
	case s.Err != nil:
		return fail(s.Err)
	case s.Doc == nil:
		st.State = StateLoggedOut
		st.Message = "Not signed in to Codex. Sign in with `codex login`."
		if s.HomeMissing {
			st.Message = "Not signed in to Codex (" + s.Home + " does not exist yet). Sign in with `codex login`."
		}
		return st
	}
	d := s.Doc
	st.LastRefresh = d.LastRefresh
	switch mode := d.Mode(); mode {
	case ModeAPIKey:
		st.Mode, st.State = ModeAPIKey, StateAPIKey
		st.APIKey = maskAPIKey(d.APIKey)
		st.Message = "Codex uses an API key (" + st.APIKey + ")."
		return st
	case ModeChatGPT:
		st.Mode = ModeChatGPT
	default:
		return fail(fmt.Errorf("the Codex login uses %q, which Codex Tray does not support; sign in with `codex login` to use your ChatGPT plan", mode))
	}
	if d.Tokens == nil || d.Tokens.IDToken.IsZero() {
		return fail(errors.New("auth.json holds no ChatGPT tokens; sign in again with `codex login`"))
	}
	id, err := DecodeClaims(d.Tokens.IDToken)
	if err != nil {
		return fail(fmt.Errorf("the id_token in auth.json is unreadable (%v); sign in again with `codex login`", err))
	}
	st.Email, st.Plan = id.Email, id.Plan
	st.AccountID = d.Tokens.AccountID
	if st.AccountID == "" {
		st.AccountID = id.AccountID
	}
	who := "Signed in as " + orDefault(st.Email, "an unknown account")
	if st.Plan != "" {
		who += " (" + PlanName(st.Plan) + ")"
	}
	access, accessErr := DecodeClaims(d.Tokens.AccessToken)
	known := accessErr == nil && !access.Expires.IsZero()
	var left time.Duration
	if known {
		st.Expires = access.Expires
		st.ExpiresAt = access.Expires.UTC().Format(time.RFC3339)
		left = access.Expires.Sub(o.Now)
		secs := int64(math.Floor(left.Seconds()))
		st.ExpiresInSeconds = &secs
	}
	if f := o.Relogin; f != nil && f.DocHash == documentHash(d) {
		st.State = StateReloginRequired
		st.Error = f.Message
		st.Message = who + " · sign in again with `codex login`: the token could not be refreshed"
		return st
	}
	if !known {
		// Codex accepts opaque access tokens; their expiry is unknown.
		st.State = StateValid
		st.Message = who + " · token expiry unknown"
		return st
	}
	switch {
	case left <= 0:
		st.State = StateExpired
		st.Message = who + " · token expired " + textfmt.Duration(-left) + " ago; it is refreshed on next use"
	case left < o.Reminder:
		st.State = StateExpiring
		st.Message = who + " · token expires in " + textfmt.Duration(left)
	default:
		st.State = StateValid
		st.Message = who + " · token valid, expires in " + textfmt.Duration(left)
	}
	return st
}

// NextChange is when the state of st changes with time alone (valid to
// expiring, expiring to expired); zero when it does not.
func (st Status) NextChange(reminder time.Duration) time.Time {
	if reminder <= 0 {
		reminder = DefaultReminder
	}
	switch st.State {
	case StateValid:
		if !st.Expires.IsZero() {
			return st.Expires.Add(-reminder)
		}
	case StateExpiring:
		return st.Expires
	}
	return time.Time{}
}

// Mode is the auth mode Codex would use for this document: auth_mode when
// present, else (as Codex's resolved_mode) a non-null OPENAI_API_KEY means
// apikey and anything else chatgpt.
func (d *Document) Mode() Mode {
	switch m := Mode(d.AuthMode); m {
	case ModeAPIKey, ModeChatGPT:
		return m
	case modeChatGPTAuthTokens:
		return ModeChatGPT
	case "":
		for _, f := range d.fields {
			switch f.key {
			case "personal_access_token":
				return modePersonalAccessToken
			case "bedrock_api_key":
				return modeBedrockAPIKey
			}
		}
		if !d.APIKey.IsZero() {
			return ModeAPIKey
		}
		return ModeChatGPT
	}
	return Mode(d.AuthMode)
}

var planNames = map[string]string{
	"free": "Free", "go": "Go", "plus": "Plus", "pro": "Pro", "prolite": "Pro Lite",
	"team": "Team", "business": "Business", "enterprise": "Enterprise", "hc": "Enterprise",
	"edu": "Edu", "education": "Edu", "edu_plus": "Edu Plus", "edu_pro": "Edu Pro",
	"self_serve_business_prolite":     "Business Pro Lite",
	"self_serve_business_usage_based": "Business (usage based)",
	"enterprise_cbp_usage_based":      "Enterprise (usage based)",
	"enterprise_cbp_automation":       "Enterprise Automation",
	"ent26":                           "Enterprise",
}

// PlanName is the display name of a chatgpt_plan_type; unknown plans are
// shown as they are.
func PlanName(plan string) string {
	if n, ok := planNames[plan]; ok {
		return n
	}
	return plan
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
