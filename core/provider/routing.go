package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

// Workspace routing (docs/codex-today.md §3): before the first request of a
// login, Codex asks {base}/wham/accounts/check which backend serves the
// account. Residency and government workspaces live on other origins
// (e.g. https://gov.chatgpt.com); sending their turns to chatgpt.com would
// be wrong, so an answer Codex Tray cannot follow is an error, never a
// silent fallback to the configured base.

// HeaderRoutingOverride carries the account's routing constraint ("us",
// "us_cr") on the requests to the routed backend, as Codex sends it.
const HeaderRoutingOverride = "x-openai-account-routing-override"

// HeaderResponsesLite marks a Responses-Lite turn (the model's catalog entry
// has use_responses_lite).
const HeaderResponsesLite = "x-openai-internal-codex-responses-lite"

// Route is where the requests of one ChatGPT account go.
type Route struct {
	Base     string // the ChatGPT base URL for responses, models and usage
	Override string // x-openai-account-routing-override; "" for none
}

type routeKey struct{ base, account string }

// accountsCheckBody is GET /wham/accounts/check as Codex 0.171 reads it.
type accountsCheckBody struct {
	Accounts []struct {
		ID                     string  `json:"id"`
		WorkspaceBackendOrigin *string `json:"workspace_backend_origin"`
		AccountRoutingOverride *string `json:"account_routing_override"`
	} `json:"accounts"`
}

// route returns the route of cr's account: asked once per account and
// configured base, then cached; a failed discovery is not cached, so the
// next request asks again.
func (c *Client) route(ctx context.Context, cr Credentials) (Route, error) {
	key := routeKey{c.opts.ChatGPTBaseURL, cr.AccountID}
	c.mu.Lock()
	r, ok := c.routes[key]
	c.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := c.discoverRoute(ctx, cr)
	var re *Error
	if err == nil || errors.As(err, &re) && re.Kind == KindRouting {
		c.noteRouting(cr, err)
	}
	if err != nil {
		return Route{}, err
	}
	c.mu.Lock()
	if c.routes == nil {
		c.routes = map[routeKey]Route{}
	}
	c.routes[key] = r
	c.mu.Unlock()
	return r, nil
}

// Route is the workspace route of the current login (ChatGPT mode), for
// `status` and the status window; an API key has none.
func (c *Client) Route(ctx context.Context) (Route, error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return Route{}, err
	}
	if cr.Mode != ModeChatGPT {
		return Route{}, nil
	}
	return c.route(ctx, cr)
}

func (c *Client) discoverRoute(ctx context.Context, cr Credentials) (Route, error) {
	if cr.AccountID == "" {
		return Route{}, routingError("The Codex login names no ChatGPT account, so Codex Tray cannot tell which workspace backend serves it. Sign in again with `codex login`.",
			fmt.Errorf("workspace routing requires a ChatGPT account id"))
	}
	ctx, cancel := context.WithTimeout(ctx, ModelsTimeout)
	defer cancel()
	res, err := c.do(ctx, func(ctx context.Context, cr Credentials) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.opts.ChatGPTBaseURL+"/wham/accounts/check", nil)
		if err != nil {
			return nil, err
		}
		// Codex sends neither originator nor version here.
		req.Header.Set("Authorization", "Bearer "+cr.Token.Reveal())
		req.Header.Set("User-Agent", c.userAgent())
		req.Header.Set("Accept", "application/json")
		if cr.AccountID != "" {
			req.Header.Set("ChatGPT-Account-ID", cr.AccountID)
		}
		return req, nil
	}, "")
	if err != nil {
		var pe *Error
		if e, ok := err.(*Error); ok {
			pe = e
		}
		if pe != nil && pe.Kind != KindAuth && pe.Kind != KindNetwork {
			pe.Message = "Codex Tray cannot find out which workspace backend serves this account: " + strings.TrimRight(pe.Message, ".") + "."
		}
		return Route{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return Route{}, networkError(err)
	}
	return parseRoute(c.opts.ChatGPTBaseURL, cr.AccountID, data)
}

