#!/usr/bin/env python3
"""Smart-HTTP git server over TLS for the detection tests: every request is
handed to `git http-backend` (CGI) over the repositories in --root, with
pushes enabled.  usage: git_https_server.py --root DIR --port-file F --cert C --key K
"""
import argparse
import os
import subprocess

import testserver


class Handler(testserver.Handler):
    def _cgi(self):
        path, _, query = self.path.partition("?")
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=self.server.root, GIT_HTTP_EXPORT_ALL="1",
                   REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_USER="tester",
                   REMOTE_ADDR="127.0.0.1", GIT_CONFIG_COUNT="1",
                   GIT_CONFIG_KEY_0="http.receivepack", GIT_CONFIG_VALUE_0="true")
        if self.headers.get("Content-Encoding") == "gzip":
            env["HTTP_CONTENT_ENCODING"] = "gzip"
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _cgi


def main():
    ap = argparse.ArgumentParser()
    for a in ("--root", "--port-file", "--cert", "--key"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    testserver.serve(Handler, a.port_file, a.cert, a.key, root=a.root)


if __name__ == "__main__":
    main()
