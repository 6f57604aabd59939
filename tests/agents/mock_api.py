#!/usr/bin/env python3
"""mock_api.py - a mock model API for real agents on loopback.

    mock_api.py ADDR PORT LOG [CERT KEY] [--world CADIR]

Answers, with one short text reply ("hi from the mock"):
  POST */v1/messages                Anthropic Messages (stream or not)
  POST */chat/completions           OpenAI Chat Completions (stream or not)
  POST */responses                  OpenAI Responses (stream or not)
  POST *:generateContent            Gemini (and :streamGenerateContent)
A prompt holding "mock-shell: CMD" (CMD without quotes or backslashes) is
answered instead with a call of the agent's shell tool (the tool the request
offers whose name says bash, shell or command) running CMD; the request that
carries that tool's result gets the text reply.
With MOCK_TOOL set ({"name": ..., "args": {...}}), Chat Completions answers
a request whose last message is not a tool result with that tool call instead.
With MOCK_CHUNKED set, streamed answers are chunked, one event a chunk
(one write, so one TLS record, each).
Anything else: 404 with a JSON error.  Each request is logged to LOG as one
JSON line {"method","path","host","len"} (bodies are not kept: they hold
the agent's prompt).  Plain HTTP, or HTTPS with CERT and KEY (PEM files):
agents are pointed at it by their base URL settings.  Prints "ready PORT" once listening.  Exits when its parent
does (it is started by the process that then execs the agent).

--world CADIR: the whole internet instead (mock_world.py): HTTPS with a
certificate for whatever server name a client asks for (signed by the test
CA CADIR/ca.pem, made when missing), every other path answered 200 "{}",
and a DNS responder on ADDR:53 resolving every name to ADDR (each query
logged as {"dns": NAME}).  For an agent's default hosts (telemetry, update
checks, registries): their requests are really made, and seen.
"""
import argparse
import json
import os
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "hi from the mock"
SHELL = re.compile(r"mock-shell: ([^\"\\]+)")


def sse(events):
    return "".join("event: %s\ndata: %s\n\n" % (e, json.dumps(d)) for e, d in events)


def shell_call(last, tools):
    """(tool name, arguments) when the last message asks for a shell command
    and a shell tool is offered: tools is [(name, JSON schema)]"""
    m = SHELL.search(json.dumps(last))
    for name, schema in tools if m else ():
        if re.search(r"bash|shell|command", name, re.I):
            props = (schema or {}).get("properties", {})
            args = {}
            for k, v in props.items():
                if k in ("command", "cmd"):
                    arr = v.get("type") == "array"
                    args[k] = ["bash", "-lc", m.group(1)] if arr else m.group(1)
                elif k == "description":
                    args[k] = "run the command"
            return name, args or {"command": m.group(1)}
    return None


def has_part(msg, kinds):
    """whether a message (or its content parts) is one of kinds"""
    if not isinstance(msg, dict):
        return False
    parts = msg.get("content") if isinstance(msg.get("content"), list) else []
    parts = parts + (msg.get("parts") or [])
    return msg.get("role") in kinds or msg.get("type") in kinds or \
        any(isinstance(p, dict) and (p.get("type") in kinds or kinds & p.keys())
            for p in parts)


def last_turn(msgs):
    """the last message not the model's own nor a system one"""
    turns = [m for m in msgs or [] if isinstance(m, dict) and
             m.get("role") not in ("system", "developer", "assistant", "model")]
    return turns[-1] if turns else {}


def anthropic(req, stream):
    model = req.get("model", "mock")
    last = last_turn(req.get("messages"))
    call = None if has_part(last, {"tool_result"}) else shell_call(
        last, [(t.get("name", ""), t.get("input_schema")) for t in req.get("tools") or []])
    block = {"type": "text", "text": REPLY}
    if call:
        block = {"type": "tool_use", "id": "toolu_mock1", "name": call[0], "input": call[1]}
    stop = "tool_use" if call else "end_turn"
    msg = {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
           "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": 1, "output_tokens": 1}}
    if not stream:
        msg.update(content=[block], stop_reason=stop)
        return "application/json", json.dumps(msg)
    if call:
        start = dict(block, input={})
        delta = {"type": "input_json_delta", "partial_json": json.dumps(call[1])}
    else:
        start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": REPLY}
    return "text/event-stream", sse([
        ("message_start", {"type": "message_start", "message": msg}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": start}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": stop, "stop_sequence": None},
                           "usage": {"output_tokens": 4}}),
        ("message_stop", {"type": "message_stop"}),
    ])