// parseRoute reads the discovery answer for account, against the
// configured base URL whose path the workspace origin takes over.
func parseRoute(base, account string, data []byte) (Route, error) {
	var b accountsCheckBody
	if err := json.Unmarshal(data, &b); err != nil {
		return Route{}, &Error{Kind: KindProtocol, Message: "The workspace routing answer from the backend is not readable.",
			Cause: fmt.Errorf("wham/accounts/check: %w", err)}
	}
	found := -1
	for i, a := range b.Accounts {
		if a.ID == account {
			if found >= 0 {
				return Route{}, routingError("The backend lists this ChatGPT account twice in its workspace routing, so Codex Tray cannot tell where to send the chat. Try again later.",
					fmt.Errorf("duplicate workspace %s in routing discovery", account))
			}
			found = i
		}
	}
	if found < 0 {
		return Route{}, routingError("The ChatGPT backend does not list the signed-in workspace for Codex. Sign in again with `codex login` and pick the workspace, or ask its admin whether Codex is enabled.",
			fmt.Errorf("selected workspace %s missing from routing discovery (%d accounts listed)", account, len(b.Accounts)))
	}
	a := b.Accounts[found]
	r := Route{}
	switch o := deref(a.AccountRoutingOverride); o {
	case "", "NO_CONSTRAINT":
	case "us", "us_cr":
		r.Override = o
	default:
		return Route{}, routingError("The backend gave this workspace a routing rule Codex Tray does not know ("+o+"), so it sends nothing rather than risk the wrong region. Update Codex Tray.",
			fmt.Errorf("workspace routing discovery has invalid account routing override %q", o))
	}
	origin := strings.TrimSpace(deref(a.WorkspaceBackendOrigin))
	if origin == "" {
		return Route{}, routingError("The backend did not say which server serves this workspace, so Codex Tray sends nothing rather than guess. Try again later.",
			fmt.Errorf("workspace routing discovery missing backend origin"))
	}
	routed, err := routedBase(base, origin)
	if err != nil {
		return Route{}, routingError("The backend named a workspace server Codex Tray will not use ("+err.Error()+"). It only sends chats over HTTPS.",
			fmt.Errorf("workspace backend origin %q: %w", origin, err))
	}
	r.Base = routed
	return r, nil
}

// routedBase is the base URL on origin: origin's own path when it has one,
// else the configured base's path (…/backend-api). Only HTTPS origins are
// followed; plain http only to a loopback host, which is how tests run a
// local fake of the backend (CODEXTRAY_CHATGPT_BASE_URL).
func routedBase(base, origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("not a URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("credentials, a query or a fragment in the origin")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("plain http")
		}
	default:
		return "", fmt.Errorf("scheme %q", u.Scheme)
	}
	path := strings.TrimRight(u.Path, "/")
	if path == "" {
		if b, err := url.Parse(base); err == nil {
			path = strings.TrimRight(b.Path, "/")
		}
	}
	return u.Scheme + "://" + u.Host + path, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func routingError(msg string, cause error) *Error {
	return &Error{Kind: KindRouting, Code: "workspace_routing", Message: msg, Cause: cause}
}

// routingNote is the outcome of the latest discovery for one account, kept
// on disk so that `status` and the status window can show a routing
// problem without asking the network themselves.
type routingNote struct {
	Account string    `json:"account"`
	Base    string    `json:"base"`
	Problem string    `json:"problem,omitempty"` // the user's sentence; "" when the route was found
	At      time.Time `json:"at"`
}

func (c *Client) routingNotePath(cr Credentials) string {
	if c.opts.CacheDir == "-" {
		return ""
	}
	sum := sha256.Sum256([]byte(c.opts.ChatGPTBaseURL + "\x00" + cr.AccountID))
	return filepath.Join(c.opts.CacheDir, "routing-"+hex.EncodeToString(sum[:8])+".json")
}

func (c *Client) noteRouting(cr Credentials, err error) {
	path := c.routingNotePath(cr)
	if path == "" {
		return
	}
	n := routingNote{Account: cr.AccountID, Base: c.opts.ChatGPTBaseURL, At: c.opts.Now()}
	if err != nil {
		n.Problem = ErrorMessage(err)
	}
	data, _ := json.Marshal(n)
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	_ = userfile.WriteAtomic(path, data, userfile.Atomic{Temp: ".routing-"})
}

// RoutingProblem is the sentence of the latest workspace routing failure
// of account on the ChatGPT base URL chatgptBase, as the chat, models or
// usage met it (cacheDir "" is the default cache directory); "" when the
// latest discovery succeeded or none was made. It reads one file: no
// credentials, no network, so `status` can call it and never refresh.
func RoutingProblem(cacheDir, chatgptBase, account string) string {
	c := New(Options{Credentials: StaticSource{}, CacheDir: cacheDir, ChatGPTBaseURL: chatgptBase})
	path := c.routingNotePath(Credentials{AccountID: account})
	if path == "" || account == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	var n routingNote
	if err != nil || json.Unmarshal(data, &n) != nil || n.Account != account || n.Base != c.opts.ChatGPTBaseURL {
		return ""
	}
	return n.Problem
}
