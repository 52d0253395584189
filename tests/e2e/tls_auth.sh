#!/usr/bin/env bash
# TLS and authentication on both listeners (--tls-config, --web-bearer-token-file), end to
# end with curl and openssl on loopback (~20 s; also under ASan):
#   - a throwaway CA, two server certificates, a client certificate and a self-signed
#     impostor are made with openssl at test time;
#   - bad web configs and unreadable certificates: exit 2 with file:line:col / the file;
#   - HTTPS with --cacert works, plain HTTP and TLS 1.1 fail;
#   - no/wrong basic auth or token -> 401 with WWW-Authenticate Basic and Bearer; the right
#     password ($2b$ and $2y$ bcrypt) or token -> 200, on /metrics and the telemetry port;
#   - a cost-12 bcrypt user scraped 10 times faster than 4 bcrypt runs (cached);
#   - certificate, token and user list replaced -> served without a restart; a broken
#     replacement keeps the previous generation;
#   - RequireAndVerifyClientCert: no client certificate or the impostor's -> handshake fails,
#     the CA-signed one -> 200.
# usage: tls_auth.sh KSMC APISIM
set -euo pipefail
KSMC=$1
APISIM=$2
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl not found (scripts/setup-debian.sh installs it)"
export RESOURCES="nodes pods"
D=$E2E_TMP/tls
mkdir -p "$D"

