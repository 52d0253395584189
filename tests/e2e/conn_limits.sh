#!/usr/bin/env bash
# The connection-limit flags end to end (a few seconds; also under ASan):
#   --server-max-connections=8 --server-max-connections-per-ip=3
# * one address opening 5 connections keeps 3; the other 2 are closed at accept;
# * with 8 connections held from other addresses, a 9th gets 503 + Retry-After: 1 +
#   Connection: close; once they are closed, requests get 200 again;
# * the open-files warning: a limit too large for `ulimit -n` is logged at start;
# * out-of-range values exit 2 with the flag named.
# usage: conn_limits.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 not found (scripts/setup-debian.sh installs it)"

rc=0
"$KSMC" --server-max-connections=10 --server-max-connections-per-ip=11 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "per-ip above the total: exit $rc, want 2"
grep -q -- '--server-max-connections-per-ip=11 must be in \[1, --server-max-connections=10\]' "$E2E_TMP/err" ||
  fail "per-ip above the total: $(cat "$E2E_TMP/err")"
rc=0
"$KSMC" --server-max-connections=0 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "--server-max-connections=0: exit $rc, want 2"
echo "ok: out-of-range limits exit 2"

RESOURCES=pods
start_apisim --nodes 2 --pods-per-node 3 --namespaces 1 --seed 3
start_ksmc main --server-max-connections=8 --server-max-connections-per-ip=3
wait_ready main

cat >"$E2E_TMP/limits.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
bad = 0

def check(name, ok, detail):
    global bad
    print("check %s %s %s" % (name, "ok" if ok else "FAIL", detail))
    bad += not ok

def open_conn(src):
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers not finished: held open
    return s

def closed_by_server(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True

def get(src, path="/healthz"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    s.settimeout(5)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d: break
        buf += d
    s.close()
    return buf.decode("latin-1")

# Per address: 5 from one address, exactly 3 stay open.
one = [open_conn("127.0.0.2") for _ in range(5)]
time.sleep(0.3)
closed = [closed_by_server(s, 0.3) for s in one]
check("per_ip", closed.count(False) == 3, "5 connections from one address: %d kept, %d closed at accept" % (closed.count(False), closed.count(True)))
for s in one: s.close()
time.sleep(0.3)

# Total: 8 held (2 from each of 4 addresses), the next request is answered 503.
held = [open_conn("127.0.0.%d" % (3 + i % 4)) for i in range(8)]
time.sleep(0.3)
r = get("127.0.0.7")
check("over_limit_503", r.startswith("HTTP/1.1 503") and "Retry-After: 1" in r and "close" in r.lower(),
      "9th connection: %s" % r.split("\r\n")[0])
still = sum(0 if closed_by_server(s, 0.05) else 1 for s in held)
check("held_kept", still == 8, "%d of 8 held connections still open" % still)
for s in held: s.close()
time.sleep(0.5)
r = get("127.0.0.7")
check("below_limit_200", r.startswith("HTTP/1.1 200"), "after closing them: %s" % r.split("\r\n")[0])
sys.exit(1 if bad else 0)
EOF
python3 "$E2E_TMP/limits.py" "$PORT_main" || fail "connection limits (see above)"

# The open-files warning: 1000 connections per listener do not fit in 256 descriptors.
(
  ulimit -n 256
  start_ksmc low --server-max-connections=1000
  found=1
  for _ in $(seq 50); do
    grep -q 'open-files limit is 256' "$E2E_TMP/ksmc-low.log" && { found=0; break; }
    sleep 0.1
  done
  kill "$PID_low"
  wait "$PID_low" || true
  [ "$found" = 0 ] || cat "$E2E_TMP/ksmc-low.log" >&2
  exit "$found"
) || fail "no open-files warning with --server-max-connections=1000 and ulimit -n 256"
echo "ok: open-files warning"
echo "ok: conn_limits"
