// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report_html.c - a report as one self-contained HTML page (see report.h):
 * inline CSS, a few lines of inline script (the timeline filter), a
 * Content-Security-Policy that forbids every fetch.  Every string is
 * HTML-escaped: agents choose process names, paths and hosts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "report.h"

/* the page may fetch nothing and run only SCRIPT (by its hash: no inline
 * handler an injected attribute could bring) */
static const char CSP[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'; script-src 'sha256-%s'\">\n";

static const char HEAD[] =
	"<meta name=\"viewport\" content=\"width=device-width\">\n"
	"<title>agentmon session report</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\n"
	"h1{font-size:1.5em}h2{margin-top:2em;border-bottom:2px solid #446;padding-bottom:.2em}\n"
	"h3{margin-bottom:.3em}code,.mono,td{font-family:ui-monospace,monospace;font-size:13px}\n"
	"table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
	"text-align:left;vertical-align:top;word-break:break-all}\n"
	"th{background:#e8e8f0;word-break:normal}\n"
	".alert{border-left:5px solid #c00;background:#fee;padding:.4em .8em;margin:.5em 0}\n"
	".sev-critical,.sev-high{color:#b00;font-weight:bold}.sev-medium{color:#a60}\n"
	".warn{background:#ffd;border:1px solid #cc6;padding:.4em .8em}\n"
	".cut{color:#666;font-style:italic}.tree div{white-space:pre-wrap}\n"
	".k-alert td{background:#fee}.k-exec td:nth-child(3){color:#036}\n"
	".bad{color:#b00;font-weight:bold}.ok{color:#070}\n"
	".tl td:nth-child(-n+3),.files td:nth-child(3){white-space:nowrap;word-break:normal}\n"
	"</style></head><body>\n";

static const char SCRIPT_BODY[] =
	"\ndocument.body.dataset.ready='1';\n"
	"document.querySelectorAll('input.filter').forEach(function(inp){\n"
	"  inp.addEventListener('input',function(){\n"
	"    var q=inp.value.toLowerCase(),t=document.getElementById(inp.dataset.table);\n"
	"    t.querySelectorAll('tbody tr').forEach(function(tr){\n"
	"      tr.style.display=tr.textContent.toLowerCase().indexOf(q)<0?'none':'';});});});\n";

/* s HTML-escaped: & < > " ' */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void cell(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s);
	fputs("</td>", f);
}

static void cell_u(FILE *f, uint64_t v)
{
	fprintf(f, "<td>%" PRIu64 "</td>", v);
}

static void cut(FILE *f, uint64_t n, const char *what)
{
	if (n)
		fprintf(f, "<p class=\"cut\">... and %" PRIu64 " more %s not listed</p>\n", n, what);
}

static void intent(FILE *f, const struct report_alert *a)
{
	if (!a->tool && !a->prompt) {
		fputs("<div>intent: not known (the agent's model traffic was not readable)</div>\n", f);
		return;
	}
	fputs("<div>intent: tool <code>", f);
	esc(f, a->tool ? a->tool : "?");
	fputs("</code>", f);
	if (a->model) {
		fputs(" (model ", f);
		esc(f, a->model);
		fputs(")", f);
	}
	fputs("</div>\n<div>input: <code>", f);
	esc(f, a->input);
	fputs("</code></div>\n<div>prompt: <q>", f);
	esc(f, a->prompt);
	fputs("</q></div>\n", f);
}

static void alerts(FILE *f, const struct report_session *s)
{
	char t[40];

	fprintf(f, "<h3>Alerts (%u)</h3>\n", s->n_alerts + s->alerts_cut);
	for (uint32_t i = 0; i < s->n_alerts; i++) {
		const struct report_alert *a = &s->alerts[i];

		fputs("<div class=\"alert\"><div><b>", f);
		esc(f, a->rule);
		fputs("</b> <span class=\"sev-", f);
		esc(f, a->severity);
		fputs("\">", f);
		esc(f, a->severity);
		fprintf(f, "</span> at %s, pid %u", report_time(a->ts_ns, t, sizeof(t)), a->pid);
		if (a->count > 1)
			fprintf(f, " (x%u)", a->count);
		fputs("</div>\n<div>", f);
		esc(f, a->summary);
		fputs("</div>\n", f);
		if (a->chain) {
			fputs("<div>chain: <code>", f);
			esc(f, a->chain);
			fputs("</code></div>\n", f);
		}
		intent(f, a);
		fputs("</div>\n", f);
	}
	cut(f, s->alerts_cut, "alerts");
}

static void methods(FILE *f, uint16_t m)
{
	bool any = false;

	fputs("<td>", f);
	for (unsigned i = 0; i < REPORT_METHODS; i++)
		if (m & (1u << i)) {
			fprintf(f, "%s%s", any ? " " : "", report_method_name(i));
			any = true;
		}
	fputs("</td>", f);
}

