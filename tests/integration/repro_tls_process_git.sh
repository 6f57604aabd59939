#!/bin/bash
# Not a test (not in `make test`): the reproducer of the bug that kept
# --tls-uprobes process from being the default until session 18 (README,
# Known limits: perf's context swap took a live process's inherited events
# out of the uprobe filter; fixed by the inherit_thread events and the
# per-process guards of load_scope.c; test_tls_ctx_swap is its
# deterministic test).  After the fix: 0 of 20 clones missed.
# RUNS (6) times: a fresh collector with the per-process TLS uprobes, then
# `agentmon launch -- git clone` over HTTPS (git-remote-https: libcurl-gnutls,
# reached through git -> fork+exec git remote-https -> fork+exec
# git-remote-https).  Per clone it prints the http events seen (2 expected:
# GET info/refs, POST git-upload-pack), this collector's uprobe hits
# (uprobe_profile) and its gnutls programs' run counts (bpftool, needs
# kernel.bpf_stats_enabled=1).  A bad clone showed hits on the gnutls send
# and recv probes but 0 program runs: the kernel's uprobe filter rejected
# the process.
#   bash tests/integration/repro_tls_process_git.sh [RUNS]
. "$(dirname "$0")/lib.sh"

runs=${1:-6}
command -v bpftool >/dev/null || skip "needs bpftool"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=git.corp.example -addext "subjectAltName=DNS:git.corp.example" 2>/dev/null ||
	fail "cannot make a certificate"
{ cat /etc/hosts; echo "127.0.0.1 git.corp.example"; } >"$T/hosts"
mkdir -p "$T/root" && git init -q -b main --bare "$T/root/repo.git"
bg "$PY" "$HELPERS/git_https_server.py" --root "$T/root" --port-file "$T/port" \
	--cert "$T/cert.pem" --key "$T/key.pem" >"$T/server.out" 2>&1
wait_file "$T/port"
export GIT_SSL_CAINFO=$T/cert.pem GIT_TERMINAL_PROMPT=0
url=https://git.corp.example:$(cat "$T/port")/repo.git
cd "$T" || fail "cd"
git init -q -b main seed && git -C seed -c user.email=dev@example -c user.name=dev commit -q --allow-empty -m seed
in_ns git -C seed push -q "$url" HEAD:main || fail "seeding push failed"

# runs of this collector's gnutls programs (perf-event attached, by its pid)
runs_of() {
	bpftool perf show -j | "$PY" -c '
import json, subprocess, sys
cp = int(sys.argv[1])
out = []
for i in sorted({e["prog_id"] for e in json.load(sys.stdin) if e["pid"] == cp}):
    p = json.loads(subprocess.run(["bpftool", "prog", "show", "id", str(i), "-j"],
                                  capture_output=True, text=True).stdout)
    if p.get("name") in ("gtls_send", "gtls_recv"):
        out.append("%s=%d" % (p["name"], p.get("run_cnt", 0)))
print(" ".join(out))' "$COLLECTOR_PID"
}
bad=0
for i in $(seq "$runs"); do
	rm -rf w
	start_collector --tls-uprobes process
	in_ns "$AGENTMON" launch --socket "$SOCK" --agent "gitbot$i" -- git clone -q "$url" w 2>/dev/null ||
		fail "clone $i failed"
	sentinel
	n=$(jq count type=http "agent=gitbot$i")
	[ "$n" = 2 ] || bad=$((bad + 1))
	echo "clone $i: $n http events; hits: $(awk -v p="p${COLLECTOR_PID}_" \
		'index($2, p) == 1 { printf "%s=%s ", substr($2, length(p) + 1), $3 }' \
		/sys/kernel/tracing/uprobe_profile); programs: $(runs_of)"
	stop_collector TERM 10000
done
pass "$bad of $runs clones missed their TLS plaintext"
