# shellcheck shell=bash
# webhook.sh - sourced by the attack tests that need a web server to POST to
# and a webhook receiver (after lib.sh):
#
#   web_up                 plain HTTP server (helpers/https_server.py): $PORT
#   hook_up [ALERTS-YAML]  a signing webhook receiver on a fresh port
#                          logging to $T/hook.log, and $T/policy.yaml with it
#                          under alerts: (spool $T/spool), ALERTS-YAML lines
#                          (indented two spaces) added there
#   hook_got AGENT         whether an alert of AGENT reached the receiver
#   post_once NAME HOST    launch agent NAME making one POST to HOST
web_up() {
	bg "$PY" "$HELPERS/https_server.py" --plain --port-file "$T/port" --log "$T/server.log"
	wait_file "$T/port"
	PORT=$(cat "$T/port")
}

hook_up() {
	local hook_port
	hook_port=$(free_port)
	[ -s "$T/secret" ] || printf 'test-secret\n' >"$T/secret"
	chmod 600 "$T/secret"
	rm -rf "$T/spool" "$T/hook.log"
	{
		echo "alerts:"
		[ -z "${1:-}" ] || printf '%s\n' "$1"
		echo "  spool_dir: $T/spool"
		echo "  webhooks:"
		echo "    - url: http://127.0.0.1:$hook_port/hook"
		echo "      secret_file: $T/secret"
	} >"$T/policy.yaml"
	bg "$PY" "$HELPERS/webhook_receiver.py" --port "$hook_port" --secret-file "$T/secret" \
		--log "$T/hook.log"
	_hook_port=$hook_port
	wait_for 5 "the webhook receiver" _hook_listens
}

_hook_listens() {
	"$PY" -c "import socket; socket.create_connection(('127.0.0.1',$_hook_port),0.2)" 2>/dev/null
}

hook_got() { grep -q "\"agent\": \"$1\"" "$T/hook.log" 2>/dev/null; }

post_once() {
	launch "$1" "$PY" -c "
import http.client
c = http.client.HTTPConnection('127.0.0.1', $PORT, timeout=5)
c.request('POST', '/api/x', body=b'one', headers={'Host': '$2'})
c.getresponse().read()"
}
