package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/pe"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"

	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/autostart"
)

const appID = "io.github.codextray.codextray"

// iconSizes are the hicolor sizes every Linux package installs.
var iconSizes = []string{"16x16", "32x32", "64x64", "128x128", "256x256", "512x512", "scalable"}

var built struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// packages runs `make package` once per test binary and returns bin/package.
// `make test` has already built them (packages-for-test), so this is then a
// quick up-to-date check; run by hand, it builds them.
func packages(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		root := repoRoot(t)
		ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "package")
		cmd.Dir = root
		built.out, built.err = cmd.CombinedOutput()
		built.dir = filepath.Join(root, "bin", "package")
	})
	if built.err != nil {
		t.Fatalf("make package: %v\n%s", built.err, built.out)
	}
	return built.dir
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// appVersion is [Details] Version and Build from FyneApp.toml.
func appVersion(t *testing.T) (version string, build int) {
	t.Helper()
	var meta struct {
		Details struct {
			Version string
			Build   int
		}
	}
	if _, err := toml.DecodeFile(filepath.Join(repoRoot(t), "FyneApp.toml"), &meta); err != nil {
		t.Fatal(err)
	}
	return meta.Details.Version, meta.Details.Build
}

// run runs a command and returns its standard output; it fails the test
// when the command fails, showing both outputs.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func TestDeb(t *testing.T) {
	dir := packages(t)
	version, _ := appVersion(t)
	deb := filepath.Join(dir, "codextray_"+version+"_amd64.deb")

	fields := map[string]string{}
	for _, f := range []string{"Package", "Version", "Architecture", "Depends"} {
		fields[f] = strings.TrimSpace(run(t, "", nil, "dpkg-deb", "-f", deb, f))
	}
	if fields["Package"] != "codextray" || fields["Version"] != version || fields["Architecture"] != "amd64" {
		t.Errorf("control fields %v", fields)
	}
	for _, lib := range []string{"libc6", "libgl1", "libx11-6", "libxcursor1", "libxrandr2"} {
		if !strings.Contains(fields["Depends"], lib) {
			t.Errorf("Depends %q lacks %s", fields["Depends"], lib)
		}
	}

	root := t.TempDir()
	run(t, "", nil, "dpkg", "-x", deb, root)
	usr := filepath.Join(root, "usr")
	checkInstalled(t, usr)
	checkBinary(t, filepath.Join(usr, "bin", "codextray"), version)
}

func TestTarball(t *testing.T) {
	dir := packages(t)
	version, _ := appVersion(t)
	name := "codextray-" + version + "-linux-amd64"
	unpacked := t.TempDir()
	run(t, "", nil, "tar", "-xJf", filepath.Join(dir, name+".tar.xz"), "-C", unpacked)
	top := filepath.Join(unpacked, name)
	for _, f := range []string{"Makefile", "usr/local/bin/codextray"} {
		if _, err := os.Stat(filepath.Join(top, f)); err != nil {
			t.Errorf("tarball lacks %s: %v", f, err)
		}
	}

	// The tarball's Makefile installs everything and uninstalls all of it.
	dest := t.TempDir()
	run(t, top, nil, "make", "install", "DESTDIR="+dest, "PREFIX=/usr")
	usr := filepath.Join(dest, "usr")
	checkInstalled(t, usr)
	checkBinary(t, filepath.Join(usr, "bin", "codextray"), version)
	run(t, top, nil, "make", "uninstall", "DESTDIR="+dest, "PREFIX=/usr")
	var left []string
	_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("make uninstall left %v", left)
	}

	// user-install points the menu entry at ~/.local/bin.
	home := t.TempDir()
	run(t, top, []string{"HOME=" + home}, "make", "user-install")
	desktop, err := os.ReadFile(filepath.Join(home, ".local/share/applications", appID+".desktop"))
	if err != nil || !strings.Contains(string(desktop), "\nExec="+home+"/.local/bin/codextray\n") {
		t.Errorf("user-install desktop entry (%v):\n%s", err, desktop)
	}
}

// checkInstalled checks the files a Linux package puts under usr (/usr or
// /usr/local) and validates the desktop entry and the AppStream metainfo.
func checkInstalled(t *testing.T, usr string) {
	t.Helper()
	share := filepath.Join(usr, "share")
	desktop := filepath.Join(share, "applications", appID+".desktop")
	metainfo := filepath.Join(share, "metainfo", appID+".metainfo.xml")
	run(t, "", nil, "desktop-file-validate", desktop)
	run(t, "", nil, "appstreamcli", "validate", "--no-net", metainfo)

	b, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nExec=codextray\n") || !strings.Contains(string(b), "\nIcon="+appID+"\n") {
		t.Errorf("desktop entry:\n%s", b)
	}
	version, _ := appVersion(t)
	if b, _ := os.ReadFile(metainfo); !strings.Contains(string(b), `<release version="`+version+`"`) {
		t.Errorf("metainfo has no release %s", version)
	}
	for _, size := range iconSizes {
		ext := ".png"
		if size == "scalable" {
			ext = ".svg"
		}
		if _, err := os.Stat(filepath.Join(share, "icons/hicolor", size, "apps", appID+ext)); err != nil {
			t.Errorf("icon %s: %v", size, err)
		}
	}
}

