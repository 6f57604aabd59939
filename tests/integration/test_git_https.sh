#!/bin/bash
# git over HTTPS (libcurl-gnutls: GnuTLS uprobes) as a tagged agent against a
# local smart-HTTP server: a clone is git's read traffic and, allowed by the
# policy, raises nothing; a push POSTs git-receive-pack and raises
# outbound_post with the right host and path.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null || skip "needs git"
ldd "$(git --exec-path)/git-remote-https" 2>/dev/null | grep -q gnutls ||
	skip "this git's https transport does not use GnuTLS"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=git.corp.example -addext "subjectAltName=DNS:git.corp.example" 2>/dev/null ||
	fail "cannot make a certificate"
{ cat /etc/hosts; echo "127.0.0.1 git.corp.example"; } >"$T/hosts"
in_ns() { unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$@"; }
in_ns true 2>/dev/null || skip "cannot make a mount namespace for the test's /etc/hosts"

mkdir -p "$T/root" && git init -q -b main --bare "$T/root/repo.git"
bg "$PY" "$HELPERS/git_https_server.py" --root "$T/root" --port-file "$T/port" \
	--cert "$T/cert.pem" --key "$T/key.pem" >"$T/server.out" 2>&1
wait_file "$T/port"
port=$(cat "$T/port")
cat >"$T/policy.yaml" <<'Y'
allow:
  - host: git.corp.example
    methods: [GET, POST]
    paths: ["*/git-upload-pack", "*/info/refs"]
Y
start_collector --config "$T/policy.yaml"
export GIT_SSL_CAINFO=$T/cert.pem GIT_TERMINAL_PROMPT=0
url=https://git.corp.example:$port/repo.git
cd "$T" || fail "cd"
# seed the server untagged, so that the agent's clone fetches a pack
git init -q -b main seed && git -C seed -c user.email=dev@example -c user.name=dev commit -q --allow-empty -m seed
in_ns git -C seed push -q "$url" HEAD:main || fail "seeding push failed"
in_ns "$AGENTMON" launch --socket "$SOCK" --agent gitbot -- git clone -q "$url" w 2>/dev/null ||
	fail "git clone failed"
git -C w -c user.email=bot@example -c user.name=bot commit -q --allow-empty -m "agent change"
in_ns "$AGENTMON" launch --socket "$SOCK" --agent gitbot -- git -C w push -q origin HEAD:main ||
	fail "git push failed"
wait_event 5 type=alert rule=outbound_post agent=gitbot method=POST host=git.corp.example \
	path~/repo.git/git-receive-pack
wait_event 5 type=http agent=gitbot method=POST path~git-upload-pack tls=true
wait_event 5 type=http agent=gitbot method=GET path~info/refs tls=true
expect_none type=alert agent=gitbot path~git-upload-pack
expect_none type=alert agent=gitbot path~info/refs
stop_collector
pass "clone (info/refs, git-upload-pack) allowed; push (git-receive-pack) alerted; through GnuTLS"
