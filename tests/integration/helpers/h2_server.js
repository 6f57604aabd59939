// Local HTTP/2 (TLS, ALPN h2 and http/1.1) test server for the detection
// tests: answers every request with 200 and logs one JSON line per request.
// usage: node h2_server.js PORT_FILE LOG CERT KEY
'use strict';
const fs = require('fs');
const http2 = require('http2');
const [portFile, log, cert, key] = process.argv.slice(2);
const srv = http2.createSecureServer({
	cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHTTP1: true,
}, (req, res) => {
	let bytes = 0;
	req.on('data', (c) => { bytes += c.length; });
	req.on('end', () => {
		fs.appendFileSync(log, JSON.stringify({
			method: req.method, path: req.url, bytes,
			host: req.headers[':authority'] || req.headers.host,
			version: req.httpVersion,
		}) + '\n');
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end('{"ok":true}\n');
	});
});
srv.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(srv.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
