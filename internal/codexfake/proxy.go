// Package codexfake lets the real Codex CLI talk to local fakes of OpenAI's
// hosts while keeping its production URLs: an HTTP CONNECT proxy on
// 127.0.0.1 terminates TLS for the intercepted hosts with a certificate
// from a throwaway CA made in the test, and hands the plain requests to a
// handler. Codex is pointed at it with HTTPS_PROXY and at the CA with
// CODEX_CA_CERTIFICATE (Env). Hosts without a handler are refused, so
// nothing leaves the machine.
package codexfake

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// CA is a throwaway certificate authority that signs one leaf certificate
// per intercepted host.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	PEMPath string // the CA certificate, PEM, for CODEX_CA_CERTIFICATE

	mu    sync.Mutex
	leafs map[string]*tls.Certificate
}

// NewCA makes a CA valid for a day and writes its certificate into dir.
func NewCA(dir string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Codex Tray test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, PEMPath: path, leafs: map[string]*tls.Certificate{}}, nil
}

// Pool is a cert pool holding only the CA, for Go clients of the proxy.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Leaf returns the certificate for host, making it on first use.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leafs[host]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}
	ca.leafs[host] = c
	return c, nil
}

// Proxy is an HTTP proxy on 127.0.0.1 that answers CONNECT to an
// intercepted host by terminating TLS itself and serving the requests
// inside with Handler (r.Host is the host Codex asked for). A CONNECT to
// any other host gets 403; the host "*" intercepts every host.
type Proxy struct {
	CA      *CA
	Handler http.Handler
	Hosts   map[string]bool // intercepted host names (without port); "*": all
	URL     string          // http://127.0.0.1:PORT, for HTTPS_PROXY

	ln     net.Listener
	srv    *http.Server // serves the decrypted connections
	conns  chan net.Conn
	mu     sync.Mutex
	open   map[net.Conn]bool
	seen   map[string]int // hosts asked for, for a test's diagnostics
	closed bool
	wg     sync.WaitGroup
}

// StartProxy starts a proxy intercepting hosts ("*": all); it stops when the test
// ends.
func StartProxy(t testing.TB, ca *CA, handler http.Handler, hosts ...string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{CA: ca, Handler: handler, Hosts: map[string]bool{}, URL: "http://" + ln.Addr().String(),
		ln: ln, conns: make(chan net.Conn), open: map[net.Conn]bool{}, seen: map[string]int{}}
	for _, h := range hosts {
		p.Hosts[h] = true
	}
	p.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				p.track(c, false)
			}
		}}
	inner := &chanListener{conns: p.conns, addr: ln.Addr(), done: make(chan struct{})}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); _ = p.srv.Serve(inner) }()
	go func() { defer p.wg.Done(); p.accept() }()
	t.Cleanup(p.Close)
	return p
}

// Env is the environment that sends Codex through the proxy and makes it
// trust the CA.
func (p *Proxy) Env() []string {
	return []string{
		"HTTPS_PROXY=" + p.URL, "https_proxy=" + p.URL,
		"HTTP_PROXY=" + p.URL, "http_proxy=" + p.URL,
		"ALL_PROXY=", "all_proxy=", "NO_PROXY=", "no_proxy=",
		"CODEX_CA_CERTIFICATE=" + p.CA.PEMPath,
	}
}

// Client is an HTTP client that goes through the proxy and trusts the CA,
// as a browser of the test would.
func (p *Proxy) Client() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			Proxy:           func(*http.Request) (*url.URL, error) { return url.Parse(p.URL) },
			TLSClientConfig: &tls.Config{RootCAs: p.CA.Pool()},
		},
	}
}

// Seen is how often each host was asked for through the proxy.
func (p *Proxy) Seen() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.seen))
	for h, n := range p.seen {
		out[h] = n
	}
	return out
}

// Close stops the proxy and every connection through it.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	_ = p.srv.Close()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closed {
			return false
		}
		p.open[c] = true
	} else {
		delete(p.open, c)
	}
	return true
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c, true) {
			_ = c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serveConn(c)
		}()
	}
}

// serveConn reads the proxy request on c: a CONNECT to an intercepted host
// becomes a TLS connection handed to the inner server; a plain proxied
// request to an intercepted host is served directly.
func (p *Proxy) serveConn(c net.Conn) {
	handedOver := false
	defer func() {
		if !handedOver {
			p.track(c, false)
			_ = c.Close()
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	p.mu.Lock()
	p.seen[host]++
	p.mu.Unlock()
	if !p.Hosts[host] && !p.Hosts["*"] {
		fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	}
	if req.Method != http.MethodConnect {
		// A plain http:// request through the proxy.
		rw := &plainResponse{header: http.Header{}}
		req.RequestURI = ""
		p.Handler.ServeHTTP(rw, req)
		rw.writeTo(c, req)
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	leaf, err := p.CA.Leaf(host)
	if err != nil {
		return
	}
	tc := tls.Server(&bufferedConn{Conn: c, r: br}, &tls.Config{
		Certificates: []tls.Certificate{*leaf},
		NextProtos:   []string{"http/1.1"},
	})
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	_ = tc.SetDeadline(time.Time{})
	// Handed over as the *tls.Conn itself, so that the inner server sets
	// r.TLS (a fake that builds its origin from it answers https); the
	// server's ConnState stops tracking it when it closes.
	handedOver = true
	p.track(c, false)
	if !p.track(tc, true) {
		_ = tc.Close()
		return
	}
	select {
	case p.conns <- tc:
	case <-time.After(5 * time.Second):
		p.track(tc, false)
		_ = tc.Close()
	}
}

// bufferedConn reads first what the bufio.Reader already holds.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// chanListener is a net.Listener fed by the proxy with decrypted
// connections.
type chanListener struct {
	conns <-chan net.Conn
	addr  net.Addr
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// plainResponse collects a handler's answer to a plain proxied request.
type plainResponse struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *plainResponse) Header() http.Header { return r.header }
func (r *plainResponse) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *plainResponse) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *plainResponse) writeTo(c net.Conn, req *http.Request) {
	resp := &http.Response{
		StatusCode: r.status, ProtoMajor: 1, ProtoMinor: 1, Header: r.header, Request: req,
		Body: io.NopCloser(strings.NewReader(r.body.String())), ContentLength: int64(r.body.Len()), Close: true,
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	_ = resp.Write(c)
}
