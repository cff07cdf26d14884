package providertest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Front makes the real Codex CLI talk to a Server as if it were
// chatgpt.com and auth.openai.com (codex-today.md §1). Codex 0.171 refuses a
// plain-HTTP ChatGPT base URL and fetches its catalog from the production
// URL whatever the config says, so it keeps its production URLs and Front
// intercepts them: an HTTP CONNECT proxy on 127.0.0.1 that terminates TLS
// with certificates from a throwaway CA (made here, in Go) and hands the
// plain requests to the Server. Env gives Codex the proxy and the CA.
type Front struct {
	// ProxyURL is http://127.0.0.1:PORT.
	ProxyURL string
	// CAFile is the PEM file of the throwaway CA (for CODEX_CA_CERTIFICATE).
	CAFile string

	t      testing.TB
	srv    *Server
	ln     net.Listener
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey

	mu     sync.Mutex
	certs  map[string]*tls.Certificate
	hosts  map[string]int // CONNECT targets seen, for diagnostics
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	tlsSrv *http.Server
	tlsLn  *chanListener
}

// NewFront starts the proxy in front of s; it stops when the test ends.
func NewFront(t testing.TB, s *Server) *Front {
	t.Helper()
	f := &Front{t: t, srv: s, certs: map[string]*tls.Certificate{}, hosts: map[string]int{}, conns: map[net.Conn]struct{}{}}
	if err := f.makeCA(filepath.Join(t.TempDir(), "ca.pem")); err != nil {
		t.Fatalf("providertest: throwaway CA: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("providertest: proxy: %v", err)
	}
	f.ln = ln
	f.ProxyURL = "http://" + ln.Addr().String()
	f.tlsLn = newChanListener(ln.Addr())
	f.tlsSrv = &http.Server{Handler: http.HandlerFunc(f.serveTLS), ReadHeaderTimeout: 30 * time.Second}
	f.wg.Add(2)
	go func() { defer f.wg.Done(); _ = f.tlsSrv.Serve(f.tlsLn) }()
	go func() { defer f.wg.Done(); f.accept() }()
	t.Cleanup(f.close)
	return f
}

// Env is what Codex needs to reach the fake through the proxy: HTTPS_PROXY
// and HTTP_PROXY (both spellings), no NO_PROXY, and CODEX_CA_CERTIFICATE.
func (f *Front) Env() []string {
	return []string{
		"HTTPS_PROXY=" + f.ProxyURL, "https_proxy=" + f.ProxyURL,
		"HTTP_PROXY=" + f.ProxyURL, "http_proxy=" + f.ProxyURL,
		"ALL_PROXY=", "all_proxy=", "NO_PROXY=", "no_proxy=",
		"CODEX_CA_CERTIFICATE=" + f.CAFile,
	}
}

// Hosts returns how often each host was asked for through the proxy.
func (f *Front) Hosts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.hosts))
	for k, v := range f.hosts {
		out[k] = v
	}
	return out
}

func (f *Front) close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.ln.Close()
	f.tlsSrv.Close()
	f.wg.Wait()
}

func (f *Front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *Front) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *Front) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.handle(c)
		}()
	}
}

// handle reads the proxy request: a CONNECT is answered 200 and its tunnel
// is TLS-terminated and served by the fake; a plain absolute-URL request
// (HTTP_PROXY) is served by the fake directly.
func (f *Front) handle(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		f.untrack(c)
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	f.mu.Lock()
	f.hosts[host]++
	f.mu.Unlock()
	if req.Method != http.MethodConnect {
		defer func() { f.untrack(c); c.Close() }()
		rw := newConnResponseWriter(c)
		req.RequestURI = ""
		f.srv.ServeHTTP(rw, req)
		rw.finish()
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		f.untrack(c)
		c.Close()
		return
	}
	// A client never sends TLS bytes before the 200, so br holds nothing.
	tc := tls.Server(c, &tls.Config{
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return f.leaf(name)
		},
		NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12,
	})
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		f.untrack(c)
		c.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})
	f.untrack(c) // the HTTPS server owns it now
	if !f.tlsLn.push(tc) {
		tc.Close()
	}
}

// serveTLS hands a request that arrived through a tunnel to the fake.
func (f *Front) serveTLS(w http.ResponseWriter, r *http.Request) {
	f.srv.ServeHTTP(w, r)
}

// leaf returns a certificate for host signed by the CA, made once per host.
func (f *Front) leaf(host string) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.certs[host]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.caCert, &key.PublicKey, f.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, f.caCert.Raw}, PrivateKey: key}
	f.certs[host] = c
	return c, nil
}

// makeCA creates the throwaway CA and writes its certificate to path.
func (f *Front) makeCA(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Codex Tray test CA (throwaway)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	f.caCert, f.caKey, f.CAFile = cert, key, path
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// chanListener is a net.Listener fed by the proxy with TLS connections.
type chanListener struct {
	addr   net.Addr
	ch     chan net.Conn
	done   chan struct{}
	closeO sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeO.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// connResponseWriter answers one plain proxied request on its connection.
type connResponseWriter struct {
	c      net.Conn
	h      http.Header
	status int
	body   strings.Builder
}

func newConnResponseWriter(c net.Conn) *connResponseWriter {
	return &connResponseWriter{c: c, h: http.Header{}}
}

func (w *connResponseWriter) Header() http.Header { return w.h }
func (w *connResponseWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *connResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *connResponseWriter) finish() {
	w.WriteHeader(http.StatusOK)
	res := &http.Response{StatusCode: w.status, ProtoMajor: 1, ProtoMinor: 1, Header: w.h,
		Body: io.NopCloser(strings.NewReader(w.body.String())), ContentLength: int64(w.body.Len()), Close: true}
	if err := res.Write(w.c); err != nil && !errors.Is(err, net.ErrClosed) {
		fmt.Fprintf(os.Stderr, "providertest: proxy answer: %v\n", err)
	}
}
