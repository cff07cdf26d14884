package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/webclient"
)

// credentials asks the source for the current credentials.
func (c *Client) credentials(ctx context.Context) (Credentials, error) {
	if c.opts.Credentials == nil {
		return Credentials{}, errNoCredentials
	}
	cr, err := c.opts.Credentials.Current(ctx)
	if err != nil {
		return Credentials{}, loginError(err)
	}
	return cr, nil
}

// loginError wraps an error of the credential source in an *Error whose
// sentence tells the user what to do.
func loginError(err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, auth.ErrLoginNeeded) {
		return &Error{Kind: KindAuth, Message: "Codex Tray needs a Codex login. Sign in with `codex login`.", Cause: err}
	}
	return &Error{Kind: KindAuth, Message: "Cannot read the Codex login. Check it with `codextray status`.", Cause: err}
}

func networkError(err error) *Error {
	return &Error{Kind: KindNetwork, Retryable: true,
		Message: "Cannot reach the ChatGPT backend. Check your internet connection and try again.", Cause: err}
}

// backoff is the delay before retry n (1-based): base × 2^(n-1) × [0.9, 1.1].
func (c *Client) backoff(n int) time.Duration {
	d := float64(c.opts.RetryBase) * float64(int64(1)<<min(n-1, 20))
	return time.Duration(d * (0.9 + 0.2*rand.Float64()))
}

// do sends the request that build makes, signed with the current
// credentials. It retries 5xx answers and network errors (MaxRetries times,
// with backoff), and after a 401 asks the source for other credentials and
// retries once. It returns the first 2xx or 304 answer, or an *Error.
func (c *Client) do(ctx context.Context, build func(context.Context, Credentials) (*http.Request, error), model string) (*http.Response, error) {
	return c.doAuth(ctx, build, model, true)
}

// doAuth is do; reauth false returns a 401 as it is, without asking the
// credential source for other credentials (see getOnce).
func (c *Client) doAuth(ctx context.Context, build func(context.Context, Credentials) (*http.Request, error), model string, reauth bool) (*http.Response, error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	reauthed := !reauth
	retries := max(c.opts.MaxRetries, 0)
	var last *Error
	for attempt := 0; ; {
		req, err := build(ctx, cr)
		if err != nil {
			return nil, err
		}
		var wrote atomic.Bool
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}))
		res, err := c.http.Do(req)
		var ne net.Error
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, webclient.ErrRedirectRefused):
			return nil, &Error{Kind: KindProtocol, Message: "The backend redirected the request to another address, which Codex Tray does not follow. Check the backend address (" + EnvChatGPTBaseURL + " or config.toml).", Cause: err}
		case wrote.Load() && errors.As(err, &ne) && ne.Timeout():
			// It has the request and says nothing: asking again would
			// only wait as long again.
			return nil, &Error{Kind: KindTimeout, Retryable: true, Cause: err,
				Message: fmt.Sprintf("The ChatGPT backend took the request but did not answer within %s. Try again later.", c.opts.HeaderTimeout)}
		default:
			last = networkError(err)
		}
		if err == nil {
			c.noteRateLimits(ParseRateLimits(res.Header))
			switch {
			case res.StatusCode < 300 || res.StatusCode == http.StatusNotModified:
				c.mu.Lock()
				c.lastCreds, c.haveLastCreds = Credentials{Mode: cr.Mode, AccountID: cr.AccountID}, true
				c.mu.Unlock()
				return res, nil
			case res.StatusCode == http.StatusUnauthorized && !reauthed:
				drain(res)
				reauthed = true
				next, err := c.opts.Credentials.AfterUnauthorized(ctx, cr)
				if err != nil {
					e := classifyHTTP(http.StatusUnauthorized, res.Header, nil, model, c.opts.Now())
					e.Cause = err
					var re *auth.RefreshError
					if errors.As(err, &re) {
						// Codex's own sentence says why the login cannot be renewed.
						e.Message, e.Retryable = re.Message, !re.Permanent
					}
					return nil, e
				}
				cr = next
				continue
			}
			body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			last = classifyHTTP(res.StatusCode, res.Header, body, model, c.opts.Now())
			if last.Kind != KindServer && !waitsBriefly(last) {
				return nil, last
			}
		}
		if attempt >= retries {
			if last.Kind == KindServer {
				last.Message = fmt.Sprintf("The ChatGPT backend kept failing (HTTP %d, %d attempts). Try again later.", last.Status, attempt+1)
			}
			return nil, last
		}
		attempt++
		delay := c.backoff(attempt)
		if last.RetryAfter > 0 {
			delay = last.RetryAfter // the backend said how long
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
}

// get is an authenticated GET that returns a 2xx or 304 answer.
func (c *Client) get(ctx context.Context, url string, header http.Header) (*http.Response, error) {
	return c.do(ctx, c.getRequest(url, header), "")
}

// getRequest builds an authenticated GET of url asking for JSON, with
// header and the client's common headers.
func (c *Client) getRequest(url string, header http.Header) func(context.Context, Credentials) (*http.Request, error) {
	return func(ctx context.Context, cr Credentials) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		c.setCommonHeaders(req.Header, cr)
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}

// MaxAutoRetryAfter is the longest Retry-After a request waits out by
// itself; a longer one is reported to the user with the time to wait.
const MaxAutoRetryAfter = 10 * time.Second

// waitsBriefly reports a rate limit (slow_down, a 429) whose Retry-After is
// short enough to wait out and send again, as Codex does.
func waitsBriefly(e *Error) bool {
	return e.Kind == KindRateLimited && e.RetryAfter > 0 && e.RetryAfter <= MaxAutoRetryAfter
}