static void dest_row(FILE *f, const struct report_dest *d)
{
	fputs("<tr>", f);
	cell(f, d->host ? d->host : d->addr);
	fprintf(f, "<td>%s:%u%s</td>", d->addr, d->port, d->tls ? " tls" : "");
	methods(f, d->methods);
	fputs("<td>", f);
	for (uint32_t i = 0; i < d->n_paths; i++) {
		esc(f, d->paths[i]);
		fputs("<br>", f);
	}
	if (d->paths_cut)
		fprintf(f, "<span class=\"cut\">+%u more</span>", d->paths_cut);
	fputs("</td>", f);
	cell_u(f, d->requests);
	cell_u(f, d->connects);
	cell_u(f, d->bytes_sent);
	cell_u(f, d->body_bytes);
	cell_u(f, d->bytes_received);
	fprintf(f, "<td class=\"%s\">", d->alerts ? "bad" : "ok");
	esc(f, d->verdict);
	if (d->alerts)
		fprintf(f, "; %u alert%s", d->alerts, d->alerts == 1 ? "" : "s");
	fputs("</td></tr>\n", f);
}

static void dests(FILE *f, const struct report_session *s)
{
	fprintf(f, "<h3>Destinations (%u)</h3>\n", s->n_dests + s->dests_cut);
	if (!s->n_dests) {
		cut(f, s->dests_cut, "destinations");
		return;
	}
	fputs("<table><thead><tr><th>host</th><th>address</th><th>methods</th><th>paths</th>"
	      "<th>requests</th><th>connects</th><th>bytes sent</th><th>request bodies</th>"
	      "<th>bytes received</th><th>policy</th></tr></thead><tbody>\n", f);
	for (uint32_t i = 0; i < s->n_dests; i++)
		dest_row(f, &s->dests[i]);
	fputs("</tbody></table>\n", f);
	cut(f, s->dests_cut, "destinations");
	if (s->unattributed_received)
		fprintf(f, "<p>%" PRIu64 " bytes read over TLS from connections of unknown "
			"destination</p>\n", s->unattributed_received);
}

static void files(FILE *f, const struct report_session *s)
{
	char t[40], what[96];

	fprintf(f, "<h3>Files written or deleted (%u)</h3>\n", s->n_files + s->files_cut);
	if (s->n_files)
		fputs("<table class=\"files\"><thead><tr><th>path</th><th>what</th><th>last</th></tr></thead>"
		      "<tbody>\n", f);
	for (uint32_t i = 0; i < s->n_files; i++) {
		const struct report_file *x = &s->files[i];

		snprintf(what, sizeof(what), "%s%.0u%s%.0u%s%.0u%s%.0u",
			 x->written ? "written " : "", x->written, x->deleted ? " deleted " : "",
			 x->deleted, x->renamed ? " renamed " : "", x->renamed,
			 x->chmoded ? " chmod " : "", x->chmoded);
		fputs("<tr>", f);
		cell(f, x->path);
		fputs("<td>", f);
		esc(f, what);
		if (x->new_path) {
			fputs(" to ", f);
			esc(f, x->new_path);
		}
		fputs("</td>", f);
		cell(f, report_time(x->last_ns, t, sizeof(t)));
		fputs("</tr>\n", f);
	}
	if (s->n_files)
		fputs("</tbody></table>\n", f);
	cut(f, s->files_cut, "files");
}

static void tree_line(void *arg, const struct report_proc *p, unsigned depth)
{
	FILE *f = arg;

	fprintf(f, "<div style=\"padding-left:%ucm\">", depth > 20 ? 20 : depth);
	fprintf(f, "%s<b>", depth ? "&#x2514; " : "");
	esc(f, p->comm);
	fprintf(f, "</b>[%u]", p->pid);
	for (uint32_t i = 0; i < p->n_cmds; i++) {
		fputs(i ? " ; <code>" : " <code>", f);
		esc(f, p->cmds[i]);
		fputs("</code>", f);
	}
	if (p->cmds_cut)
		fprintf(f, " <span class=\"cut\">+%u more execs</span>", p->cmds_cut);
	if (p->exited)
		fprintf(f, " &rarr; exit %d", p->exit_code);
	fputs("</div>\n", f);
}

