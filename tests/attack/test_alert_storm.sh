#!/bin/bash
# Alert storm (issue 11): agent A POSTs to 5,000 host names, each of which
# would be an alert of its own; agent B then makes one POST.
#  1. with the alert budget: A raises no more than its budget of single
#     alerts, the rest arrives as alert_storm summaries (how many were
#     folded, a bounded list of hosts, first and last ts), and B's alert is
#     delivered to the webhook receiver within seconds;
#  2. with a budget too large to matter, thousands of A's alerts queue up
#     for the webhook: B's alert still overtakes them (fair delivery per
#     agent) and is delivered within seconds.
. "$(dirname "$0")/lib.sh"
# shellcheck source=helpers/webhook.sh
. "$AT_HELPERS/webhook.sh"

N=5000
web_up

# storm BUDGET: a collector with that budget and a fresh webhook receiver;
# A's storm, B's one POST; B's delivery delay in B_MS, A's in STORMER
storm() {
	local budget=$1
	hook_up "  window: 6
  budget: $budget"
	start_collector --config "$T/policy.yaml"
	bg "$AGENTMON" launch --socket "$SOCK" --agent stormer -- \
		"$PY" "$AT_HELPERS/storm_poster.py" "$PORT" "$N" storm.example
	STORMER=$BG_PID
	wait_count 20 "$2" type=alert rule=outbound_post agent=stormer
	post_once bystander b.example || fail "the bystander's POST failed"
	local b_done
	b_done=$(now_ms)
	wait_event 5 type=alert rule=outbound_post agent=bystander host=b.example
	wait_for 10 "the bystander's alert delivered" hook_got bystander
	B_MS=$("$PY" - "$T/hook.log" "$b_done" <<'PYEOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["body"].get("agent") == "bystander":
        print(max(0, r["t_ns"] // 1000000 - int(sys.argv[2])))
        break
PYEOF
)
	AHEAD=$(am status --json --socket "$SOCK" |
		"$PY" -c 'import json,sys; w=json.load(sys.stdin)["webhooks"]; print(w["queued"]+w["spooled"])')
	[ "$B_MS" -le 5000 ] ||
		fail "budget $budget: the bystander's alert took $B_MS ms to reach the webhook (want <= 5000)"
	wait "$STORMER" || fail "the storm poster failed"
	wait_count 10 "$N" type=http agent=stormer method=POST
}

# ---- 1. the budget folds A's storm ----
BUDGET=20
storm "$BUDGET" $((BUDGET / 2))
b1=$B_MS
# every POST is one alert, single or folded into a summary, once the last
# window closed; at most BUDGET single ones per window
accounted() {
	"$PY" - "$OUT" "$N" "$BUDGET" <<'PYEOF'
import json, sys
n, budget = int(sys.argv[2]), int(sys.argv[3])
ev = [e for e in map(json.loads, open(sys.argv[1])) if e.get("type") == "alert" and e.get("agent") == "stormer"]
single = sum(1 for e in ev if e["rule"] == "outbound_post")
storms = [e for e in ev if e["rule"] == "alert_storm"]
folded = sum(e["count"] for e in storms)
print("%d single, %d folded in %d summaries" % (single, folded, len(storms)), file=sys.stderr)
if single + folded != n:
    sys.exit(1)
assert storms and single <= budget * len(storms), (single, len(storms))
for e in storms:
    assert 0 < len(e["hosts"]) <= 8, e["hosts"]
    assert all(h.endswith(".storm.example") for h in e["hosts"]), e["hosts"]
    assert e["first_ts"] <= e["last_ts"], e
    assert "alert storm" in e["summary"] and "more" in e["summary"], e["summary"]
PYEOF
}
WAIT_WHY=accounted wait_for 15 "every POST of the storm accounted as one alert" accounted
single=$(jq count type=alert rule=outbound_post agent=stormer)
storm_delivered() { grep -q '"rule": "alert_storm"' "$T/hook.log"; }
wait_for 10 "the storm summary delivered to the webhook" storm_delivered
stop_collector
webhook_deliveries "$T/hook.log" >/dev/null || fail "webhook deliveries are wrong (signature or repeated ids)"

# ---- 2. no budget to speak of: B overtakes A's queued alerts ----
storm 100000 1500
b2=$B_MS ahead2=$AHEAD
# thousands of alerts still to deliver: the 2 s grace for deliveries, then
# the rest spooled (group commits) for the next start
stop_collector TERM 4000
pass "storm of $N POSTs: $single single alerts then alert_storm summaries, bystander delivered in $b1 ms; without budget: bystander delivered in $b2 ms with $ahead2 of the storm's alerts still queued"
