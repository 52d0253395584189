# Shared helpers for the apisim e2e scripts (sourced). Starts apisim on a free port,
# records its pid and stops it (and any background job) on exit.
set -u
APISIM_BIN=${1:?usage: $0 /path/to/apisim}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
WORK=$(mktemp -d /tmp/apisim-e2e.XXXXXX)
APISIM_PID=
BG_PIDS=()
FAILS=0

cleanup() {
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ -n "$APISIM_PID" ]; then
    kill "$APISIM_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$APISIM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$APISIM_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { # check "description" command...
  local d=$1; shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}

# start_apisim ARGS...: sets BASE (http://127.0.0.1:PORT)
start_apisim() {
  mkfifo "$WORK/out"
  "$APISIM_BIN" --port 0 --quiet "$@" > "$WORK/out" 2> "$WORK/apisim.err" &
  APISIM_PID=$!
  exec 3< "$WORK/out"
  local line=
  if ! IFS= read -r -t 20 line <&3; then
    echo "apisim did not start:"; cat "$WORK/apisim.err"; exit 1
  fi
  BASE=${line#apisim: listening on }
  # keep draining stdout so apisim never blocks on it
  cat <&3 > "$WORK/apisim.out" &
  BG_PIDS+=($!)
}

get() { curl -sS --max-time 30 "$BASE$1"; }
post() { curl -sS --max-time 30 -X POST "$BASE$1" > /dev/null; }
code() { curl -s -o "$WORK/body" -w '%{http_code}' --max-time 30 "$@"; }

finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
  echo "all checks passed"
  exit 0
}

# defer_check DESCRIPTION ARGS... <<'PYEOF' ... PYEOF
# Queues a python check (script on stdin, ARGS as sys.argv[1:]); run_deferred runs all
# queued checks in one interpreter, because starting python dominates on a loaded machine.
DEFERRED=()
defer_check() {
  local n=${#DEFERRED[@]}
  cat > "$WORK/chk$n.py"
  printf '%s\0' "$@" > "$WORK/chk$n.args"
  DEFERRED+=("$n")
}
run_deferred() {
  [ ${#DEFERRED[@]} -eq 0 ] && return
  local out
  out=$($PY - "$WORK" "${DEFERRED[@]}" <<'PYEOF'
import sys, traceback
work = sys.argv[1]
for n in sys.argv[2:]:
    args = open("%s/chk%s.args" % (work, n)).read().split("\0")[:-1]
    desc = args[0]
    sys.argv = ["check"] + args[1:]
    try:
        exec(compile(open("%s/chk%s.py" % (work, n)).read(), desc, "exec"), {"__name__": "__main__"})
        good = True
    except SystemExit as e:
        good = e.code in (None, 0)
    except Exception:
        good = False
        traceback.print_exc(limit=2, file=sys.stdout)
    print(("ok: " if good else "FAIL: ") + desc)
PYEOF
)
  echo "$out"
  FAILS=$((FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL: ')))
  DEFERRED=()
}
