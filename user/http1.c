// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * http1.c - HTTP/1.x request heads and status lines (see http1.h), RFC 9112.
 *
 * The buffer is the first bytes of a write: anything may be cut at any
 * offset.  A cut is never an error, only an incomplete result; an error is a
 * byte that no valid request could have at that place.  Whether the bytes
 * are HTTP at all is decided on the request line: a known method followed by
 * a space is HTTP (a later fault is "malformed"); any other token is HTTP
 * once " HTTP/1.x" ends the line (a fault before is "not HTTP", a cut before
 * is "partial": more bytes may tell).
 */
#include <string.h>
#include <strings.h>

#include "http1.h"

static const char *const known_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
};

/* RFC 9110 tchar */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_known_method(const char *m, size_t n)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strlen(known_methods[i]) == n && !memcmp(known_methods[i], m, n))
			return true;
	return false;
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* bytes of a token starting at p (at most max+1, so callers see "too long") */
static size_t token_len(const uint8_t *p, size_t len, size_t max)
{
	size_t i = 0;

	while (i < len && i <= max && is_tchar(p[i]))
		i++;
	return i;
}

/* "HTTP/1.x" at p (len >= 8): 10 or 11, or 0 */
static uint16_t http_version(const uint8_t *p)
{
	if (memcmp(p, "HTTP/1.", 7))
		return 0;
	return p[7] == '0' ? 10 : p[7] == '1' ? 11 : 0;
}

const char *http1_host(const char *s, size_t len, size_t *host_len)
{
	const char *end = s + len, *h = s, *he, *port;

	if (len && s[0] == '[') {
		he = memchr(s, ']', len);
		if (!he)
			return NULL;
		h = s + 1;
		port = he + 1;
	} else {
		const char *colon = memchr(s, ':', len);

		/* a bare IPv6 address (two colons) has no port */
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon) - 1))
			colon = NULL;
		he = port = colon ? colon : end;
	}
	if (port < end) {
		if (*port != ':')
			return NULL;
		for (const char *q = port + 1; q < end; q++)
			if (*q < '0' || *q > '9')
				return NULL;
	}
	for (const char *q = h; q < he; q++)
		if ((uint8_t)*q <= ' ' || strchr("/\\@?#[]", *q))
			return NULL;
	if (he == h)
		return NULL;
	*host_len = (size_t)(he - h);
	return h;
}

const struct http1_header *http1_header_find(const struct http1_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (eq_nocase(req->headers[i].name, req->headers[i].name_len, name))
			return &req->headers[i];
	return NULL;
}

/* split target into path and, for absolute- and authority-form, host */
static int split_target(struct http1_req *req)
{
	const char *t = req->target, *sep, *auth, *end = t + req->target_len;
	size_t n = req->target_len;

	req->path = t;
	req->path_len = n;
	if (!n || t[0] == '/' || (n == 1 && t[0] == '*'))
		return 0;
	sep = memmem(t, n, "://", 3);
	if (!sep) {
		/* authority-form (CONNECT host:port): no path */
		req->path_len = 0;
		req->host = http1_host(t, n, &req->host_len);
		return req->host || !req->line_complete ? 0 : -1;
	}
	auth = sep + 3;
	req->path = auth;
	while (req->path < end && !strchr("/?#", *req->path))
		req->path++;
	req->path_len = (size_t)(end - req->path);
	/* userinfo ("user:pass@") is never part of the host */
	for (const char *q = req->path; q > auth; q--)
		if (q[-1] == '@') {
			auth = q;
			break;
		}
	req->host = http1_host(auth, (size_t)(req->path - auth), &req->host_len);
	return 0;
}

/*
 * The request line.  Returns the offset after its LF, 0 when it is cut
 * (req has what was seen), or -1 / -2 for malformed / not HTTP.
 */
