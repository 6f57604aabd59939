"""What the local test servers share: a quiet handler without Nagle stalls,
and serving on a free 127.0.0.1 port (TLS unless plain) whose number is
written atomically to a file."""
import http.server
import os
import socket
import ssl


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # head and body are two writes: without this, Nagle and delayed ACKs
        # stall every keep-alive response by 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass


def serve(handler, port_file, cert=None, key=None, **attrs):
    """serve handler forever; attrs become attributes of the server"""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for k, v in attrs.items():
        setattr(srv, k, v)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
