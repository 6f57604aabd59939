// Local HTTP/2 (TLS, ALPN h2 and http/1.1) test server for the detection
// tests: answers every request with 200 and logs one JSON line per request.
// With ANSWER (a file of server-sent events), a POST to a model API path
// (/v1/messages, /v1/responses, /chat/completions) is answered with it as
// text/event-stream, one event per write, 10 ms apart (all in one write when
// the query has "whole").
// usage: node h2_server.js PORT_FILE LOG CERT KEY [ANSWER]
'use strict';
const fs = require('fs');
const http2 = require('http2');
const [portFile, log, cert, key, answer] = process.argv.slice(2);
const MODEL_PATH = /\/(v1\/messages|v1\/responses|chat\/completions)$/;

// the events of ANSWER, one write each, then the end
function stream(req, res) {
	const text = fs.readFileSync(answer, 'utf8');
	const events = /[?&]whole/.test(req.url) ? [text] : text.split(/(?<=\n\n)/);
	res.writeHead(200, { 'content-type': 'text/event-stream' });
	const next = () => {
		if (!events.length)
			return res.end();
		res.write(events.shift());
		setTimeout(next, 10);
	};
	next();
}

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
		if (answer && req.method === 'POST' && MODEL_PATH.test(req.url.split('?')[0]))
			return stream(req, res);
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end('{"ok":true}\n');
	});
});
srv.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(srv.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
