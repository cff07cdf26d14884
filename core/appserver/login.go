package appserver

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// Flow is how the user signs in.
type Flow string

const (
	// DeviceCode: the user opens a page on any device and enters a code.
	DeviceCode Flow = "chatgptDeviceCode"
	// Browser: the user signs in in a browser on this machine, which
	// hands the result back to Codex on localhost.
	Browser Flow = "chatgpt"
)

// CodeLifetime is how long a device code can be entered (docs/codex-today.md §5).
const CodeLifetime = 15 * time.Minute

// codeLifetime and expiryGrace time a sign-in out (variables for tests):
// Codex gives up on a code itself when it expires; Codex Tray ends the
// sign-in expiryGrace later if it has not.
var (
	codeLifetime = CodeLifetime
	expiryGrace  = 30 * time.Second
)

// Prompt is what the user has to do to finish a sign-in.
type Prompt struct {
	Flow     Flow
	URL      string // the page to open: the device page, or the browser sign-in
	UserCode string // the code to enter there (device flow)
	// ExpiresAt is when the code (or the browser sign-in) stops working.
	ExpiresAt time.Time
}

// Account is the login Codex reports.
type Account struct {
	Type  string // "chatgpt" or "apiKey"
	Email string
	Plan  string
}

// SignIn is a sign-in in progress. Its app-server runs until the sign-in
// completes, fails, is cancelled, or expires.
type SignIn struct {
	Prompt Prompt

	c       *Client
	loginID string
	cancel  context.CancelFunc

	mu        sync.Mutex
	cancelled bool
	expired   bool
	done      chan struct{}
	acct      Account
	err       error
}

// StartSignIn starts app-server and a sign-in with flow, and returns once
// Codex has the URL (and code) the user needs. The sign-in then runs on
// until Done; ending ctx cancels it.
func StartSignIn(ctx context.Context, opts Options, flow Flow) (*SignIn, error) {
	ctx, cancel := context.WithCancel(ctx)
	c, err := Start(ctx, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	var res struct {
		Type            string `json:"type"`
		LoginID         string `json:"loginId"`
		VerificationURL string `json:"verificationUrl"`
		UserCode        string `json:"userCode"`
		AuthURL         string `json:"authUrl"`
	}
	started := time.Now()
	if err := c.Call(ctx, "account/login/start", map[string]any{"type": string(flow)}, &res); err != nil {
		err = callError(ctx, err)
		c.Close()
		cancel()
		return nil, err
	}
	s := &SignIn{c: c, loginID: res.LoginID, cancel: cancel, done: make(chan struct{})}
	s.Prompt = Prompt{Flow: flow, URL: res.VerificationURL, UserCode: res.UserCode, ExpiresAt: started.Add(codeLifetime)}
	if flow == Browser {
		s.Prompt.URL = res.AuthURL
	}
	go s.wait(ctx)
	return s, nil
}

// callError explains a failed request.
func callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &LoginError{Kind: KindCancelled}
	}
	var re *RPCError
	if errors.As(err, &re) {
		return classify(re.Message)
	}
	return err
}

// loginCompleted is the account/login/completed notification.
type loginCompleted struct {
	Success bool    `json:"success"`
	Error   *string `json:"error"`
	LoginID *string `json:"loginId"`
}

