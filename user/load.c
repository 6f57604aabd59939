// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load.c - the BPF side as the collector sees it (see load.h): feature
 * checks, the skeleton's open/load/attach, the tail-call table, the cgroup
 * sock_addr and skb hooks, and the maps the collector reads and writes;
 * the TLS uprobes are in load_tls.c, the pinned maps in load_pin.c, the
 * helpers all three share in load_util.c (load.c calls the other three;
 * they call only load_util.c).
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load_int.h"

/* ---- checks ---- */

static int has_bpf_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	return (eff >> CAP_BPF & 1) && (eff >> CAP_PERFMON & 1);
}

int loader_check(char *err, size_t errlen)
{
	if (geteuid() != 0 && !has_bpf_caps())
		return load_fail(err, errlen, -EPERM, "not running as root and missing CAP_BPF and CAP_PERFMON; run it with sudo");
	if (access(BTF_VMLINUX, R_OK))
		return load_fail(err, errlen, -ENOTSUP, "kernel has no BTF at " BTF_VMLINUX
			    "; agentmon needs CONFIG_DEBUG_INFO_BTF");
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1)
		return load_fail(err, errlen, -ENOTSUP,
			    "kernel has no bpf ring buffer; agentmon needs linux 5.8 or later");
	return 0;
}

bool loader_tracefs_mounted(void)
{
	struct statfs st;

	return !statfs(TRACEFS_DIR, &st) && st.f_type == TRACEFS_MAGIC;
}

/* mount tracefs at its usual place when nothing is there; 0 or -errno */
static int tracefs_ensure(void)
{
	if (loader_tracefs_mounted())
		return 0;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

/* ---- open and load ---- */

static uint32_t ringbuf_size(uint32_t want)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), n = page;

	if (!want)
		want = AM_RINGBUF_BYTES;
	while (n < want && n < (1u << 30))
		n <<= 1;
	return n;
}

static bool helper_ok(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, id, NULL) == 1;
}

static struct bpf_program **sock_progs(struct agentmon_bpf *s, struct bpf_program **p)
{
	p[0] = s->progs.sock_connect4;
	p[1] = s->progs.sock_connect6;
	p[2] = s->progs.sock_sendmsg4;
	p[3] = s->progs.sock_sendmsg6;
	return p;
}

static uint32_t data_cap_of(const struct loader_opts *opts)
{
	if (!opts->data_cap)
		return AM_DATA_CAP_DEFAULT;
	return opts->data_cap > AM_DATA_CAP_MAX ? AM_DATA_CAP_MAX : opts->data_cap;
}

/*
 * open the skeleton and load it; what (LOAD_*) says which optional programs
 * are loaded (kernels whose cgroup programs lack the helpers they use load
 * without them)
 */