// checkBinary runs the packaged binary's `version` and `status --json`
// against a Codex home with an API-key login.
func checkBinary(t *testing.T, bin, version string) {
	t.Helper()
	out := run(t, "", nil, bin, "version")
	if !strings.HasPrefix(out, "codextray "+version+" (commit ") || strings.Contains(out, "commit unknown") {
		t.Errorf("version: %q", out)
	}

	home := t.TempDir()
	const key = "sk-proj-packagingtest0123456789abcdef"
	if err := os.WriteFile(filepath.Join(home, "auth.json"), authtest.APIKeyDocument(key), 0o600); err != nil {
		t.Fatal(err)
	}
	out = run(t, "", []string{"CODEX_HOME=" + home}, bin, "status", "--json")
	var st struct {
		CodexHome string `json:"codex_home"`
		Mode      string `json:"mode"`
		State     string `json:"state"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if st.CodexHome != home || st.Mode != "apikey" || st.State != "api_key" {
		t.Errorf("status --json = %s", out)
	}
	if strings.Contains(out, key) {
		t.Errorf("status --json printed the API key")
	}
}

func TestWindowsExe(t *testing.T) {
	dir := packages(t)
	version, build := appVersion(t)
	f, err := pe.Open(filepath.Join(dir, "codextray-"+version+"-windows-amd64.exe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x, want amd64", f.Machine)
	}
	if oh, ok := f.OptionalHeader.(*pe.OptionalHeader64); !ok || oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("not a GUI-subsystem exe: %#v", f.OptionalHeader)
	}

	res := resources(t, f)
	const rtIcon, rtGroupIcon, rtVersion, rtManifest = 3, 14, 16, 24
	for _, typ := range []uint32{rtIcon, rtGroupIcon, rtVersion, rtManifest} {
		if len(res[typ]) == 0 {
			t.Errorf("no resource of type %d", typ)
		}
	}
	if len(res[rtVersion]) > 0 {
		ver := res[rtVersion][0]
		for _, s := range []string{"VS_VERSION_INFO", "ProductName", "Codex Tray", "ProductVersion", version + "." + itoa(build)} {
			if !bytes.Contains(ver, utf16le(s)) {
				t.Errorf("version resource lacks %q", s)
			}
		}
		// VS_FIXEDFILEINFO: the file version as four 16-bit numbers.
		sig := []byte{0xbd, 0x04, 0xef, 0xfe}
		if i := bytes.Index(ver, sig); i < 0 || len(ver) < i+16 {
			t.Error("version resource has no VS_FIXEDFILEINFO")
		} else {
			ms, ls := binary.LittleEndian.Uint32(ver[i+8:]), binary.LittleEndian.Uint32(ver[i+12:])
			got := []uint32{ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff}
			want := append(versionNumbers(t, version), uint32(build))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("file version %v, want %v", got, want)
			}
		}
	}
	if len(res[rtManifest]) > 0 {
		m := string(res[rtManifest][0])
		for _, s := range []string{`name="` + appID + `"`, "asInvoker", "PerMonitorV2"} {
			if !strings.Contains(m, s) {
				t.Errorf("manifest lacks %s:\n%s", s, m)
			}
		}
	}
}

// resources reads the .rsrc section: resource type -> the data of each leaf.
func resources(t *testing.T, f *pe.File) map[uint32][][]byte {
	t.Helper()
	sec := f.Section(".rsrc")
	if sec == nil {
		t.Fatal("no .rsrc section")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	u16 := func(o uint32) uint32 { return uint32(binary.LittleEndian.Uint16(data[o:])) }
	u32 := func(o uint32) uint32 { return binary.LittleEndian.Uint32(data[o:]) }
	// entries returns the (id, offset) pairs of the directory at o.
	entries := func(o uint32) [][2]uint32 {
		n := u16(o+12) + u16(o+14)
		var out [][2]uint32
		for i := range n {
			e := o + 16 + 8*i
			out = append(out, [2]uint32{u32(e), u32(e + 4)})
		}
		return out
	}
	const subdir = 0x80000000
	out := map[uint32][][]byte{}
	var leaves func(o uint32, typ uint32)
	leaves = func(o uint32, typ uint32) {
		for _, e := range entries(o) {
			if e[1]&subdir != 0 {
				leaves(e[1]&^subdir, typ)
				continue
			}
			rva, size := u32(e[1]), u32(e[1]+4)
			start := rva - sec.VirtualAddress
			if uint64(start)+uint64(size) > uint64(len(data)) {
				t.Fatalf("resource data out of the section")
			}
			out[typ] = append(out[typ], data[start:start+size])
		}
	}
	for _, e := range entries(0) {
		if e[1]&subdir != 0 {
			leaves(e[1]&^subdir, e[0])
		}
	}
	return out
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return b
}

func versionNumbers(t *testing.T, v string) []uint32 {
	t.Helper()
	var out []uint32
	for _, p := range strings.Split(v, ".") {
		var n uint32
		for _, c := range p {
			if c < '0' || c > '9' {
				t.Fatalf("version %q is not numeric", v)
			}
			n = n*10 + uint32(c-'0')
		}
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestFlatpakManifest(t *testing.T) {
	dir := packages(t)
	version, _ := appVersion(t)
	path := filepath.Join(dir, appID+".yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		AppID      string   `yaml:"app-id"`
		Command    string   `yaml:"command"`
		FinishArgs []string `yaml:"finish-args"`
		Modules    []struct {
			BuildCommands []string `yaml:"build-commands"`
			Sources       []struct {
				Type, Path string
			}
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.AppID != appID || m.Command != "codextray" {
		t.Errorf("app-id %q, command %q", m.AppID, m.Command)
	}
	// Exactly these: display, network, tray watcher, Secret Service, Codex home.
	// Notifications and autostart use portals, which need no permission.
	want := []string{
		"--share=ipc", "--socket=x11", "--device=dri",
		"--share=network",
		"--talk-name=org.kde.StatusNotifierWatcher",
		"--talk-name=org.freedesktop.secrets",
		"--filesystem=~/.codex:create",
	}
	if got := slices.Sorted(slices.Values(m.FinishArgs)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("finish-args %v, want exactly %v", m.FinishArgs, want)
	}
	if len(m.Modules) != 1 || len(m.Modules[0].Sources) != 1 {
		t.Fatalf("modules %+v", m.Modules)
	}
	if cmds := strings.Join(m.Modules[0].BuildCommands, "\n"); !strings.Contains(cmds, "-tags flatpak,migrated_fynedo") {
		t.Errorf("the build is not tagged flatpak:\n%s", cmds)
	}
	src := m.Modules[0].Sources[0]
	if src.Type != "archive" || src.Path != "codextray-"+version+"-src.tar.xz" {
		t.Errorf("source %+v", src)
	}
	list := run(t, "", nil, "tar", "-tJf", filepath.Join(dir, src.Path))
	for _, f := range []string{"go.mod", "main.go", "vendor/modules.txt", "packaging/linux/" + appID + ".desktop"} {
		if !strings.Contains(list, "codextray-"+version+"/"+f+"\n") {
			t.Errorf("source tarball lacks %s", f)
		}
	}
	if tool, err := exec.LookPath("flatpak-builder"); err == nil {
		run(t, t.TempDir(), nil, tool, "--show-manifest", path) // it leaves .flatpak-builder/ in its directory
	}
}

func TestMacOSInfoPlist(t *testing.T) {
	dir := packages(t)
	version, build := appVersion(t)
	b, err := os.ReadFile(filepath.Join(dir, "macos", "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := autostart.PlistDict(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"LSUIElement":                true,
		"CFBundleIdentifier":         appID,
		"CFBundleExecutable":         "codextray",
		"CFBundleName":               "Codex Tray",
		"CFBundleIconFile":           "icon.icns",
		"CFBundlePackageType":        "APPL",
		"CFBundleShortVersionString": version,
		"CFBundleVersion":            itoa(build),
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("Info.plist %s = %#v, want %#v", k, d[k], v)
		}
	}
}

// TestLaunchAgentPlist checks the LaunchAgent that autostart.Enable writes
// on macOS; it is generated the same way on every OS.
func TestLaunchAgentPlist(t *testing.T) {
	exe := "/Applications/Codex Tray.app/Contents/MacOS/codextray"
	d, err := autostart.PlistDict(autostart.LaunchAgentPlist(exe, false))
	if err != nil {
		t.Fatal(err)
	}
	if d["Label"] != appID || d["RunAtLoad"] != true || !reflect.DeepEqual(d["ProgramArguments"], []any{exe}) {
		t.Errorf("LaunchAgent %v", d)
	}
}

// TestCrossCompile vets core/autostart for each OS it has code for, since
// the tests here run on Linux only.
func TestCrossCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, env := range [][]string{
		{"GOOS=darwin", "GOARCH=arm64"},
		{"GOOS=windows", "GOARCH=amd64"},
		{"GOOS=linux", "GOFLAGS=-tags=flatpak"},
		{"GOOS=freebsd", "GOARCH=amd64"},
	} {
		run(t, repoRoot(t), append(env, "CGO_ENABLED=0"), "go", "vet", "./core/autostart/")
	}
}

func TestChecksums(t *testing.T) {
	dir := packages(t)
	b, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		sum, name, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: checksum mismatch", name)
		}
		n++
	}
	if n < 6 {
		t.Errorf("SHA256SUMS lists %d files", n)
	}
}