// wait follows the sign-in to its end and ends app-server.
func (s *SignIn) wait(ctx context.Context) {
	defer close(s.done)
	defer s.cancel()
	expiry := time.NewTimer(time.Until(s.Prompt.ExpiresAt) + expiryGrace)
	defer expiry.Stop()
	var completed *loginCompleted
	notes := s.c.Notifications()
loop:
	for {
		select {
		case n, ok := <-notes:
			if !ok {
				break loop
			}
			if n.Method != "account/login/completed" {
				continue
			}
			var p loginCompleted
			if json.Unmarshal(n.Params, &p) != nil || p.LoginID != nil && s.loginID != "" && *p.LoginID != s.loginID {
				continue
			}
			completed = &p
			break loop
		case <-expiry.C:
			// Codex gives up on a code when it expires; should it not,
			// Codex Tray does, so no app-server outlives its sign-in.
			s.mu.Lock()
			s.expired = true
			s.mu.Unlock()
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	defer s.c.Close()
	switch {
	case completed != nil && completed.Success:
		// Who signed in, for "Signed in as …"; the login is stored already.
		rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
		if acct, _, err := readAccount(rctx, s.c, false); err == nil {
			s.acct = acct
		}
		rcancel()
	case s.isCancelled() || ctx.Err() != nil:
		s.err = &LoginError{Kind: KindCancelled}
	case s.isExpired():
		s.cancelLogin()
		s.err = &LoginError{Kind: KindExpired}
	case completed == nil:
		// The notifications ended: app-server exited in the middle.
		<-s.c.Exited()
		s.err = s.c.crashed()
	default:
		msg := ""
		if completed.Error != nil {
			msg = *completed.Error
		}
		s.err = classify(msg)
	}
}

func (s *SignIn) isCancelled() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.cancelled }
func (s *SignIn) isExpired() bool   { s.mu.Lock(); defer s.mu.Unlock(); return s.expired }

// cancelLogin asks Codex to stop the sign-in (it closes its browser
// callback server); best effort, the process ends right after.
func (s *SignIn) cancelLogin() {
	if s.loginID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.c.Call(ctx, "account/login/cancel", map[string]any{"loginId": s.loginID}, nil)
}

// Cancel stops the sign-in and ends app-server; it returns once it has
// ended. The result is then a KindCancelled error, unless the sign-in had
// finished first.
func (s *SignIn) Cancel() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
	}
	s.cancelled = true
	s.mu.Unlock()
	s.cancelLogin()
	s.cancel()
	<-s.done
}

// Done is closed when the sign-in has ended and app-server has exited.
func (s *SignIn) Done() <-chan struct{} { return s.done }

// Result is the account signed in, or why not; valid once Done is closed.
func (s *SignIn) Result() (Account, error) {
	<-s.done
	return s.acct, s.err
}

// Wait waits for the end of the sign-in; ending ctx cancels it.
func (s *SignIn) Wait(ctx context.Context) (Account, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		s.Cancel()
	}
	return s.Result()
}

// PID is the app-server process's id (for tests that check it is gone).
func (s *SignIn) PID() int { return s.c.PID() }

// SignOut has Codex remove its login from every store it used.
func SignOut(ctx context.Context, opts Options) error {
	c, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Call(ctx, "account/logout", nil, nil); err != nil {
		var re *RPCError
		if errors.As(err, &re) {
			return errors.New("Codex could not sign out: " + shorten(scrub(re.Message)))
		}
		return err
	}
	return nil
}

// ReadAccount returns the login Codex sees; refresh makes Codex refresh the
// tokens first, with its own code and locks. requiresAuth: Codex has no
// usable login.
func ReadAccount(ctx context.Context, opts Options, refresh bool) (acct Account, requiresAuth bool, err error) {
	c, err := Start(ctx, opts)
	if err != nil {
		return Account{}, false, err
	}
	defer c.Close()
	return readAccount(ctx, c, refresh)
}

func readAccount(ctx context.Context, c *Client, refresh bool) (Account, bool, error) {
	var res struct {
		Account *struct {
			Type     string  `json:"type"`
			Email    *string `json:"email"`
			PlanType string  `json:"planType"`
		} `json:"account"`
		RequiresOpenaiAuth bool `json:"requiresOpenaiAuth"`
	}
	if err := c.Call(ctx, "account/read", map[string]any{"refreshToken": refresh}, &res); err != nil {
		return Account{}, false, callError(ctx, err)
	}
	if res.Account == nil {
		return Account{}, res.RequiresOpenaiAuth, nil
	}
	a := Account{Type: res.Account.Type, Plan: res.Account.PlanType}
	if res.Account.Email != nil {
		a.Email = *res.Account.Email
	}
	return a, res.RequiresOpenaiAuth, nil
}