static int skel_load(struct agentmon_bpf **out, const struct loader_opts *opts,
		     int what, struct loader *l)
{
	bool with_sock = what & LOAD_SOCK, with_data = what & LOAD_DATA;
	struct bpf_program *sp[N_SOCK_PROGS], *prog;
	struct tls_fn tf[N_TLS_FNS];
	struct agentmon_bpf *s = agentmon_bpf__open();
	uint32_t rb;
	int rc;

	if (!s)
		return -errno;
	rb = ringbuf_size(opts->ringbuf_bytes);
	bpf_map__set_max_entries(s->maps.events, rb);
	if (opts->max_tagged)
		bpf_map__set_max_entries(s->maps.tagged, opts->max_tagged);
	if (opts->max_tls_calls)
		bpf_map__set_max_entries(s->maps.tls_calls, opts->max_tls_calls);
	s->rodata->wakeup_bytes = rb / 4 < AM_WAKEUP_BYTES ? rb / 4 : AM_WAKEUP_BYTES;
	s->rodata->urgent_force = opts->tls_per_process;
	s->rodata->sock_have_task = helper_ok(BPF_FUNC_get_current_task) &&
				    helper_ok(BPF_FUNC_probe_read_kernel);
	s->rodata->sock_have_comm = helper_ok(BPF_FUNC_get_current_comm);
	s->rodata->sock_have_regs = helper_ok(BPF_FUNC_get_current_task_btf) &&
				    helper_ok(BPF_FUNC_task_pt_regs);
	s->rodata->sock_have_storage = with_data && helper_ok(BPF_FUNC_sk_storage_get);
	s->rodata->data_cap = data_cap_of(opts);
	s->rodata->data_window = opts->data_window ? opts->data_window : AM_DATA_WINDOW_DEFAULT;
	/* handlers run by tail call only; cgroup programs are attached by hand */
	bpf_object__for_each_program(prog, s->obj) {
		if (!strncmp(bpf_program__name(prog), "h_", 2))
			bpf_program__set_autoattach(prog, false);
	}
	sock_progs(s, sp);
	for (int i = 0; i < N_SOCK_PROGS; i++) {
		bpf_program__set_autoattach(sp[i], false);
		bpf_program__set_autoload(sp[i], with_sock);
	}
	/* skb hooks and uprobes are attached by hand */
	load_tls_fns(s, tf);
	for (int i = 0; i < N_TLS_FNS; i++) {
		bpf_program__set_autoattach(tf[i].prog, false);
		bpf_program__set_autoload(tf[i].prog, with_data);
	}
	bpf_program__set_autoattach(s->progs.tls_ret, false);
	bpf_program__set_autoload(s->progs.tls_ret, with_data);
	bpf_program__set_autoload(s->progs.h_tls, with_data);
	bpf_program__set_autoload(s->progs.h_awslc, with_data);
	bpf_program__set_autoattach(s->progs.data_egress, false);
	bpf_program__set_autoload(s->progs.data_egress, with_data && with_sock);
	bpf_program__set_autoattach(s->progs.data_ingress, false);
	bpf_program__set_autoload(s->progs.data_ingress, with_data && with_sock);
	rc = load_pin_maps(l, s);
	rc = rc ? rc : agentmon_bpf__load(s);
	if (rc) {
		agentmon_bpf__destroy(s);
		return rc < 0 ? rc : -EINVAL;
	}
	*out = s;
	return 0;
}

