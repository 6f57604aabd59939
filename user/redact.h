/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * redact.h - secrets never leave whole.  Header values, query parameters and
 * well-known key shapes in free text are replaced by "[REDACTED]", keeping
 * at most a short prefix that is not secret ("Bearer [REDACTED]",
 * "sk-ant-[REDACTED]").
 *
 * Every function writes into the caller's buffer out (outsz bytes, always
 * NUL-terminated when outsz > 0), allocates nothing, and returns the length
 * written without the NUL.  A result longer than outsz - 1 is cut; cutting
 * never uncovers a secret, since secrets are replaced before they are copied.
 */
#ifndef AGENTMON_REDACT_H
#define AGENTMON_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACTED "[REDACTED]"

/*
 * Is a header of this name secret?  Authorization, Proxy-Authorization,
 * Cookie, Set-Cookie, X-Api-Key, Api-Key, X-Auth-Token, X-Goog-Api-Key and
 * any name containing token, secret, password, passwd, apikey, api-key,
 * api_key, session, credential (case-insensitive).
 */
bool redact_header_is_secret(const char *name, size_t name_len);

/*
 * The value of header name as it may be shown: unchanged when the name is
 * not secret; else "[REDACTED]", or "Scheme [REDACTED]" when the value
 * starts with an auth scheme token ("Bearer", "Basic", ...).  A non-secret
 * value still goes through redact_keys.
 */
size_t redact_header_value(const char *name, size_t name_len, const char *value,
			   size_t value_len, char *out, size_t outsz);

/*
 * A request target with the values of secret query parameters replaced:
 * key, api_key, apikey, token, access_token, secret, password, sig,
 * signature, auth, and any name containing token, secret, password, apikey,
 * api_key, api-key (case-insensitive, after percent-decoding the name).
 * "/v1?key=abc&q=1" -> "/v1?key=[REDACTED]&q=1".  The rest goes through
 * redact_keys.
 */
size_t redact_query(const char *path, size_t len, char *out, size_t outsz);
/* is a query parameter of this name (percent-encoded as sent) secret, as above */
bool redact_param_is_secret(const char *name, size_t name_len);

/*
 * Free text with well-known key shapes replaced after their type prefix:
 * sk-... (OpenAI, sk-ant-... Anthropic), ghp_/gho_/ghu_/ghs_/ghr_...,
 * github_pat_..., xoxb-/xoxp-/xoxa-/xoxr-/xoxs-..., glpat-..., AKIA/ASIA...
 * (AWS), AIza... (Google).  out may be s itself (the result is never
 * longer than the input).
 */
size_t redact_keys(const char *s, size_t len, char *out, size_t outsz);

/*
 * The same key shapes masked in place, the length kept: the part after the
 * type prefix becomes 'X's ("sk-ant-XXXX..."), which redact_keys still
 * takes for a key.  For bytes that are stored (traces).  Returns the bytes
 * masked.
 */
size_t redact_keys_mask(char *s, size_t len);

/*
 * One command-line argument as it may be shown: a "Header: value" argument
 * (curl -H) with a secret header's value redacted, a URL's secret query
 * parameters redacted, and key shapes redacted everywhere.
 */
size_t redact_arg(const char *s, size_t len, char *out, size_t outsz);

#endif
