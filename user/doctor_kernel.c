// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * doctor_kernel.c - what the kernel offers agentmon (see doctor.h and
 * README "What the kernel must offer"): version, BTF, privileges and ring
 * buffer (loader_check), tp_btf, cgroup v2 and its hooks, uprobes, tracefs,
 * the TLS uprobes' mode, fentry and BPF LSM (not needed), IA-32 emulation.  BPF programs are
 * loaded to see whether the kernel takes them, never attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "doctor.h"
#include "load.h"

#define BTF_PATH      "/sys/kernel/btf/vmlinux"
#define TRACEFS       "/sys/kernel/tracing"
#define NEEDS_ROOT    "not checked: needs root (sudo agentmon doctor)"

static void kernel_version(struct doctor *d)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2) {
		doctor_add(d, "kernel", DOCTOR_MISSING, "cannot read the kernel version");
		return;
	}
	doctor_add(d, "kernel", maj > 5 || (maj == 5 && min >= 8) ? DOCTOR_OK : DOCTOR_MISSING,
		   "Linux %s %s", u.release,
		   maj > 5 || (maj == 5 && min >= 8) ? "(5.8 or later)" : "is older than 5.8");
}

/*
 * load "return 0" as type/attach at the BTF function or typedef fn (NULL:
 * none); 0 when the kernel takes it, else -errno with its log's first line
 */
static int try_load(enum bpf_prog_type type, enum bpf_attach_type at, const char *fn,
		    char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	struct btf *btf = NULL;
	int id = 0, fd;

	if (fn) {
		if (!(btf = btf__load_vmlinux_btf()))
			return snprintf(why, len, "no vmlinux BTF"), -ENOENT;
		id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
		if (id < 0)
			id = btf__find_by_name_kind(btf, fn, BTF_KIND_TYPEDEF);
		btf__free(btf);
		if (id < 0)
			return snprintf(why, len, "%s is not in the kernel's BTF", fn), -ENOENT;
		o.attach_btf_id = (uint32_t)id;
	}
	fd = bpf_prog_load(type, "am_doctor", "GPL", insns, 2, &o);
	if (fd < 0) {
		int rc = -errno;

		snprintf(why, len, "the kernel refuses the program: %s", strerror(-rc));
		return rc;
	}
	close(fd);
	return 0;
}

/* a needed hook: OK, or (essential) MISSING / DEGRADED with what falls back */
static void hook_item(struct doctor *d, const char *name, bool ok, enum doctor_state bad,
		      const char *okmsg, const char *badmsg)
{
	if (!d->root)
		doctor_add(d, name, DOCTOR_DEGRADED, NEEDS_ROOT);
	else
		doctor_add(d, name, ok ? DOCTOR_OK : bad, "%s", ok ? okmsg : badmsg);
}

/* BTF, privileges (loader_check: what loader_open verifies first) and the
 * ring buffer */
static void loader_basics(struct doctor *d)
{
	char err[256];
	bool rb;

	if (access(BTF_PATH, R_OK))
		doctor_add(d, "btf", DOCTOR_MISSING, "no " BTF_PATH ": the kernel needs "
			   "CONFIG_DEBUG_INFO_BTF");
	else
		doctor_add(d, "btf", DOCTOR_OK, BTF_PATH);
	d->root = loader_check(err, sizeof(err)) != -EPERM; /* root, or CAP_BPF and CAP_PERFMON */
	if (!d->root)
		doctor_add(d, "privileges", DOCTOR_DEGRADED, "%s (checks marked \"needs root\" "
			   "were not done)", err);
	else
		doctor_add(d, "privileges", DOCTOR_OK, "root or CAP_BPF and CAP_PERFMON");
	rb = d->root && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	hook_item(d, "ring buffer", rb, DOCTOR_MISSING, "BPF ring buffer maps load",
		  "no BPF ring buffer: agentmon needs Linux 5.8 or later");
}

static void tp_btf(struct doctor *d)
{
	char why[160] = "";
	int rc = d->root ? try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
				    "btf_trace_sched_process_exec", why, sizeof(why)) : 0;
	char bad[256];

	snprintf(bad, sizeof(bad), "%s: agentmon's sched and sys_exit hooks cannot load", why);
	hook_item(d, "tp_btf", !rc, DOCTOR_MISSING, "BTF tracepoints load", bad);
}

static bool helper_ok(enum bpf_prog_type t, enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(t, id, NULL) == 1;
}

static void cgroup_hooks(struct doctor *d)
{
	char path[4096];
	bool sock = d->root && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL) == 1;
	bool skb = d->root && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, NULL) == 1 &&
		   helper_ok(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_sk_storage_get);

	if (loader_cgroup2_root(path, sizeof(path)))
		doctor_add(d, "cgroup v2", DOCTOR_DEGRADED, "not mounted: no socket hooks (io_uring "
			   "connects unseen); the syscall exit path still reports connects and sends");
	else
		doctor_add(d, "cgroup v2", DOCTOR_OK, "mounted at %s", path);
	hook_item(d, "sock_addr hooks", sock, DOCTOR_DEGRADED, "cgroup connect/sendmsg programs load",
		  "refused: io_uring connects unseen; the syscall exit path still reports connects");
	hook_item(d, "skb hooks", skb, DOCTOR_DEGRADED,
		  "cgroup skb programs with socket storage load",
		  "refused: no bytes on the wire and no DNS answers (TLS uprobes and syscalls only)");
}

static void uprobes(struct doctor *d)
{
	bool pmu = !access("/sys/bus/event_source/devices/uprobe/type", R_OK);
	bool ok = pmu && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, NULL) == 1;

	hook_item(d, "uprobes", ok, DOCTOR_DEGRADED, "uprobe PMU and programs load",
		  pmu ? "uprobe programs refused: no TLS plaintext (SNI and DNS only)"
		      : "no uprobe PMU (CONFIG_UPROBES): no TLS plaintext (SNI and DNS only)");
}

