// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_decode.c - decode_record on good, truncated and corrupt records. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "decode.h"

static _Alignas(8) unsigned char rec[AM_EXEC_MAX + AM_FILE_MAX];

static void hdr_fill(struct am_hdr *h, uint16_t type, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = 123456789;
	h->pid = 100; h->tid = 101; h->ppid = 1; h->uid = 1000;
	h->agent_pid = 90; h->agent_id = 3;
	h->type = type;
	h->size = (uint16_t)size;
	memcpy(h->comm, "0123456789abcdef", AM_COMM_LEN); /* full: no NUL inside */
}

/* an exec record: filename, argv (alen bytes), cwd; returns its size */
static size_t mk_exec(const char *fn, const char *argv, uint16_t alen, uint32_t argc,
		      const char *cwd)
{
	struct am_exec x = { 0 };
	size_t at = sizeof(x);

	x.argc = argc;
	x.filename_len = (uint16_t)(strlen(fn) + 1);
	x.argv_len = alen;
	x.cwd_len = cwd ? (uint16_t)(strlen(cwd) + 1) : 0;
	memcpy(rec + at, fn, x.filename_len); at += x.filename_len;
	memcpy(rec + at, argv, alen);         at += alen;
	if (cwd) {
		memcpy(rec + at, cwd, x.cwd_len);
		at += x.cwd_len;
	}
	hdr_fill(&x.hdr, AM_EV_EXEC, at);
	memcpy(rec, &x, sizeof(x));
	return at;
}

static size_t mk_file(uint16_t type, const char *p1, const char *p2, const char *b1,
		      const char *b2, uint32_t flags)
{
	const char *s[4] = { p1, p2, b1, b2 };
	uint16_t l[4];
	struct am_file f = { 0 };
	size_t at = sizeof(f);

	for (int i = 0; i < 4; i++) {
		l[i] = s[i] ? (uint16_t)(strlen(s[i]) + 1) : 0;
		memcpy(rec + at, s[i] ? s[i] : "", l[i]);
		at += l[i];
	}
	f.path_len = l[0]; f.path2_len = l[1]; f.base_len = l[2]; f.base2_len = l[3];
	f.ret = -2; f.flags = flags; f.mode = 0644;
	hdr_fill(&f.hdr, type, at);
	memcpy(rec, &f, sizeof(f));
	return at;
}

static struct am_exec *X(void) { return (struct am_exec *)rec; }
static struct am_file *F(void) { return (struct am_file *)rec; }

static int dec(size_t len, struct event *ev)
{
	const char *why = NULL;
	int r = decode_record(rec, len, ev, &why);

	if (r)
		assert_non_null(why);
	return r;
}

static void test_exec_good(void **state)
{
	struct event ev;
	size_t n = mk_exec("/usr/bin/claude", "claude\0-p\0hi there", 19, 3, "/home/u");

	X()->hdr.flags = AM_F_ARGV_TRUNC | AM_F_NEW_TAG;
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.type, AM_EV_EXEC);
	assert_int_equal(ev.ts_ns, 123456789);
	assert_int_equal(ev.pid, 100); assert_int_equal(ev.tid, 101);
	assert_int_equal(ev.ppid, 1);  assert_int_equal(ev.uid, 1000);
	assert_int_equal(ev.agent_pid, 90); assert_int_equal(ev.agent_id, 3);
	assert_string_equal(ev.comm, "0123456789abcdef");
	assert_null(ev.agent); assert_null(ev.exe);
	assert_string_equal(ev.exec.filename, "/usr/bin/claude");
	assert_int_equal(ev.exec.argc, 3);
	assert_int_equal(ev.exec.argv_len, 19);
	assert_memory_equal(ev.exec.argv, "claude\0-p\0hi there", 19);
	assert_string_equal(ev.exec.cwd, "/home/u");
	assert_true(ev.exec.argv_trunc);
	/* pointers into the record */
	assert_ptr_equal(ev.exec.filename, (const char *)rec + sizeof(struct am_exec));
	/* no cwd, no argv */
	n = mk_exec("/bin/x", "", 0, 0, NULL);
	assert_int_equal(dec(n, &ev), 0);
	assert_null(ev.exec.cwd);
	assert_int_equal(ev.exec.argc, 0);
	assert_false(ev.exec.argv_trunc);
}

