"""A TLS client over ssl.MemoryBIO: SSL_write_ex writes to memory, and the
caller decides which thread sends the bytes to the socket (as node's libuv
does).  connect(port, sni) does the handshake, pumped by hand on the calling
thread, and returns (sock, obj, out): the socket, the SSLObject, and the
outgoing memory BIO.  Certificates are not checked (the tests' servers are
self-signed)."""
import socket
import ssl
import sys


def connect(port, sni):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", port))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(out.read())
            data = sock.recv(65536)
            if not data:
                sys.exit("handshake: connection closed")
            inc.write(data)
    sock.sendall(out.read())
    return sock, obj, out
