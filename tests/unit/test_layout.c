// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* test_layout.c - the record layouts of bpf/agentmon.h, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../bpf/agentmon.h"

#define OFF(t, f, v) assert_int_equal(offsetof(struct t, f), v)

static void test_hdr(void **state)
{
	assert_int_equal(sizeof(struct am_hdr), 56);
	OFF(am_hdr, ts_ns, 0);   OFF(am_hdr, pid, 8);       OFF(am_hdr, tid, 12);
	OFF(am_hdr, ppid, 16);   OFF(am_hdr, uid, 20);      OFF(am_hdr, agent_pid, 24);
	OFF(am_hdr, agent_id, 28); OFF(am_hdr, type, 32);   OFF(am_hdr, size, 34);
	OFF(am_hdr, flags, 36);  OFF(am_hdr, comm, 38);     OFF(am_hdr, _pad, 54);
}

static void test_exec_exit(void **state)
{
	assert_int_equal(sizeof(struct am_exec), 80);
	OFF(am_exec, hdr, 0);    OFF(am_exec, exe_ino, 56); OFF(am_exec, exe_dev, 64);
	OFF(am_exec, argc, 68);  OFF(am_exec, filename_len, 72);
	OFF(am_exec, argv_len, 74); OFF(am_exec, cwd_len, 76); OFF(am_exec, _pad, 78);
	assert_int_equal(sizeof(struct am_exit), 64);
	OFF(am_exit, status, 56); OFF(am_exit, _pad, 60);
}

static void test_file(void **state)
{
	assert_int_equal(sizeof(struct am_file), 80);
	OFF(am_file, ret, 56);   OFF(am_file, flags, 64);   OFF(am_file, mode, 68);
	OFF(am_file, path_len, 72); OFF(am_file, path2_len, 74);
	OFF(am_file, base_len, 76); OFF(am_file, base2_len, 78);
}

static void test_net(void **state)
{
	assert_int_equal(sizeof(struct am_net), 112); /* 104 before ABI fix 254f153 */
	OFF(am_net, ret, 56);    OFF(am_net, daddr, 64);    OFF(am_net, saddr, 80);
	OFF(am_net, fd, 96);     OFF(am_net, dport, 100);   OFF(am_net, sport, 102);
	OFF(am_net, family, 104); OFF(am_net, proto, 106); OFF(am_net, _pad, 107);
}

static void test_data(void **state)
{
	assert_int_equal(sizeof(struct am_data), 120);
	OFF(am_data, sock_id, 56); OFF(am_data, ret, 64);    OFF(am_data, daddr, 72);
	OFF(am_data, saddr, 88);   OFF(am_data, fd, 104);    OFF(am_data, dport, 108);
	OFF(am_data, sport, 110);  OFF(am_data, family, 112); OFF(am_data, cap_len, 114);
	OFF(am_data, proto, 116);  OFF(am_data, source, 117); OFF(am_data, lib, 118);
	OFF(am_data, _pad, 119);
	assert_true(sizeof(struct am_data) + AM_DATA_CAP_MAX <= UINT16_MAX);
	assert_int_equal(AM_DATA_CAP_MAX & (AM_DATA_CAP_MAX - 1), 0);
}

#define END(t, f) (offsetof(struct t, f) + sizeof(((struct t *)0)->f))

static void test_sys(void **state)
{
	assert_int_equal(sizeof(struct am_sys), 88);
	OFF(am_sys, ret, 56);   OFF(am_sys, arg, 64);  OFF(am_sys, nr, 72);
	OFF(am_sys, target, 76); OFF(am_sys, kind, 80); OFF(am_sys, _pad, 82);
	assert_int_equal(sizeof(struct am_sys), END(am_sys, _pad));
	assert_int_equal(sizeof(struct am_sys) % 8, 0);
	assert_int_equal(AM_EV_SYSCALL, AM_EV_KERNEL_MAX - 1);
	assert_int_equal(AM_H_AWSLC, AM_H_MAX - 1);
}

static void test_maps(void **state)
{
	assert_int_equal(sizeof(struct am_tag), 16);
	OFF(am_tag, agent_pid, 0); OFF(am_tag, agent_id, 4); OFF(am_tag, start_ns, 8);
	assert_int_equal(sizeof(struct am_name), AM_NAME_MAX);
	assert_int_equal(sizeof(struct am_exe_rule), 8);
	OFF(am_exe_rule, agent_id, 0); OFF(am_exe_rule, action, 4);
	assert_int_equal(sizeof(struct am_config), 8);
	OFF(am_config, collector_pid, 0); OFF(am_config, candidate_all, 4);
}

/* padding is written out: each struct ends at its last field */
static void test_no_hidden_padding(void **state)
{
	assert_int_equal(sizeof(struct am_hdr), END(am_hdr, _pad));
	assert_int_equal(sizeof(struct am_exec), END(am_exec, _pad));
	assert_int_equal(sizeof(struct am_exit), END(am_exit, _pad));
	assert_int_equal(sizeof(struct am_file), END(am_file, base2_len));
	assert_int_equal(sizeof(struct am_net), END(am_net, _pad));
	assert_int_equal(sizeof(struct am_data), END(am_data, _pad));
}

static void test_multiples_of_8(void **state)
{
	assert_int_equal(sizeof(struct am_hdr) % 8, 0);
	assert_int_equal(sizeof(struct am_exec) % 8, 0);
	assert_int_equal(sizeof(struct am_exit) % 8, 0);
	assert_int_equal(sizeof(struct am_file) % 8, 0);
	assert_int_equal(sizeof(struct am_net) % 8, 0);
	assert_int_equal(sizeof(struct am_data) % 8, 0);
	assert_int_equal(sizeof(struct am_tag) % 8, 0);
	assert_int_equal(sizeof(struct am_config) % 8, 0);
	/* a record fits the u16 size field */
	assert_true(AM_EXEC_MAX <= UINT16_MAX);
	assert_true(AM_FILE_MAX <= UINT16_MAX);
	assert_int_equal(AM_ARGV_MAX & (AM_ARGV_MAX - 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_exec_exit),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_sys),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_no_hidden_padding),
		cmocka_unit_test(test_multiples_of_8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