static void test_exec_corrupt(void **state)
{
	struct event ev;
	size_t n;

	/* each length field overflowing the record */
	n = mk_exec("/bin/x", "a\0", 2, 1, "/c");
	X()->filename_len = (uint16_t)(n);
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "a\0", 2, 1, "/c");
	X()->argv_len = 200;
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "a\0", 2, 1, "/c");
	X()->cwd_len = 4;
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "a\0", 2, 1, "/c");
	X()->filename_len = 0xffff; X()->argv_len = 0xffff; X()->cwd_len = 0xffff;
	assert_int_equal(dec(n, &ev), -EINVAL);
	/* filename without its NUL (length one short) */
	n = mk_exec("/bin/x", "a\0", 2, 1, NULL);
	X()->filename_len--;
	X()->argv_len++;
	assert_int_equal(dec(n, &ev), -EINVAL);
	/* empty filename */
	n = mk_exec("/bin/x", "a\0", 2, 1, NULL);
	X()->argv_len += X()->filename_len;
	X()->filename_len = 0;
	assert_int_equal(dec(n, &ev), -EINVAL);
	/* cwd without NUL */
	n = mk_exec("/bin/x", "a\0", 2, 1, "/cwd");
	rec[n - 1] = 'x';
	assert_int_equal(dec(n, &ev), -EINVAL);
	/* argv: argc says more or fewer strings, last string unterminated */
	n = mk_exec("/bin/x", "a\0b\0", 4, 3, NULL);
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "a\0b\0", 4, 1, NULL);
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "a\0b", 3, 1, NULL);
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_exec("/bin/x", "", 0, 1, NULL);
	assert_int_equal(dec(n, &ev), -EINVAL);
	/* shorter than the fixed part */
	n = mk_exec("/bin/x", "", 0, 0, NULL);
	X()->hdr.size = sizeof(struct am_exec) - 1;
	assert_int_equal(dec(sizeof(struct am_exec) - 1, &ev), -EINVAL);
	/* every truncation of a good record fails (size still says full) */
	n = mk_exec("/usr/bin/claude", "claude\0-p\0", 10, 2, "/home/u");
	for (size_t len = 0; len < n; len++)
		assert_int_equal(dec(len, &ev), -EINVAL);
	/* and with the size field matching the cut length too */
	for (size_t len = sizeof(struct am_hdr); len < n; len++) {
		X()->hdr.size = (uint16_t)len;
		assert_int_equal(dec(len, &ev), -EINVAL);
	}
}

static void test_size_rules(void **state)
{
	struct event ev;
	size_t n = mk_exec("/bin/x", "", 0, 0, NULL);

	/* trailing bytes past hdr.size are ignored */
	assert_int_equal(dec(n + 8, &ev), 0);
	X()->hdr.size = 0;
	assert_int_equal(dec(n, &ev), -EINVAL);
	X()->hdr.size = sizeof(struct am_hdr) - 1;
	assert_int_equal(dec(n, &ev), -EINVAL);
	X()->hdr.size = (uint16_t)(n + 1);
	assert_int_equal(dec(n, &ev), -EINVAL);
	assert_int_equal(decode_record(NULL, 100, &ev, NULL), -EINVAL);
	assert_int_equal(decode_record(rec, 0, &ev, NULL), -EINVAL);
}

static void test_types(void **state)
{
	static const uint16_t bad[] = { 0, AM_EV_KERNEL_MAX, AM_EV_DROP, AM_EV_ALERT, 0xffff };
	struct am_exit e = { 0 };
	struct event ev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr_fill((struct am_hdr *)rec, bad[i], sizeof(struct am_hdr));
		assert_int_equal(dec(sizeof(struct am_hdr), &ev), -EINVAL);
	}
	hdr_fill((struct am_hdr *)rec, AM_EV_FORK, sizeof(struct am_hdr));
	assert_int_equal(dec(sizeof(struct am_hdr), &ev), 0);
	assert_int_equal(ev.type, AM_EV_FORK);
	/* exit: shorter than its fixed part, then codes and signals */
	hdr_fill(&e.hdr, AM_EV_EXIT, sizeof(struct am_hdr));
	memcpy(rec, &e, sizeof(e));
	assert_int_equal(dec(sizeof(e), &ev), -EINVAL);
	hdr_fill(&e.hdr, AM_EV_EXIT, sizeof(e));
	e.status = 3 << 8;
	memcpy(rec, &e, sizeof(e));
	assert_int_equal(dec(sizeof(e), &ev), 0);
	assert_int_equal(ev.exit.exit_code, 3);
	assert_int_equal(ev.exit.signal, 0);
	e.status = 9 | 0x80; /* SIGKILL with core flag */
	memcpy(rec, &e, sizeof(e));
	assert_int_equal(dec(sizeof(e), &ev), 0);
	assert_int_equal(ev.exit.exit_code, 137);
	assert_int_equal(ev.exit.signal, 9);
}

