#!/usr/bin/env bash
# docs/screenshots/take.sh: retakes tray-menu.png and status-window.png from
# the real app under Xvfb with a real tray host. Run it inside the test
# session:  packaging/linux/test-session.sh docs/screenshots/take.sh
# The login is a fake one in a temp CODEX_HOME; models and usage come from a
# local fake backend serving the Codex fixtures.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/screenshots
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

go build -tags migrated_fynedo -o "$tmp/codextray" .
python3 - "$tmp" <<'PY'
import base64, json, sys, time
def enc(v): return base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()
exp = int(time.time()) + 3*86400 + 5*3600
claims = {"email": "ada@example.com", "exp": exp,
          "https://api.openai.com/auth": {"chatgpt_plan_type": "plus", "chatgpt_account_id": "acc-1"}}
jwt = lambda c: enc({"alg": "RS256", "typ": "JWT"}) + "." + enc(c) + "." + enc("sig")
doc = {"OPENAI_API_KEY": None, "tokens": {"id_token": jwt(claims), "access_token": jwt(claims),
       "refresh_token": "rt_fake", "account_id": "acc-1"},
       "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7200))}
import os; os.makedirs(sys.argv[1] + "/codex", exist_ok=True)
json.dump(doc, open(sys.argv[1] + "/codex/auth.json", "w"), indent=2)
PY
python3 - "$tmp/port" <<'PY' &
import http.server, json, sys, time
models = open("testdata/codex/models.json", "rb").read()
now = int(time.time())
usage = json.dumps({"plan_type": "plus", "rate_limit": {"allowed": True, "limit_reached": False,
    "primary_window": {"used_percent": 42, "limit_window_seconds": 18000, "reset_at": now + 3*3600 + 25*60},
    "secondary_window": {"used_percent": 12, "limit_window_seconds": 604800, "reset_at": now + 4*86400}}}).encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = models if self.path.startswith("/backend-api/codex/models") else usage if self.path.startswith("/backend-api/wham/usage") else None
        self.send_response(200 if body else 404); self.send_header("Content-Type", "application/json"); self.end_headers()
        if body: self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port)); s.serve_forever()
PY
pids+=($!)
until [ -s "$tmp/port" ]; do sleep 0.05; done

status-notifier-watcher & pids+=($!)
until gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
	--method org.freedesktop.DBus.NameHasOwner org.kde.StatusNotifierWatcher | grep -q true; do sleep 0.05; done
gtk-sni-tray-standalone >/dev/null 2>&1 & pids+=($!)
export CODEX_HOME="$tmp/codex" CODEXTRAY_CHATGPT_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")/backend-api"
"$tmp/codextray" & pids+=($!)
sleep 4 # let the tray host draw the icon and the app fetch models and usage

# The tray menu: a right click on the icon, top left in the host's bar.
xdotool mousemove 12 12 click 3
sleep 1.5
import -window root "$tmp/menu.png"
convert "$tmp/menu.png" -crop 300x320+0+0 +repage "$out/tray-menu.png"
xdotool key Escape

# The status window, handed over to the running app like a second start.
"$tmp/codextray" --open status
sleep 1.5
id=$(xdotool search --name "Codex Tray — Status" | head -1)
import -window "$id" "$out/status-window.png"
echo "wrote $out/tray-menu.png and $out/status-window.png"