/* whether /proc/filesystems lists fs */
static bool fs_known(const char *fs)
{
	char line[128];
	FILE *f = fopen("/proc/filesystems", "re");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(strchr(line, '\t') ? strchr(line, '\t') + 1 : line, fs);
	}
	if (f)
		fclose(f);
	return found;
}

static void tracefs(struct doctor *d)
{
	if (!d->root && access(TRACEFS "/uprobe_events", F_OK) && errno == EACCES)
		doctor_add(d, "tracefs", DOCTOR_DEGRADED, NEEDS_ROOT);
	else if (loader_tracefs_mounted())
		doctor_add(d, "tracefs", access(TRACEFS "/uprobe_events", F_OK) ? DOCTOR_DEGRADED :
			   DOCTOR_OK, "mounted at " TRACEFS "%s",
			   access(TRACEFS "/uprobe_events", F_OK) ? ", without uprobe_events: TLS "
			   "uprobes trap in every process (--tls-uprobes process unavailable)" : "");
	else if (fs_known("tracefs"))
		doctor_add(d, "tracefs", DOCTOR_OK, "not mounted, mountable: the collector mounts it at "
			   TRACEFS);
	else
		doctor_add(d, "tracefs", DOCTOR_DEGRADED, "not in this kernel: TLS uprobes trap in every "
			   "process (--tls-uprobes process unavailable)");
}

/* the mode the TLS uprobes on shared libraries take by default, and whether
 * this kernel allows per-process ones (tracefs uprobe events and
 * inherit_thread perf events); without them process mode falls back to
 * system-wide (every process traps on TLS calls: cost, not blindness) */
static void tls_mode(struct doctor *d)
{
	bool events = loader_tracefs_mounted() ? !access(TRACEFS "/uprobe_events", F_OK) :
						 fs_known("tracefs");
	int it = loader_inherit_thread_check();
	char why[160] = "";

	if (!d->root) { /* tracefs and perf_event_paranoid stand in the way */
		doctor_add(d, "tls uprobe mode", DOCTOR_DEGRADED, NEEDS_ROOT);
		return;
	}
	if (!events)
		snprintf(why, sizeof(why), "no tracefs uprobe events");
	else if (it)
		snprintf(why, sizeof(why), "no inherit_thread perf events (%s; Linux 5.13 or "
			 "later)", strerror(-it));
	if (LOADER_TLS_PER_PROCESS_DEFAULT)
		doctor_add(d, "tls uprobe mode", why[0] ? DOCTOR_DEGRADED : DOCTOR_OK,
			   why[0] ? "system-wide: %s (every process traps on TLS calls)" :
			   "per agent process (the default): tracefs uprobe events and "
			   "inherit_thread perf events", why);
	else
		doctor_add(d, "tls uprobe mode", DOCTOR_OK, "system-wide (the default); "
			   "--tls-uprobes process %s%s", why[0] ? "unavailable: " : "available",
			   why);
}

/* fentry and BPF LSM: not needed (OK either way), reported for what a future
 * hook could use */
static void optional_hooks(struct doctor *d)
{
	char why[160];
	int rc;

	if (!d->root) {
		doctor_add(d, "fentry", DOCTOR_DEGRADED, NEEDS_ROOT);
		doctor_add(d, "bpf lsm", DOCTOR_DEGRADED, NEEDS_ROOT);
		return;
	}
	rc = try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "bpf_fentry_test1", why, sizeof(why));
	doctor_add(d, "fentry", DOCTOR_OK, "%s%s", rc ? why : "fentry programs load",
		   rc ? " (not needed: tp_btf and tracepoints are used instead)" : "");
	rc = try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open", why, sizeof(why));
	doctor_add(d, "bpf lsm", DOCTOR_OK, "%s%s", rc ? why : "BPF LSM programs load",
		   rc ? " (not needed: agentmon observes, it does not block)" : "");
}

/*
 * IA-32 emulation, probed rather than read from the kernel config (a
 * config's "y" can be off at run time, as on some VM kernels): a child
 * makes getpid through the 32-bit entry (int $0x80, eax 20).  1: it
 * returned (on), 0: the child died of a signal (off), -1: not x86-64 or
 * the probe could not run.
 */
static int ia32_probe(void)
{
#if defined(__x86_64__)
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		long ret = 20; /* __NR_getpid in the 32-bit table */

		/* die of the fault, not in a handler (a sanitizer's) that exits */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
		_exit(ret > 0 ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? 0 : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -1;
#else
	return -1;
#endif
}

/* on is OK too: such calls raise compat_syscall (fail closed), only their
 * details are not decoded */
static void ia32(struct doctor *d)
{
	int on = ia32_probe();

	if (on == 0)
		doctor_add(d, "ia32 emulation", DOCTOR_OK, "off (probed): no 32-bit syscall entry");
	else if (on == 1)
		doctor_add(d, "ia32 emulation", DOCTOR_OK, "on (probed): an agent's calls through the "
			   "32-bit entry raise compat_syscall, not decoded (boot with ia32_emulation=0 "
			   "to close that entry)");
	else
		doctor_add(d, "ia32 emulation", DOCTOR_OK, "not probed (not x86-64 or fork failed): "
			   "32-bit calls, where the kernel has them, raise compat_syscall");
}

void doctor_kernel(struct doctor *d)
{
	kernel_version(d);
	loader_basics(d);
	tp_btf(d);
	cgroup_hooks(d);
	uprobes(d);
	tracefs(d);
	tls_mode(d);
	optional_hooks(d);
	ia32(d);
}