static void test_file_good(void **state)
{
	struct event ev;
	size_t n = mk_file(AM_EV_RENAME, "a", "b", "/base", "/base2", 0);

	assert_int_equal(dec(n, &ev), 0);
	assert_string_equal(ev.file.path, "a");
	assert_string_equal(ev.file.new_path, "b");
	assert_string_equal(ev.file.base, "/base");
	assert_string_equal(ev.file.new_base, "/base2");
	assert_int_equal(ev.file.ret, -2);
	assert_int_equal(ev.file.mode, 0644);
	assert_false(ev.file.write);
	n = mk_file(AM_EV_OPEN, "/x", NULL, NULL, NULL, O_RDONLY | O_CLOEXEC);
	assert_int_equal(dec(n, &ev), 0);
	assert_null(ev.file.new_path); assert_null(ev.file.base);
	assert_false(ev.file.write);
	static const uint32_t w[] = { O_WRONLY, O_RDWR, O_RDONLY | O_CREAT, O_RDONLY | O_TRUNC,
				      O_RDONLY | O_APPEND, O_WRONLY | O_CREAT | O_TRUNC /* creat */ };
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		n = mk_file(AM_EV_OPEN, "/x", NULL, NULL, NULL, w[i]);
		assert_int_equal(dec(n, &ev), 0);
		assert_true(ev.file.write);
	}
	/* write is only about open */
	n = mk_file(AM_EV_CHMOD, "/x", NULL, NULL, NULL, O_WRONLY);
	assert_int_equal(dec(n, &ev), 0);
	assert_false(ev.file.write);
}

static void test_file_corrupt(void **state)
{
	struct event ev;
	size_t n;

	for (int field = 0; field < 4; field++) {
		n = mk_file(AM_EV_RENAME, "/a", "/b", "/c", "/d", 0);
		uint16_t *l[4] = { &F()->path_len, &F()->path2_len, &F()->base_len, &F()->base2_len };
		*l[field] = (uint16_t)(*l[field] + 1); /* overflows into the next or past the end */
		assert_int_equal(dec(n, &ev), -EINVAL);
		n = mk_file(AM_EV_RENAME, "/a", "/b", "/c", "/d", 0);
		*l[field] = 0xffff;
		assert_int_equal(dec(n, &ev), -EINVAL);
	}
	n = mk_file(AM_EV_OPEN, "/a", NULL, NULL, NULL, 0);
	F()->path_len = 0;
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_file(AM_EV_OPEN, "/a", NULL, NULL, NULL, 0);
	rec[n - 1] = 'z';
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_file(AM_EV_RENAME, "/a", NULL, NULL, NULL, 0);
	assert_int_equal(dec(n, &ev), -EINVAL); /* rename without new path */
	n = mk_file(AM_EV_UNLINK, "/a", NULL, NULL, NULL, 0);
	F()->hdr.size = sizeof(struct am_file) - 1;
	assert_int_equal(dec(n, &ev), -EINVAL);
}

static void test_net(void **state)
{
	struct am_net x = { 0 };
	struct event ev;

	hdr_fill(&x.hdr, AM_EV_CONNECT, sizeof(x));
	x.hdr.flags = AM_F_RET | AM_F_IO_URING;
	x.ret = -111; x.dport = 443; x.sport = 5555; x.family = AF_INET; x.proto = 6;
	x.fd = 7;
	memcpy(x.daddr, "\x7f\0\0\x01", 4);
	memcpy(rec, &x, sizeof(x));
	assert_int_equal(dec(sizeof(x), &ev), 0);
	assert_int_equal(ev.net.ret, -111);
	assert_int_equal(ev.net.dport, 443);
	assert_int_equal(ev.net.sport, 5555);
	assert_int_equal(ev.net.family, AF_INET);
	assert_int_equal(ev.net.proto, 6);
	assert_int_equal(ev.net.fd, 7);
	assert_memory_equal(ev.net.daddr, "\x7f\0\0\x01", 4);
	assert_true(ev.net.has_ret); assert_true(ev.net.io_uring); assert_false(ev.net.pre);
	assert_null(ev.net.host);
	x.hdr.size = sizeof(x) - 8;
	memcpy(rec, &x, sizeof(x));
	assert_int_equal(dec(sizeof(x), &ev), -EINVAL);
}