def env_tool():
    """(tool name, arguments) of MOCK_TOOL, when set"""
    tool = os.environ.get("MOCK_TOOL")
    if not tool:
        return None
    tool = json.loads(tool)
    return tool["name"], tool["args"]


def chat(req, stream):
    model = req.get("model", "mock")
    last = last_turn(req.get("messages"))
    call = None if has_part(last, {"tool"}) else env_tool() or shell_call(
        last, [(t.get("function", {}).get("name", ""), t.get("function", {}).get("parameters"))
               for t in req.get("tools") or []])
    msg = {"role": "assistant", "content": REPLY}
    if call:
        msg = {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_mock1", "type": "function",
             "function": {"name": call[0], "arguments": json.dumps(call[1])}}]}
    stop = "tool_calls" if call else "stop"
    if not stream:
        return "application/json", json.dumps({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": stop, "message": msg}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5}})
    chunk = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
             "model": model}
    parts = [dict(chunk, choices=[{"index": 0, "delta": msg, "finish_reason": None}]),
             dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": stop}],
                  usage={"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5})]
    return "text/event-stream", "".join("data: %s\n\n" % json.dumps(p) for p in parts) + \
        "data: [DONE]\n\n"


def responses_tools(req):
    """the tools a Responses request offers, namespaces (codex's
    additional_tools input items) flattened"""
    todo = list(req.get("tools") or [])
    todo += [t for it in req.get("input") or [] if isinstance(it, dict)
             and it.get("type") == "additional_tools" for t in it.get("tools") or []]
    out = []
    while todo:
        t = todo.pop(0)
        if isinstance(t, dict):
            todo += t.get("tools") or []
            out.append(t)
    return out


def responses(req, stream):
    model = req.get("model", "mock")
    inp = req.get("input")
    last = last_turn(inp) if isinstance(inp, list) else {"content": inp}
    tools = responses_tools(req)
    done = has_part(last, {"function_call_output", "custom_tool_call_output"})
    call = None if done else shell_call(last, [(t.get("name", ""), t.get("parameters"))
                                               for t in tools if t.get("type") == "function"])
    item = {"id": "msg_mock", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": REPLY, "annotations": []}]}
    m = None if done else SHELL.search(json.dumps(last))
    if call:
        item = {"id": "fc_mock", "type": "function_call", "status": "completed",
                "call_id": "call_mock1", "name": call[0], "arguments": json.dumps(call[1])}
    elif m and any(t.get("type") == "custom" and t.get("name") == "exec" for t in tools):
        # codex's code mode: JavaScript that calls its shell tool
        js = "text(JSON.stringify(await tools.exec_command({cmd: %s})));" % \
            json.dumps(m.group(1))
        item = {"id": "ctc_mock", "type": "custom_tool_call", "status": "completed",
                "call_id": "call_mock1", "name": "exec", "input": js}
    resp = {"id": "resp_mock", "object": "response", "created_at": 0, "model": model,
            "status": "completed", "output": [item],
            "usage": {"input_tokens": 1, "output_tokens": 4, "total_tokens": 5,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}}}
    if not stream:
        return "application/json", json.dumps(resp)
    return "text/event-stream", sse([
        ("response.created", {"type": "response.created",
                              "response": dict(resp, status="in_progress", output=[])}),
        ("response.output_item.done", {"type": "response.output_item.done",
                                       "output_index": 0, "item": item}),
        ("response.completed", {"type": "response.completed", "response": resp}),
    ])


def sample(schema):
    """a value that fits a JSON schema (enums: the first choice)"""
    if schema.get("enum"):
        return schema["enum"][0]
    t = schema.get("type")
    if t == "object":
        return {k: sample(v) for k, v in (schema.get("properties") or {}).items()}
    if t == "array":
        return []
    return {"integer": 0, "number": 0, "boolean": False}.get(t, "mock")


def gemini(req, stream):
    last = last_turn(req.get("contents"))
    decls = [d for t in req.get("tools") or [] for d in t.get("functionDeclarations") or []]
    call = None if has_part(last, {"functionResponse"}) else shell_call(
        last, [(d.get("name", ""), d.get("parameters") or d.get("parametersJsonSchema"))
               for d in decls])
    text = REPLY
    schema = (req.get("generationConfig") or {}).get("responseJsonSchema")
    if schema:  # a structured answer (gemini-cli's model router asks for one)
        text = json.dumps(sample(schema))
    part = {"functionCall": {"name": call[0], "args": call[1]}} if call else {"text": text}
    resp = {"candidates": [{"content": {"role": "model", "parts": [part]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 4,
                              "totalTokenCount": 5},
            "modelVersion": "mock"}
    if not stream:
        return "application/json", json.dumps(resp)
    return "text/event-stream", "data: %s\n\n" % json.dumps(resp)


ROUTES = (("/v1/messages", anthropic), ("/chat/completions", chat), ("/responses", responses),
          (":generateContent", gemini), (":streamGenerateContent", gemini))

# --world: what some hosts must answer for an agent to get to its model call
MODEL = {"id": "claude-sonnet-4-5", "name": "Claude Sonnet 4.5", "attachment": True,
         "reasoning": True, "temperature": True, "tool_call": True,
         "release_date": "2025-09-29", "last_updated": "2025-09-29",
         "modalities": {"input": ["text"], "output": ["text"]}, "open_weights": False,
         "cost": {"input": 3, "output": 15}, "limit": {"context": 200000, "output": 64000}}
WORLD = {
    # models.dev, for opencode: one Anthropic model
    ("models.opencode.ai", "/api.json"): json.dumps({"anthropic": {
        "id": "anthropic", "name": "Anthropic", "env": ["ANTHROPIC_API_KEY"],
        "npm": "@ai-sdk/anthropic", "doc": "https://docs.anthropic.com",
        "models": {MODEL["id"]: MODEL}}}),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, ctype, body):
        data = body.encode()
        if ctype == "text/event-stream" and os.environ.get("MOCK_CHUNKED"):
            return self.reply_chunked(code, ctype, data)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def reply_chunked(self, code, ctype, data):
        """server-sent events as a chunked body, one event a chunk (a write
        each: over TLS one record each, as model APIs stream)"""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for ev in data.split(b"\n\n"):
            if ev:
                ev += b"\n\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
        self.wfile.write(b"0\r\n\r\n")

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.server.log({"method": self.command, "path": self.path,
                         "host": self.headers.get("Host", ""), "len": n})
        path = self.path.split("?", 1)[0]
        for suffix, fn in ROUTES:
            if self.command == "POST" and path.endswith(suffix):
                try:
                    req = json.loads(body or b"{}")
                except ValueError:
                    req = {}
                stream = bool(req.get("stream")) or "stream" in suffix.lower()
                ctype, out = fn(req, stream)
                return self.reply(200, ctype, out)
        if self.headers.get("Upgrade", "").lower() == "websocket":
            # no WebSocket here: the client falls back to HTTP (codex's Responses)
            return self.reply(426, "application/json", "{}")
        if self.server.certs:
            host = self.headers.get("Host", "").split(":")[0]
            return self.reply(200, "application/json", WORLD.get((host, path), "{}"))
        self.reply(404, "application/json",
                   json.dumps({"type": "error", "error": {"type": "not_found_error",
                                                          "message": "mock: no such route"}}))

    do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    certs = None
    log_lock = threading.Lock()

    def log(self, rec):
        with self.log_lock, open(self.log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def finish_request(self, request, client_address):
        # --world: the TLS handshake in the connection's own thread
        if self.certs:
            request.settimeout(30)
            request = self.certs.server_context().wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is no error of the mock's


def exit_with_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(usage="mock_api.py ADDR PORT LOG [CERT KEY] [--world CADIR]")
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("log")
    ap.add_argument("tls", nargs="*", metavar="CERT KEY")
    ap.add_argument("--world", metavar="CADIR")
    a = ap.parse_args()
    if len(a.tls) not in (0, 2) or (a.tls and a.world):
        ap.error("CERT and KEY come together, and not with --world")
    srv = Server((a.addr, a.port), Handler)
    srv.log_path = a.log
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if a.world:
        import mock_world
        srv.certs = mock_world.Certs(a.world)
        dns = mock_world.Resolver(a.addr, srv.log)
        threading.Thread(target=dns.run, daemon=True).start()
    threading.Thread(target=exit_with_parent, daemon=True).start()
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