static long parse_request_line(const uint8_t *buf, size_t len, struct http1_req *req)
{
	size_t m, t, at;
	const uint8_t *lf;

	m = token_len(buf, len, HTTP1_METHOD_MAX);
	if (m && m == len && m <= HTTP1_METHOD_MAX)
		return 0;  /* the method token is cut */
	if (!m || m > HTTP1_METHOD_MAX || buf[m] != ' ')
		return -2;
	req->method = (const char *)buf;
	req->method_len = m;
	req->known_method = is_known_method(req->method, m);
	if (m == 3 && !memcmp(buf, "PRI", 3))
		return -2;  /* the HTTP/2 preface "PRI * HTTP/2.0" */
	at = m + 1;
	for (t = at; t < len && buf[t] > ' ' && buf[t] < 0x7f; t++)
		;
	req->target = (const char *)buf + at;
	req->target_len = t - at;
	if (t == len) {
		split_target(req);
		return 0;
	}
	if (buf[t] != ' ' || t == at)
		return req->known_method ? -1 : -2;
	at = t + 1;
	lf = memchr(buf + at, '\n', len - at);
	if (!lf) {
		split_target(req);
		return 0;
	}
	req->line_complete = true;
	t = (size_t)(lf - buf);
	if (t > at && buf[t - 1] == '\r')
		t--;
	if (t - at != 8 || !(req->version = http_version(buf + at)))
		return req->known_method ? -1 : -2;
	if (split_target(req))
		return -1;
	return (long)(lf - buf) + 1;
}