# ---- certificates ----
ossl() { openssl "$@" 2>>"$D/openssl.log" || fail "openssl $1 failed: $(tail -3 "$D/openssl.log")"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/ca.key" \
  -out "$D/ca.crt" -days 2 -subj "/CN=ksmc test CA"
issue() { # NAME CN
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/$1.key" -out "$D/$1.csr" -subj "/CN=$2"
  printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" >"$D/$1.ext"
  ossl x509 -req -in "$D/$1.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial \
    -out "$D/$1.crt" -days 2 -extfile "$D/$1.ext"
}
issue one "server one"
issue two "server two"
issue client "scraper"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/evil.key" \
  -out "$D/evil.crt" -days 2 -subj "/CN=impostor"
cp "$D/one.crt" "$D/server.crt"
cp "$D/one.key" "$D/server.key"

# bcrypt hashes (inputs; made once with libxcrypt): alice/s3cret cost 12, bob/hunter2 cost
# 6 with the $2y$ prefix (htpasswd's), carol/x cost 6.
ALICE='$2b$12$ITNeWG.Me9ShuYPF2OQryOhOpuZxQqH4C9vy1qde7Y3/MEoZUgjvC'
BOB='$2y$06$2.dSjTggej7488ZqEDVJdO/UGU83EtdbzW8sWsSuHhUtO01mDSaW2'
CAROL='$2b$06$pUemYlTY0Do6FR.qZkihruwUCXlJtuXrIqptwSqBeMLcfr.n.IeFi'
write_web() { # EXTRA_USER_LINE
  cat >"$D/web.yml.new" <<EOF
# relative paths: next to this file
tls_server_config:
  cert_file: server.crt
  key_file: server.key
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  alice: $ALICE
  bob: '$BOB'
$1
EOF
  mv "$D/web.yml.new" "$D/web.yml"
}
write_web ""
echo "token-one" >"$D/token"

# ---- bad configurations: exit 2, clear message ----
expect_usage() { # WANT_SUBSTRING ARGS...
  local want=$1 rc=0
  shift
  "$KSMC" --apiserver http://127.0.0.1:1 "$@" >"$D/out" 2>"$D/err" || rc=$?
  [ "$rc" = 2 ] || fail "ksmc $* exited $rc, want 2 ($(cat "$D/err"))"
  grep -qF -- "$want" "$D/err" || fail "ksmc $*: stderr lacks \"$want\": $(cat "$D/err")"
}
printf 'tls_server_config:\n  cert_file: a\n  keyfile: b\n' >"$D/bad.yml"
expect_usage "ksmc: --tls-config: $D/bad.yml:3:3: unknown key \"keyfile\" in tls_server_config" \
  --tls-config "$D/bad.yml"
printf 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n' >"$D/nocert.yml"
expect_usage "cert_file $D/nope.crt: No such file or directory" --tls-config "$D/nocert.yml"
printf 'tls_server_config:\n  cert_file: two.crt\n  key_file: one.key\n' >"$D/mismatch.yml"
expect_usage "cert_file $D/two.crt with key_file $D/one.key:" --tls-config "$D/mismatch.yml"
expect_usage "ksmc: --tls-config: $D/missing.yml: No such file or directory" --tls-config "$D/missing.yml"
: >"$D/empty-token"
expect_usage "bearer token file $D/empty-token: want one non-empty line" --web-bearer-token-file "$D/empty-token"
echo "ok: bad configurations exit 2 with a clear message"

# ---- HTTPS + basic auth + bearer token ----
start_apisim --nodes 3 --pods-per-node 2 --namespaces 2 --seed 5
start_ksmc main --tls-config "$D/web.yml" --web-bearer-token-file "$D/token"
PORT=$PORT_main
TPORT=$TPORT_main
U=https://127.0.0.1:$PORT
C=(curl -s --cacert "$D/ca.crt" -m 10)
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@" || true; }
for _ in $(seq 100); do
  [ "$(code -u alice:s3cret "https://127.0.0.1:$TPORT/readyz")" = 200 ] && break
  sleep 0.2
done
[ "$(code -u alice:s3cret "https://127.0.0.1:$TPORT/readyz")" = 200 ] || fail "never ready over HTTPS"

"${C[@]}" -f -u alice:s3cret -o "$D/metrics.prom" "$U/metrics" || fail "HTTPS scrape with basic auth"
grep -q '^kube_node_info{' "$D/metrics.prom" || fail "HTTPS /metrics lacks kube_node_info"
"${C[@]}" -D "$D/h401" -o "$D/b401" "$U/metrics" || true
head -1 "$D/h401" | grep -q ' 401' || fail "no credentials: $(head -1 "$D/h401"), want 401"
grep -qi '^WWW-Authenticate: Basic' "$D/h401" || fail "401 lacks WWW-Authenticate: Basic"
grep -qi '^WWW-Authenticate: Bearer' "$D/h401" || fail "401 lacks WWW-Authenticate: Bearer"
grep -qi '^X-Frame-Options: deny' "$D/h401" || fail "401 lacks the configured X-Frame-Options header"
[ "$(cat "$D/b401")" = "Unauthorized" ] || fail "401 body: $(cat "$D/b401")"
check() { # WANT ARGS...
  local want=$1 got
  shift
  got=$(code "$@")
  [ "$got" = "$want" ] || fail "curl $*: $got, want $want"
}
check 401 -u alice:wrong "$U/metrics"
check 401 -u mallory:s3cret "$U/metrics"
check 401 -u alice: "$U/metrics"
check 401 -H "Authorization: Basic !!notbase64" "$U/metrics"
check 200 -u bob:hunter2 "$U/metrics"
check 401 -u bob:hunter3 "$U/healthz"
check 200 -H "Authorization: Bearer token-one" "$U/metrics"
check 401 -H "Authorization: Bearer token-two" "$U/metrics"
check 401 -H "Authorization: Bearer " "$U/metrics"
check 200 -u alice:s3cret "https://127.0.0.1:$TPORT/metrics"
check 401 "https://127.0.0.1:$TPORT/metrics"
check 401 "https://127.0.0.1:$TPORT/readyz"
check 200 -I -u alice:s3cret "$U/metrics"
check 404 -u alice:s3cret "$U/%00"
"${C[@]}" -u alice:s3cret -D - -o /dev/null "$U/healthz" | grep -qi '^X-Frame-Options: deny' ||
  fail "200 lacks the configured X-Frame-Options header"
# plain HTTP on the HTTPS port, TLS 1.1, and a client that does not trust the CA fail
if curl -s -m 5 -o /dev/null "http://127.0.0.1:$PORT/healthz"; then fail "plain HTTP worked"; fi
if "${C[@]}" -o /dev/null --tlsv1.1 --tls-max 1.1 -u alice:s3cret "$U/healthz"; then
  fail "TLS 1.1 accepted (min_version defaults to TLS12)"
fi
if curl -s -m 5 -o /dev/null "$U/healthz"; then fail "a certificate from an unknown CA was accepted"; fi
echo "ok: HTTPS, basic auth (\$2b\$, \$2y\$), bearer token, 401 challenges, headers, on both listeners"

# Self-metrics of the refusals above (3 without credentials, 5 bad Basic, >= 1 bad Bearer)
# and of the first load of the files.
tm_value() { # SERIES: its value on the telemetry /metrics (authenticated)
  "${C[@]}" -f -u alice:s3cret "https://127.0.0.1:$TPORT/metrics" | awk -v s="$1" '$1 == s {print $2}'
}
[ "$(tm_value 'ksmc_http_auth_failures_total{reason="missing_credentials"}')" = 3 ] ||
  fail "missing_credentials: $(tm_value 'ksmc_http_auth_failures_total{reason="missing_credentials"}'), want 3"
[ "$(tm_value 'ksmc_http_auth_failures_total{reason="bad_basic_auth"}')" = 5 ] ||
  fail "bad_basic_auth: $(tm_value 'ksmc_http_auth_failures_total{reason="bad_basic_auth"}'), want 5"
[ "$(tm_value 'ksmc_http_auth_failures_total{reason="bad_bearer_token"}')" -ge 1 ] || fail "bad_bearer_token not counted"
[ "$(tm_value 'ksmc_web_config_reloads_total{result="success"}')" = 1 ] || fail "first load not counted as a success"
[ "$(tm_value 'ksmc_web_config_reloads_total{result="failure"}')" = 0 ] || fail "reload failures at start"
[ "$(tm_value ksmc_web_config_last_reload_successful)" = 1 ] || fail "last_reload_successful is not 1"
T_LOAD=$(tm_value ksmc_web_config_last_reload_success_timestamp_seconds)
awk -v t="$T_LOAD" -v now="$(date +%s)" 'BEGIN {exit !(t > now - 600 && t <= now + 1)}' ||
  fail "last reload success timestamp $T_LOAD is not recent"
echo "ok: self-metrics count refusals by reason and the first load"

# Verified passwords are cached: 10 requests with alice's cost-12 password (one
# connection) must take well under 10 bcrypt runs, timed with 3 wrong passwords.
ms_of() { # N ARGS...: milliseconds for N requests on one connection, all expected 200/401
  local n=$1 t0 urls=()
  shift
  for _ in $(seq "$n"); do urls+=(-o /dev/null "$U/healthz"); done
  t0=$(date +%s%N)
  "${C[@]}" "$@" -w '%{http_code}\n' "${urls[@]}" >"$D/codes" || true
  echo $((($(date +%s%N) - t0) / 1000000))
}
bad_ms=$(ms_of 3 -u alice:wrong)
[ "$(grep -c '^401$' "$D/codes")" = 3 ] || fail "wrong passwords: $(tr '\n' ' ' <"$D/codes")"
good_ms=$(ms_of 10 -u alice:s3cret)
[ "$(grep -c '^200$' "$D/codes")" = 10 ] || fail "right password: $(tr '\n' ' ' <"$D/codes")"
echo "ok: 3 wrong cost-12 passwords in $bad_ms ms, 10 right ones in $good_ms ms"
[ "$good_ms" -lt $((bad_ms * 4 / 3)) ] || fail "10 requests with a verified password cost $good_ms ms (3 bcrypt runs: $bad_ms ms): not cached"

# ---- reload without restart ----
subject() {
  echo | openssl s_client -connect "127.0.0.1:$1" -CAfile "$D/ca.crt" 2>/dev/null |
    openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
[ "$(subject "$PORT")" = "server one" ] || fail "serving $(subject "$PORT"), want server one"
wait_for() { # DESCRIPTION COMMAND...: polls for up to 10 s
  local what=$1
  shift
  for _ in $(seq 50); do
    "$@" && return 0
    sleep 0.2
  done
  fail "$what"
}
# like a Secret volume update: new files renamed into place
cp "$D/two.crt" "$D/server.crt.new" && cp "$D/two.key" "$D/server.key.new"
mv "$D/server.key.new" "$D/server.key" && mv "$D/server.crt.new" "$D/server.crt"
is_two() { [ "$(subject "$PORT")" = "server two" ] && [ "$(subject "$TPORT")" = "server two" ]; }
wait_for "the replaced certificate was never served" is_two
echo "token-two" >"$D/token.new" && mv "$D/token.new" "$D/token"
token_two() { [ "$(code -H "Authorization: Bearer token-two" "$U/metrics")" = 200 ]; }
wait_for "the replaced token was never accepted" token_two
check 401 -H "Authorization: Bearer token-one" "$U/metrics"
write_web "  carol: $CAROL"
carol() { [ "$(code -u carol:x "$U/metrics")" = 200 ]; }
wait_for "the new user was never accepted" carol
# a broken web config keeps the previous generation and says so
printf 'tls_server_config:\n  cert_fil: x\n' >"$D/web.yml.new" && mv "$D/web.yml.new" "$D/web.yml"
# (files are checked when a connection arrives, at most once a second)
logged() { code "$U/healthz" >/dev/null && grep -q "web config not reloaded, keeping the previous one: $D/web.yml:2:3: unknown key" "$E2E_TMP/ksmc-main.log"; }
wait_for "a broken web config was not reported" logged
check 200 -u carol:x "$U/metrics"
[ "$(subject "$PORT")" = "server two" ] || fail "certificate changed after a broken reload"
kill -0 "$PID_main" 2>/dev/null || fail "ksmc died"
echo "ok: certificate, token and users reloaded without a restart; a broken file keeps the old ones"
# reloads: certificate (maybe via a failed half-replaced state), token, user list; then the
# broken file: a failure, last_reload_successful 0, the success timestamp moved forward
ok_n=$(tm_value 'ksmc_web_config_reloads_total{result="success"}')
[ "$ok_n" -ge 4 ] || fail "successful reloads: $ok_n, want >= 4 (start, certificate, token, users)"
[ "$(tm_value 'ksmc_web_config_reloads_total{result="failure"}')" -ge 1 ] || fail "the broken web config was not counted"
[ "$(tm_value ksmc_web_config_last_reload_successful)" = 0 ] || fail "last_reload_successful is not 0 after a broken file"
T2=$(tm_value ksmc_web_config_last_reload_success_timestamp_seconds)
awk -v a="$T2" -v b="$T_LOAD" 'BEGIN {exit !(a > b)}' || fail "success timestamp did not move: $T_LOAD -> $T2"
echo "ok: self-metrics count $ok_n successful loads and the failed one"
kill -TERM "$PID_main"
wait "$PID_main" || fail "ksmc exited non-zero after SIGTERM"

# ---- client certificates ----
cat >"$D/mtls.yml" <<EOF
tls_server_config:
  cert_file: $D/one.crt
  key_file: $D/one.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
EOF
start_ksmc mtls --tls-config "$D/mtls.yml"
U=https://127.0.0.1:$PORT_mtls
ok_mtls() { [ "$(code --cert "$D/client.crt" --key "$D/client.key" "$U/healthz")" = 200 ]; }
wait_for "the CA-signed client certificate was refused" ok_mtls
for v in 1.2 1.3; do
  if "${C[@]}" -o /dev/null --tls-max "$v" "$U/healthz"; then fail "TLS $v without a client certificate accepted"; fi
  if "${C[@]}" -o /dev/null --tls-max "$v" --cert "$D/evil.crt" --key "$D/evil.key" "$U/healthz"; then
    fail "TLS $v with a self-signed client certificate accepted"
  fi
  [ "$(code --tls-max "$v" --cert "$D/client.crt" --key "$D/client.key" "$U/healthz")" = 200 ] ||
    fail "TLS $v with the CA-signed client certificate refused"
done
ready_mtls() { [ "$(code --cert "$D/client.crt" --key "$D/client.key" "https://127.0.0.1:$TPORT_mtls/readyz")" = 200 ]; }
wait_for "telemetry listener refused the client certificate" ready_mtls
echo "ok: RequireAndVerifyClientCert (TLS 1.2 and 1.3)"
# The two handshakes refused on the impostor's certificate (TLS 1.2 and 1.3) are counted;
# the accepted ones and those without a certificate are not (see ksmc_websec.h).
mtls_refused() {
  "${C[@]}" -f --cert "$D/client.crt" --key "$D/client.key" "https://127.0.0.1:$TPORT_mtls/metrics" |
    awk '$1 == "ksmc_http_auth_failures_total{reason=\"client_certificate\"}" {print $2}'
}
refused_2() { [ "$(mtls_refused)" = 2 ]; }
wait_for "client_certificate refusals did not reach 2" refused_2 && sleep 0.5 &&
  [ "$(mtls_refused)" = 2 ] || fail "client_certificate refusals: $(mtls_refused), want 2"
echo "ok: ksmc_http_auth_failures_total{reason=\"client_certificate\"} = 2"
echo "ok: tls_auth"
