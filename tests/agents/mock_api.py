#!/usr/bin/env python3
"""mock_api.py - a mock model API for real agents on loopback.

    mock_api.py ADDR PORT LOG

Answers, with one short text reply ("hi from the mock"):
  POST */v1/messages                Anthropic Messages (stream or not)
  POST */chat/completions           OpenAI Chat Completions (stream or not)
  POST */responses                  OpenAI Responses (stream or not)
With MOCK_TOOL set ({"name": ..., "args": {...}}), Chat Completions answers
a request whose last message is not a tool result with that tool call
instead (the agent runs it, then gets the text reply).
Anything else: 404 with a JSON error.  Each request is logged to LOG as one
JSON line {"method","path","host","len"} (bodies are not kept: they hold
the agent's prompt).  Plain HTTP: agents are pointed at it by their base
URL settings.  Prints "ready PORT" once listening.  Exits when its parent
does (it is started by the process that then execs the agent).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "hi from the mock"


def sse(events):
    return "".join("event: %s\ndata: %s\n\n" % (e, json.dumps(d)) for e, d in events)


def anthropic(req, stream):
    model = req.get("model", "mock")
    msg = {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
           "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": 1, "output_tokens": 1}}
    if not stream:
        msg.update(content=[{"type": "text", "text": REPLY}], stop_reason="end_turn")
        return "application/json", json.dumps(msg)
    return "text/event-stream", sse([
        ("message_start", {"type": "message_start", "message": msg}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": REPLY}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 4}}),
        ("message_stop", {"type": "message_stop"}),
    ])


def tool_call(req):
    """the MOCK_TOOL call, when the last message asks for one"""
    tool = os.environ.get("MOCK_TOOL")
    msgs = req.get("messages") or [{}]
    if not tool or msgs[-1].get("role") == "tool":
        return None
    tool = json.loads(tool)
    return {"index": 0, "id": "call_mock", "type": "function",
            "function": {"name": tool["name"], "arguments": json.dumps(tool["args"])}}


def chat(req, stream):
    model = req.get("model", "mock")
    call = tool_call(req)
    if call:
        chunk = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": model,
                 "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]},
                              "finish_reason": "tool_calls"}]}
        if not stream:
            chunk["choices"][0]["message"] = chunk["choices"][0].pop("delta")
            return "application/json", json.dumps(chunk)
        return "text/event-stream", "data: %s\n\ndata: [DONE]\n\n" % json.dumps(chunk)
    if not stream:
        return "application/json", json.dumps({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": REPLY}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5}})
    chunk = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0,
             "model": model}
    parts = [dict(chunk, choices=[{"index": 0, "delta": {"role": "assistant", "content": REPLY},
                                   "finish_reason": None}]),
             dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])]
    return "text/event-stream", "".join("data: %s\n\n" % json.dumps(p) for p in parts) + \
        "data: [DONE]\n\n"


def responses(req, stream):
    model = req.get("model", "mock")
    item = {"id": "msg_mock", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": REPLY, "annotations": []}]}
    resp = {"id": "resp_mock", "object": "response", "created_at": 0, "model": model,
            "status": "completed", "output": [item],
            "usage": {"input_tokens": 1, "output_tokens": 4, "total_tokens": 5}}
    if not stream:
        return "application/json", json.dumps(resp)
    return "text/event-stream", sse([
        ("response.created", {"type": "response.created",
                              "response": dict(resp, status="in_progress", output=[])}),
        ("response.output_item.done", {"type": "response.output_item.done",
                                       "output_index": 0, "item": item}),
        ("response.completed", {"type": "response.completed", "response": resp}),
    ])


ROUTES = (("/v1/messages", anthropic), ("/chat/completions", chat), ("/responses", responses))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_lock = threading.Lock()

    def log_message(self, *args):
        pass

    def log(self, n):
        with self.log_lock, open(self.server.log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "host": self.headers.get("Host", ""), "len": n}) + "\n")

    def reply(self, code, ctype, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        self.log(n)
        path = self.path.split("?", 1)[0]
        for suffix, fn in ROUTES:
            if self.command == "POST" and path.endswith(suffix):
                try:
                    req = json.loads(body or b"{}")
                except ValueError:
                    req = {}
                ctype, out = fn(req, bool(req.get("stream")))
                return self.reply(200, ctype, out)
        self.reply(404, "application/json",
                   json.dumps({"type": "error", "error": {"type": "not_found_error",
                                                          "message": "mock: no such route"}}))

    do_GET = do_POST = do_HEAD = do_PUT = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is no error of the mock's


def exit_with_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: mock_api.py ADDR PORT LOG")
    srv = Server((sys.argv[1], int(sys.argv[2])), Handler)
    srv.log_path = sys.argv[3]
    threading.Thread(target=exit_with_parent, daemon=True).start()
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