/* the tail-call table: handler id -> program */
static int fill_handlers(struct agentmon_bpf *s)
{
	const struct { uint32_t id; struct bpf_program *prog; } h[] = {
		{ AM_H_OPEN, s->progs.h_open },       { AM_H_UNLINK, s->progs.h_unlink },
		{ AM_H_RENAME, s->progs.h_rename },   { AM_H_CHMOD, s->progs.h_chmod },
		{ AM_H_CONNECT, s->progs.h_connect }, { AM_H_SEND, s->progs.h_send },
		{ AM_H_ACCEPT, s->progs.h_accept },   { AM_H_TLS, s->progs.h_tls },
		{ AM_H_SYSCALL, s->progs.h_syscall }, { AM_H_AWSLC, s->progs.h_awslc },
	};
	int map = bpf_map__fd(s->maps.handlers);

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		int fd = bpf_program__fd(h[i].prog);

		if (fd < 0)
			continue; /* not loaded (h_tls without the data programs) */
		if (bpf_map_update_elem(map, &h[i].id, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* ---- cgroup sock_addr hooks ---- */

int loader_cgroup2_root(char *buf, size_t len)
{
	char dev[64], dir[4096], type[64];
	FILE *f = fopen("/proc/mounts", "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%63s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* the cgroup skb hooks (socket bytes, DNS answers) on the cgroup fd */
static void attach_data(struct loader *l, int cgfd)
{
	struct bpf_program *dp[N_DATA_PROGS] = { l->skel->progs.data_egress,
						 l->skel->progs.data_ingress };
	int n = 0;

	if (!bpf_program__autoload(dp[0])) {
		load_gap(l, LOAD_GAP_AGENT, "socket data hooks", "not loadable on this kernel");
		return;
	}
	if (!l->skel->rodata->sock_have_storage) {
		load_gap(l, LOAD_GAP_AGENT, "socket data hooks", "no sk_storage in sock_addr programs, not attached");
		return;
	}
	for (int i = 0; i < N_DATA_PROGS; i++) {
		l->data_links[i] = bpf_program__attach_cgroup(dp[i], cgfd);
		n += l->data_links[i] != NULL;
	}
	load_status_add(l, "; cgroup skb egress/ingress (data, DNS): %d/%d attached (cap %u bytes, window %u)",
		   n, N_DATA_PROGS, l->skel->rodata->data_cap, l->skel->rodata->data_window);
	if (n < N_DATA_PROGS)
		load_gap(l, LOAD_GAP_AGENT | LOAD_GAP_UNSAID, "socket data hooks", "%d/%d attached",
			 n, N_DATA_PROGS);
}

/* attach the sock_addr hooks; a failure is reported in the status only */
static void attach_sock(struct loader *l, const struct loader_opts *opts)
{
	struct bpf_program *sp[N_SOCK_PROGS];
	char root[4096];
	int fd, n = 0;

	if (!bpf_program__autoload(l->skel->progs.sock_connect4)) {
		load_gap(l, LOAD_GAP_AGENT, "cgroup sock hooks", "not loadable on this kernel");
		return;
	}
	if (opts->cgroup_path)
		snprintf(root, sizeof(root), "%s", opts->cgroup_path);
	else if (loader_cgroup2_root(root, sizeof(root))) {
		load_gap(l, LOAD_GAP_AGENT, "cgroup sock hooks", "no cgroup v2 mount");
		return;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		load_gap(l, LOAD_GAP_AGENT, "cgroup sock hooks", "%.100s: %s", root, strerror(errno));
		return;
	}
	sock_progs(l->skel, sp);
	for (int i = 0; i < N_SOCK_PROGS; i++) {
		l->sock_links[i] = bpf_program__attach_cgroup(sp[i], fd);
		n += l->sock_links[i] != NULL;
	}
	load_status_add(l, "; cgroup sock hooks on %s: %d/%d attached", root, n, N_SOCK_PROGS);
	if (n < N_SOCK_PROGS)
		load_gap(l, LOAD_GAP_AGENT | LOAD_GAP_UNSAID, "cgroup sock hooks", "%d/%d attached",
			 n, N_SOCK_PROGS);
	if (!l->skel->rodata->sock_have_regs)
		load_status_add(l, " (io_uring: workers only)");
	attach_data(l, fd);
	close(fd);
}

/* the hooks only agents need: sock_addr and skb hooks, TLS uprobes */
static void attach_agent_hooks(struct loader *l)
{
	struct pollfd p = { .fd = l->teardown_fd, .events = POLLIN };

	l->hooks_on = true; /* the binaries' verdicts below attach only when on */
	load_gaps_reset_agent(l);
	if (!l->skel->links.sys_exit_dispatch) /* first: file and syscall events */
		l->skel->links.sys_exit_dispatch =
			bpf_program__attach(l->skel->progs.sys_exit_dispatch);
	attach_sock(l, &l->opts); /* cgroup links went synchronously: no overlap */
	if (l->teardown_fd >= 0) {
		/* old uprobes still firing next to new ones would double records */
		poll(&p, 1, TEARDOWN_WAIT_MS);
		close(l->teardown_fd);
		l->teardown_fd = -1;
	}
	load_tls_attach_libs(l);
	if (bpf_program__autoload(l->skel->progs.tls_ret))
		load_tls_attach_known(l);
}

static void detach_agent_hooks(struct loader *l)
{
	bpf_link__destroy(l->skel->links.sys_exit_dispatch);
	l->skel->links.sys_exit_dispatch = NULL;
	for (int i = 0; i < N_SOCK_PROGS; i++) {
		bpf_link__destroy(l->sock_links[i]);
		l->sock_links[i] = NULL;
	}
	for (int i = 0; i < N_DATA_PROGS; i++) {
		bpf_link__destroy(l->data_links[i]);
		l->data_links[i] = NULL;
	}
	load_tls_detach(l);
	l->hooks_on = false;
}

/* ---- public ---- */

static int loader_start(struct loader *l, const struct loader_opts *opts,
			char *err, size_t errlen)
{
	struct am_config cfg = { .collector_pid = opts->collector_pid };
	int rc = skel_load(&l->skel, opts, LOAD_SOCK | LOAD_DATA, l), rc1 = 0;

	if (rc) {
		rc1 = rc;
		rc = skel_load(&l->skel, opts, LOAD_SOCK, l);
	}
	if (rc && (rc = skel_load(&l->skel, opts, 0, l)))
		return load_fail(err, errlen, rc, "cannot load the bpf programs: %s", strerror(-rc));
	l->bits_len = AM_TAGGED_WORDS * sizeof(uint64_t);
	l->bits = mmap(NULL, l->bits_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(l->skel->maps.tagged_bits), 0);
	if (l->bits == MAP_FAILED) {
		l->bits = NULL;
		return load_fail(err, errlen, -errno, "cannot map tagged_bits: %s", strerror(errno));
	}
	rc = fill_handlers(l->skel);
	if (rc)
		return load_fail(err, errlen, rc, "cannot fill the handler table: %s", strerror(-rc));
	rc = agentmon_bpf__attach(l->skel);
	if (rc)
		return load_fail(err, errlen, rc < 0 ? rc : -EINVAL,
			    "cannot attach the tracepoint programs: %s", strerror(-rc));
	load_status_add(l, "tp_btf: sched_process_fork/exec/exit, sys_exit; ringbuf %u KiB",
		   bpf_map__max_entries(l->skel->maps.events) >> 10);
	if (rc1)
		load_gap(l, 0, "data and tls programs", "failed to load (%s), left out",
			 strerror(-rc1));
	attach_agent_hooks(l);
	rc = loader_set_config(l, &cfg);
	if (rc)
		return load_fail(err, errlen, rc, "cannot write the config map: %s", strerror(-rc));
	return 0;
}

int loader_open(struct loader **out, const struct loader_opts *opts,
		char *err, size_t errlen)
{
	struct loader_opts none = {};
	struct loader *l;
	int rc, trc;

	if (!opts)
		opts = &none;
	rc = loader_check(err, errlen);
	if (rc)
		return rc;
	l = calloc(1, sizeof(*l));
	if (!l)
		return load_fail(err, errlen, -ENOMEM, "out of memory");
	l->opts = *opts;
	l->teardown_fd = -1;
	l->names_fd = -1;
	l->pin_lock_fd = -1;
	load_scope_init(l);
	fsguard_init(&l->guard, NULL); /* closed by load_scan_stop */
	trc = tracefs_ensure();
	load_pin_start(l);
	load_scan_cache_open(l);
	rc = load_pin_lock(l, err, errlen);
	if (!rc)
		rc = loader_start(l, opts, err, errlen);
	if (rc) {
		loader_close(l);
		return rc;
	}
	if (trc)
		load_gap(l, 0, "tracefs", "not mounted: %s", strerror(-trc));
	load_scan_start(l);
	*out = l;
	return 0;
}

void loader_close(struct loader *l)
{
	if (!l)
		return;
	load_scan_stop(l); /* joined: nothing scans or attaches any more */
	for (int i = 0; i < N_SOCK_PROGS; i++)
		bpf_link__destroy(l->sock_links[i]);
	for (int i = 0; i < N_DATA_PROGS; i++)
		bpf_link__destroy(l->data_links[i]);
	if (l->teardown_fd >= 0)
		close(l->teardown_fd);
	close(load_scope_release(l, l->tls_links, l->n_tls_links));
	load_scope_close(l); /* what is still busy: the next collector's start */
	free(l->tls_links);
	free(l->tls_link_ids);
	free(l->bins);
	if (l->bits)
		munmap(l->bits, l->bits_len);
	if (l->names_fd >= 0)
		close(l->names_fd);
	if (l->pin_lock_fd >= 0)
		close(l->pin_lock_fd);
	agentmon_bpf__destroy(l->skel);
	free(l);
}

int loader_events_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

static int rc_errno(int rc)
{
	return rc ? -errno : 0;
}

/*
 * tagged_bits: the creator of a tagged entry sets the tgid's bit, its
 * deleter clears it, by atomic adds as the BPF programs do (bpf/common.bpf.h)
 */
static void bit_add(struct loader *l, uint32_t tgid, bool set)
{
	uint64_t bit = 1ull << (tgid & 63);

	if ((tgid >> 6) < AM_TAGGED_WORDS)
		__atomic_fetch_add(&l->bits[tgid >> 6], set ? bit : -bit, __ATOMIC_SEQ_CST);
}

int loader_tag(struct loader *l, uint32_t tgid, const struct am_tag *t)
{
	int fd = bpf_map__fd(l->skel->maps.tagged);

	for (int i = 0; i < 4; i++) {
		if (!bpf_map_update_elem(fd, &tgid, t, BPF_NOEXIST)) {
			bit_add(l, tgid, true);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
		if (!bpf_map_update_elem(fd, &tgid, t, BPF_EXIST))
			return 0;
		if (errno != ENOENT)
			return -errno;
		/* deleted in between: create it again */
	}
	return -EAGAIN;
}

int loader_untag(struct loader *l, uint32_t tgid)
{
	if (bpf_map_delete_elem(bpf_map__fd(l->skel->maps.tagged), &tgid))
		return -errno;
	bit_add(l, tgid, false);
	return 0;
}

int loader_untag_if(struct loader *l, uint32_t tgid, uint64_t start_ns)
{
	struct am_tag t;
	int rc = loader_lookup(l, tgid, &t);

	if (rc)
		return rc;
	return t.start_ns == start_ns ? loader_untag(l, tgid) : -ESTALE;
}

int loader_llm_watch(struct loader *l, uint32_t tgid, uint64_t bytes)
{
	int fd = bpf_map__fd(l->skel->maps.llm_watch);
	int64_t left = bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes;

	if (!bytes)
		return bpf_map_delete_elem(fd, &tgid) && errno != ENOENT ? -errno : 0;
	return rc_errno(bpf_map_update_elem(fd, &tgid, &left, BPF_ANY));
}

int loader_lookup(struct loader *l, uint32_t tgid, struct am_tag *tag)
{
	return rc_errno(bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.tagged), &tgid, tag));
}

bool loader_tagged(const struct loader *l, uint32_t tgid)
{
	return (tgid >> 6) < AM_TAGGED_WORDS &&
	       (__atomic_load_n(&l->bits[tgid >> 6], __ATOMIC_RELAXED) >> (tgid & 63) & 1);
}

size_t loader_tags_each(struct loader *l,
			int (*cb)(void *arg, uint32_t tgid, const struct am_tag *tag), void *arg)
{
	int fd = bpf_map__fd(l->skel->maps.tagged);
	uint32_t key, next, *prev = NULL;
	struct am_tag t;
	size_t n = 0;

	/* at most the map's size: an entry deleted under us restarts the walk */
	while (n < bpf_map__max_entries(l->skel->maps.tagged) &&
	       !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &t))
			continue; /* gone since */
		n++;
		if (cb(arg, key, &t))
			break;
	}
	return n;
}

int loader_set_exe_rule(struct loader *l, const char *basename,
			const struct am_exe_rule *rule)
{
	struct am_name key = {};
	size_t n = strlen(basename);

	if (!n || n >= sizeof(key.name) ||
	    (strchr(basename, '/') && strcmp(basename, AM_VERSION_KEY)))
		return -EINVAL;
	memcpy(key.name, basename, n);
	return rc_errno(bpf_map_update_elem(bpf_map__fd(l->skel->maps.agent_exe), &key, rule,
					    BPF_ANY));
}

int loader_clear_exe_rules(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.agent_exe);
	struct am_name key;

	for (int i = 0; i <= AM_MAX_AGENT_EXES; i++) {
		if (bpf_map_get_next_key(fd, NULL, &key))
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_delete_elem(fd, &key))
			return -errno;
	}
	return -EAGAIN;
}