static void timeline(FILE *f, const struct report_session *s, unsigned no)
{
	char t[40];
	uint64_t c = 0;

	fprintf(f, "<h3>Timeline</h3>\n<p>filter: <input class=\"filter\" data-table=\"tl%u\" "
		"placeholder=\"text\"></p>\n<table class=\"tl\" id=\"tl%u\"><thead><tr><th>time</th><th>pid</th>"
		"<th>what</th><th>detail</th></tr></thead><tbody>\n", no, no);
	for (uint32_t i = 0; i < s->n_items; i++) {
		const struct report_item *it = &s->items[i];

		fprintf(f, "<tr class=\"k-%s\">", report_kind_name(it->kind));
		cell(f, report_time(it->ts_ns, t, sizeof(t)));
		fprintf(f, "<td>%u</td><td>%s</td>", it->pid, report_kind_name(it->kind));
		cell(f, it->text);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	for (unsigned k = 0; k < REPORT_KINDS; k++)
		c += s->items_cut[k];
	if (c)
		fprintf(f, "<p class=\"cut\">... the timeline keeps the first %u entries: %" PRIu64
			" execs, %" PRIu64 " writes, %" PRIu64 " requests and %" PRIu64
			" alerts after them are counted above, not listed</p>\n", REPORT_TIMELINE_MAX,
			s->items_cut[REPORT_EXEC], s->items_cut[REPORT_WRITE],
			s->items_cut[REPORT_REQUEST], s->items_cut[REPORT_ALERT]);
}

static void session(FILE *f, const struct report_session *s, unsigned no)
{
	char a[40], b[40];

	fprintf(f, "<section id=\"s%u\"><h2>Agent <span class=\"agent\">", no);
	esc(f, s->agent);
	fprintf(f, "</span>, root pid %u</h2>\n", s->root_pid);
	fprintf(f, "<p>%s to %s: %" PRIu64 " events, %" PRIu64 " execs, %" PRIu64
		" writes, %" PRIu64 " requests, %" PRIu64 " alerts, %" PRIu64
		" read-only opens and device writes (folded)</p>\n", report_time(s->start_ns, a, sizeof(a)),
		report_time(s->end_ns, b, sizeof(b)), s->events, s->by_kind[REPORT_EXEC],
		s->by_kind[REPORT_WRITE], s->by_kind[REPORT_REQUEST], s->by_kind[REPORT_ALERT],
		s->reads);
	alerts(f, s);
	dests(f, s);
	files(f, s);
	fprintf(f, "<h3>Process tree (%u)</h3>\n<div class=\"tree mono\">\n",
		s->n_procs + s->procs_cut);
	report_tree(s, tree_line, f);
	fputs("</div>\n", f);
	cut(f, s->procs_cut, "processes");
	timeline(f, s, no);
	fputs("</section>\n", f);
}

static void summary(const struct report *r, FILE *f)
{
	char t[40];

	fprintf(f, "<h1>agentmon session report</h1>\n<p>generated %s: %u agent session%s, "
		"%" PRIu64 " events", report_time(r->generated_ns, t, sizeof(t)), r->n_sessions,
		r->n_sessions == 1 ? "" : "s", r->events);
	if (r->drops_lost)
		fprintf(f, ", <span class=\"bad\">%" PRIu64 " events lost by the kernel</span>",
			r->drops_lost);
	fputs("</p>\n", f);
	if (r->n_notes) {
		fputs("<div class=\"warn\"><b>Not everything could be read:</b><ul>\n", f);
		for (uint32_t i = 0; i < r->n_notes; i++) {
			fputs("<li>", f);
			esc(f, r->notes[i]);
			fputs("</li>\n", f);
		}
		if (r->notes_cut)
			fprintf(f, "<li>%u more</li>\n", r->notes_cut);
		fputs("</ul></div>\n", f);
	}
	if (r->sessions_cut_events)
		fprintf(f, "<p class=\"cut\">%" PRIu64 " events of sessions past the first %d are "
			"not reported</p>\n", r->sessions_cut_events, REPORT_SESSIONS_MAX);
	if (!r->n_sessions)
		fputs("<p>No agent session in these traces.</p>\n", f);
	fputs("<ul>\n", f);
	for (uint32_t i = 0; i < r->n_sessions; i++) {
		fprintf(f, "<li><a href=\"#s%u\">", i + 1);
		esc(f, r->sessions[i].agent);
		fprintf(f, " [%u]</a>: %u alerts</li>\n", r->sessions[i].root_pid,
			r->sessions[i].n_alerts + r->sessions[i].alerts_cut);
	}
	fputs("</ul>\n", f);
}

/* the CSP hash of SCRIPT_BODY: base64 of its SHA-256 */
static int script_hash(char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (len < 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1 ||
	    !EVP_Digest(SCRIPT_BODY, sizeof(SCRIPT_BODY) - 1, md, &n, EVP_sha256(), NULL))
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
	return 0;
}

int report_write_html(const struct report *r, FILE *f)
{
	char hash[128];

	if (script_hash(hash, sizeof(hash)))
		return -ENOMEM;
	fprintf(f, CSP, hash);
	fputs(HEAD, f);
	summary(r, f);
	for (uint32_t i = 0; i < r->n_sessions; i++)
		session(f, &r->sessions[i], i + 1);
	fprintf(f, "<script>%s</script>\n", SCRIPT_BODY);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