/* a data record with n payload bytes of text */
static size_t mk_data(uint8_t source, uint8_t lib, const char *bytes, uint16_t n)
{
	struct am_data x = { 0 };

	hdr_fill(&x.hdr, AM_EV_DATA, sizeof(x) + n);
	x.hdr.flags = AM_F_IO_URING;
	x.sock_id = 0x1122334455667788ull;
	x.ret = 4000;
	memcpy(x.daddr, "\x7f\0\0\x01", 4);
	memcpy(x.saddr, "\x7f\0\0\x02", 4);
	x.fd = 5; x.dport = 8080; x.sport = 40000; x.family = AF_INET; x.proto = 6;
	x.cap_len = n;
	x.source = source;
	x.lib = lib;
	memcpy(rec, &x, sizeof(x));
	memmove(rec + sizeof(x), bytes, n);
	return sizeof(x) + n;
}

#define D() ((struct am_data *)rec)

static void test_data_good(void **state)
{
	static const char post[] = "POST / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct event ev;
	size_t n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, post, sizeof(post) - 1);

	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.type, AM_EV_DATA);
	assert_int_equal(ev.flags, AM_F_IO_URING);
	assert_int_equal(ev.data.cap_len, sizeof(post) - 1);
	assert_memory_equal(ev.data.buf, post, sizeof(post) - 1);
	assert_ptr_equal(ev.data.buf, rec + sizeof(struct am_data)); /* points into rec */
	assert_int_equal(ev.data.ret, 4000);
	assert_true(ev.data.sock_id == 0x1122334455667788ull);
	assert_memory_equal(ev.data.daddr, "\x7f\0\0\x01", 4);
	assert_memory_equal(ev.data.saddr, "\x7f\0\0\x02", 4);
	assert_int_equal(ev.data.fd, 5);
	assert_int_equal(ev.data.dport, 8080);
	assert_int_equal(ev.data.sport, 40000);
	assert_int_equal(ev.data.family, AF_INET);
	assert_int_equal(ev.data.proto, 6);
	assert_int_equal(ev.data.source, AM_DATA_SOCK_SEND);
	assert_int_equal(ev.data.lib, AM_TLS_NONE);
	assert_int_equal(ev.pid, 100);
	assert_int_equal(ev.agent_id, 3);
	/* count-only record: no bytes */
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, "", 0);
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.data.cap_len, 0);
	/* every TLS source and library; the largest capture */
	n = mk_data(AM_DATA_TLS_SEND, AM_TLS_OPENSSL, post, sizeof(post) - 1);
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.data.lib, AM_TLS_OPENSSL);
	n = mk_data(AM_DATA_TLS_RECV, AM_TLS_GNUTLS, "HTTP/1.1 200 OK", 15);
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.data.source, AM_DATA_TLS_RECV);
	assert_int_equal(ev.data.lib, AM_TLS_GNUTLS);
	memset(rec + sizeof(struct am_data), 'a', AM_DATA_CAP_MAX);
	n = mk_data(AM_DATA_SOCK_RECV, AM_TLS_NONE, (const char *)rec + sizeof(struct am_data),
		    AM_DATA_CAP_MAX);
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.data.cap_len, AM_DATA_CAP_MAX);
	/* padding past hdr.size is ignored */
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, "GET", 3);
	assert_int_equal(dec(n + 5, &ev), 0);
	assert_int_equal(ev.data.cap_len, 3);
}