/* digits only, no sign, no list: the value or -1 */
static int64_t parse_length(const char *v, size_t n)
{
	int64_t x = 0;

	if (!n || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* does a Transfer-Encoding list end in "chunked"? */
static bool ends_chunked(const char *v, size_t n)
{
	const char *c = v + n;

	while (c > v && c[-1] != ',')
		c--;
	while (c < v + n && (*c == ' ' || *c == '\t'))
		c++;
	return eq_nocase(c, (size_t)(v + n - c), "chunked");
}

/* the meaning of one header for the request: 0 or -1 when it breaks it */
static int apply_header(struct http1_req *req, const struct http1_header *h, bool *seen_host)
{
	if (eq_nocase(h->name, h->name_len, "host")) {
		if (*seen_host)
			return -1;
		*seen_host = true;
		if (req->host)  /* absolute-form wins over Host */
			return 0;
		req->host = http1_host(h->value, h->value_len, &req->host_len);
		return req->host || !h->value_len ? 0 : -1;
	}
	if (eq_nocase(h->name, h->name_len, "content-length")) {
		int64_t v = parse_length(h->value, h->value_len);

		if (v < 0 || (req->content_length >= 0 && req->content_length != v))
			return -1;
		req->content_length = v;
	} else if (eq_nocase(h->name, h->name_len, "transfer-encoding")) {
		req->chunked = ends_chunked(h->value, h->value_len);
	}
	/* both framings at once is how requests are smuggled */
	return req->chunked && req->content_length >= 0 ? -1 : 0;
}

/* one header line [p, e) without its line ending into *h; -1 when malformed */
static int parse_header_line(const char *p, const char *e, struct http1_header *h)
{
	const char *colon = memchr(p, ':', (size_t)(e - p));
	const char *v;

	if (!colon || colon == p || token_len((const uint8_t *)p, (size_t)(colon - p),
					       (size_t)(colon - p)) != (size_t)(colon - p))
		return -1;
	v = colon + 1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (const char *q = v; q < e; q++)
		if (((uint8_t)*q < ' ' && *q != '\t') || *q == 0x7f)
			return -1;
	h->name = p;
	h->name_len = (size_t)(colon - p);
	h->value = v;
	h->value_len = (size_t)(e - v);
	return 0;
}

/* header lines from offset at; 1 or -1 */
static int parse_headers(const uint8_t *buf, size_t len, size_t at, struct http1_req *req)
{
	bool seen_host = false;
	struct http1_header h;

	for (;;) {
		const char *p = (const char *)buf + at;
		const char *lf = memchr(p, '\n', len - at), *e;

		if (!lf)
			return 1;
		e = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
		at = (size_t)(lf - (const char *)buf) + 1;
		if (e == p) {
			req->head_complete = true;
			req->head_len = at;
			return 1;
		}
		if (parse_header_line(p, e, &h) || apply_header(req, &h, &seen_host))
			return -1;
		if (req->n_headers < HTTP1_MAX_HEADERS)
			req->headers[req->n_headers++] = h;
		else
			req->headers_trunc = true;
	}
}

int http1_parse_request(const uint8_t *buf, size_t len, struct http1_req *req)
{
	size_t lead = 0;
	long at;
	int ret;

	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	while (lead < len && (buf[lead] == '\r' || buf[lead] == '\n'))
		lead++;
	req->lead = lead;
	if (lead == len) {
		req->partial = true;  /* nothing but empty lines yet */
		return 0;
	}
	at = parse_request_line(buf + lead, len - lead, req);
	if (at == -2)
		return 0;
	if (at == -1)
		return -1;
	if (at == 0) {
		req->partial = !req->known_method;
		return req->known_method ? 1 : 0;
	}
	ret = parse_headers(buf + lead, len - lead, (size_t)at, req);
	if (req->head_complete)
		req->head_len += lead;
	return ret;
}

/* chunked body states */
enum { CH_SIZE, CH_EXT, CH_DATA, CH_DATA_END, CH_TRAILER };

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* one byte of a size line (CH_SIZE, CH_EXT): 0, or -1 when malformed */
static int chunk_size_byte(struct http1_chunked *c, uint8_t b)
{
	int x = hex_digit(b);

	if (c->state == CH_SIZE && x >= 0) {
		if (++c->digits > 15)
			return -1;  /* 60 bits: no overflow, and no real chunk is larger */
		c->left = c->left * 16 + (uint64_t)x;
		return 0;
	}
	if (b != '\n') {
		if (!c->digits || (b < ' ' && b != '\t' && b != '\r'))
			return -1;
		c->state = CH_EXT;  /* ";ext=..." or the CR */
		return 0;
	}
	if (!c->digits)
		return -1;
	c->state = c->left ? CH_DATA : CH_TRAILER;
	c->digits = 0;
	c->line_text = false;
	return 0;
}

long http1_chunked_feed(struct http1_chunked *c, const uint8_t *buf, size_t len, bool *done)
{
	size_t i = 0;

	*done = false;
	while (i < len) {
		uint8_t b = buf[i];

		if (c->state == CH_DATA) {
			size_t n = len - i < c->left ? len - i : (size_t)c->left;

			c->left -= n;
			i += n;
			if (!c->left)
				c->state = CH_DATA_END;
			continue;
		}
		i++;
		if (c->state == CH_SIZE || c->state == CH_EXT) {
			if (chunk_size_byte(c, b))
				return -1;
		} else if (c->state == CH_DATA_END) {
			if (b == '\n')
				c->state = CH_SIZE;
			else if (b != '\r')
				return -1;
		} else if (b == '\n') {  /* CH_TRAILER: ends at an empty line */
			if (!c->line_text) {
				*done = true;
				return (long)i;
			}
			c->line_text = false;
		} else if (b != '\r') {
			c->line_text = true;
		}
	}
	return (long)i;
}

uint64_t http1_chunked_skip(struct http1_chunked *c, uint64_t gap)
{
	uint64_t n = gap < c->left ? gap : c->left;

	if (c->state != CH_DATA)
		return 0;
	c->left -= n;
	if (c->left)
		return n;
	c->state = CH_DATA_END;
	if (gap - n > 2)
		return n;        /* past the chunk and its CRLF: framing unknown */
	if (gap - n == 2)
		c->state = CH_SIZE; /* the CRLF went by too */
	return gap;
}

int http1_parse_status(const uint8_t *buf, size_t len, int *status)
{
	int v = 0;

	if (memcmp(buf, "HTTP/", len < 5 ? len : 5))
		return 0;
	if (len < 12)
		return 0;
	if (!http_version(buf) || buf[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		v = v * 10 + (buf[i] - '0');
	}
	if (v < 100 || (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n'))
		return -1;
	*status = v;
	return 1;
}