int loader_set_config(struct loader *l, const struct am_config *cfg)
{
	uint32_t key = 0;

	return rc_errno(bpf_map_update_elem(bpf_map__fd(l->skel->maps.config_map), &key, cfg,
					    BPF_ANY));
}

/* a per-CPU array's entries first..first+n-1 summed over CPUs into sums (may
 * be NULL); returns the total (entries that cannot be read count 0) */
static uint64_t percpu_sums(int fd, uint32_t first, uint32_t n, uint64_t *sums)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total = 0;
	uint64_t *v;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return 0;
	for (uint32_t k = first; k < first + n; k++) {
		uint64_t sum = 0;

		if (!bpf_map_lookup_elem(fd, &k, v))
			for (int c = 0; c < ncpu; c++)
				sum += v[c];
		if (sums)
			sums[k - first] = sum;
		total += sum;
	}
	free(v);
	return total;
}

uint64_t loader_drops(struct loader *l, uint64_t *per_type)
{
	return percpu_sums(bpf_map__fd(l->skel->maps.drops), 0, AM_EV_KERNEL_MAX, per_type);
}

uint64_t loader_faults(struct loader *l, uint32_t fault)
{
	if (fault >= AM_FAULT_MAX)
		return 0;
	return percpu_sums(bpf_map__fd(l->skel->maps.faults), fault, 1, NULL);
}