static void test_data_corrupt(void **state)
{
	struct event ev;
	size_t n;

	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, "POST", 4);
	D()->cap_len = 5; /* past hdr.size */
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, "POST", 4);
	D()->cap_len = 0xffff;
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, "POST", 4);
	D()->hdr.size = sizeof(struct am_data) - 1; /* shorter than the fixed part */
	assert_int_equal(dec(n, &ev), -EINVAL);
	memset(rec + sizeof(struct am_data), 'b', AM_DATA_CAP_MAX + 8);
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_NONE, (const char *)rec + sizeof(struct am_data),
		    AM_DATA_CAP_MAX + 8); /* fits the record, but above the limit */
	assert_int_equal(dec(n, &ev), -EINVAL);
	static const uint8_t bad_src[] = { 0, AM_DATA_TLS_RECV + 1, 0xff };
	for (size_t i = 0; i < sizeof(bad_src); i++) {
		n = mk_data(bad_src[i], AM_TLS_NONE, "x", 1);
		assert_int_equal(dec(n, &ev), -EINVAL);
	}
	n = mk_data(AM_DATA_TLS_SEND, AM_TLS_GNUTLS + 1, "x", 1);
	assert_int_equal(dec(n, &ev), -EINVAL);
	n = mk_data(AM_DATA_SOCK_SEND, AM_TLS_OPENSSL, "x", 1); /* a library on socket bytes */
	assert_int_equal(dec(n, &ev), -EINVAL);
}

static size_t mk_sys(uint16_t kind, uint32_t nr, uint32_t target)
{
	struct am_sys x = { 0 };

	hdr_fill(&x.hdr, AM_EV_SYSCALL, sizeof(x));
	x.ret = -1;
	x.arg = 16;
	x.nr = nr;
	x.target = target;
	x.kind = kind;
	memcpy(rec, &x, sizeof(x));
	return sizeof(x);
}

static void test_syscall(void **state)
{
	struct event ev;
	size_t n;

	(void)state;
	n = mk_sys(AM_SYS_PTRACE, 101, 4242);
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(ev.type, AM_EV_SYSCALL);
	assert_string_equal(ev.sys.name, "ptrace");
	assert_false(ev.sys.compat);
	assert_int_equal(ev.sys.target, 4242);
	assert_int_equal(ev.sys.arg, 16);
	assert_int_equal(ev.sys.ret, -1);
	n = mk_sys(AM_SYS_COMPAT, 5, 0);
	assert_int_equal(dec(n, &ev), 0);
	assert_string_equal(ev.sys.name, "open");
	assert_true(ev.sys.compat);
	n = mk_sys(AM_SYS_PIDFD_GETFD, 438, 7);
	assert_int_equal(dec(n, &ev), 0);
	assert_string_equal(ev.sys.name, "pidfd_getfd");
	n = mk_sys(AM_SYS_VM_WRITEV, 311, 7);
	assert_int_equal(dec(n, &ev), 0);
	assert_string_equal(ev.sys.name, "process_vm_writev");
	/* refused: unknown kinds, a compat number never reported, too short */
	assert_int_equal(dec(mk_sys(0, 101, 1), &ev), -EINVAL);
	assert_int_equal(dec(mk_sys(AM_SYS_KIND_MAX + 1, 101, 1), &ev), -EINVAL);
	assert_int_equal(dec(mk_sys(AM_SYS_COMPAT, 4, 0), &ev), -EINVAL);
	n = mk_sys(AM_SYS_PTRACE, 101, 1);
	((struct am_hdr *)rec)->size = (uint16_t)(n - 8);
	assert_int_equal(dec(n, &ev), -EINVAL);
}

/* an exec whose filename fills AM_PATH_MAX (4095 characters and its NUL) */
static void test_exec_full_path(void **state)
{
	static char fn[AM_PATH_MAX];
	struct event ev;
	size_t n;

	(void)state;
	memset(fn, 'a', sizeof(fn) - 1);
	fn[0] = '/';
	fn[sizeof(fn) - 1] = 0;
	n = mk_exec(fn, "x\0", 2, 1, "/");
	assert_int_equal(dec(n, &ev), 0);
	assert_int_equal(strlen(ev.exec.filename), AM_PATH_MAX - 1);
	assert_string_equal(ev.exec.argv, "x");
	assert_string_equal(ev.exec.cwd, "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_good),
		cmocka_unit_test(test_exec_corrupt),
		cmocka_unit_test(test_size_rules),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_file_good),
		cmocka_unit_test(test_file_corrupt),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_data_good),
		cmocka_unit_test(test_data_corrupt),
		cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_exec_full_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
