#!/bin/bash
# Descriptor exhaustion (issue 11): a tagged agent execs 200 tiny distinct
# binaries that carry their own SSL_write, all running at once, then again
# after they exited.  Each would cost the collector uprobe links (a
# descriptor each).  Run under a limit of 512 descriptors (the collector
# raises its soft limit to the hard one; a unit without LimitNOFILE gives
# 1024), the link budget holds: links stay within it, what it refuses is
# counted, the links of binaries nothing runs any more are released; the
# collector keeps descriptors for the rest: an alert raised afterwards is
# spooled and delivered to the webhook, `status` answers, and the idle
# collector does not spin.
. "$(dirname "$0")/lib.sh"
# shellcheck source=helpers/webhook.sh
. "$AT_HELPERS/webhook.sh"

NBIN=200
tiny=$(ev_build ssl_tiny "$AT_HELPERS/ssl_tiny.c") || fail "cannot build helpers/ssl_tiny.c"
mkdir -p "$T/bins"
for i in $(seq "$NBIN"); do cp "$tiny" "$T/bins/ssl_$i"; done

web_up
hook_up

ulimit -n 512 || skip "cannot set a descriptor limit of 512"
start_collector --config "$T/policy.yaml"

# all at once (none can be released), then each again after they exited
launch fdhog sh -c "for i in \$(seq $NBIN); do $T/bins/ssl_\$i 2 & done; wait" ||
	fail "the agent's binaries failed"
launch fdhog2 sh -c "for i in \$(seq $NBIN); do $T/bins/ssl_\$i; done" ||
	fail "the agent's binaries failed (second round)"
wait_count 20 $((2 * NBIN)) type=exec agent~'^fdhog' filename~/ssl_
sentinel

read -r budget links refused released fds limit < <(am status --json --socket "$SOCK" |
	"$PY" -c "import json,sys; r=json.load(sys.stdin)['resources']
print(*(r[k] for k in ('link_budget','links','links_refused','links_released','fds_open','fds_limit')))")
[ "$limit" -eq 512 ] || fail "descriptor limit $limit, want 512 (the hard limit)"
[ "$links" -le "$budget" ] || fail "$links uprobe links, over the budget of $budget"
[ "$refused" -gt 0 ] || fail "no link refused: $NBIN running binaries fit a budget of $budget?"
[ "$released" -gt 0 ] || fail "no link released although the binaries exited"
[ "$fds" -lt $((limit - 128)) ] || fail "$fds descriptors open of $limit"

# an alert raised now is spooled (a file) and delivered
post_once poster after.example || fail "the POST failed"
wait_event 5 type=alert rule=outbound_post agent=poster host=after.example
wait_for 10 "the alert after the attack delivered" hook_got poster
failed=$(am status --json --socket "$SOCK" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['webhooks']['rejected'])")
[ "$failed" -eq 0 ] || fail "$failed alerts could not be spooled"

# idle: the collector does not spin (accept on a socket it cannot serve)
ticks() { awk '{print $14 + $15}' "/proc/$COLLECTOR_PID/stat"; }
t0=$(ticks)
sleep 2
busy=$(($(ticks) - t0))
hz=$(getconf CLK_TCK)
[ "$busy" -lt "$hz" ] || fail "the idle collector used $busy ticks in 2 s (spinning?)"
stop_collector
pass "$NBIN binaries twice under 512 descriptors: $links links of $budget, $refused refused, $released released, $fds fds open; alert spooled and delivered; idle CPU $busy ticks in 2 s"