int loader_agent_hooks(struct loader *l, bool on)
{
	if (on == l->hooks_on)
		return 0;
	l->quiet = true; /* the status line keeps what the first attach found */
	if (on)
		attach_agent_hooks(l);
	else
		detach_agent_hooks(l);
	l->quiet = false;
	return 1;
}

bool loader_agent_hooks_on(const struct loader *l)
{
	return l->hooks_on;
}

bool loader_any_tagged(const struct loader *l)
{
	for (size_t i = 0; i < AM_TAGGED_WORDS; i++)
		if (__atomic_load_n(&l->bits[i], __ATOMIC_RELAXED))
			return true;
	return false;
}

const char *loader_status(const struct loader *l)
{
	return l->status;
}

/* the program of a hand-attached hook and its link, else *link as is */
static struct bpf_link *hook_link(const struct loader *l, const struct bpf_program *prog,
				  struct bpf_link *link)
{
	struct bpf_program *sp[N_SOCK_PROGS];

	sock_progs(l->skel, sp);
	for (int i = 0; i < N_SOCK_PROGS; i++)
		if (prog == sp[i])
			return l->sock_links[i];
	if (prog == l->skel->progs.data_egress)
		return l->data_links[0];
	if (prog == l->skel->progs.data_ingress)
		return l->data_links[1];
	return link;
}

size_t loader_hooks(const struct loader *l, loader_hook_fn fn, void *arg)
{
	const struct bpf_object_skeleton *sk = l->skel->skeleton;
	const struct bpf_prog_skeleton *p;
	size_t n = 0;

	for (int i = 0; i < sk->prog_cnt; i++) {
		p = (const void *)((const char *)sk->progs + (size_t)i * sk->prog_skel_sz);
		/* tail-call handlers run from a hook; uprobes are counted as links */
		if (!strncmp(p->name, "h_", 2) ||
		    bpf_program__type(*p->prog) == BPF_PROG_TYPE_KPROBE)
			continue;
		fn(p->name, hook_link(l, *p->prog, *p->link) != NULL, arg);
		n++;
	}
	return n;
}
