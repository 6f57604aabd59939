/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * load.h - the BPF side as the collector sees it: checks what the kernel
 * offers, opens, loads and attaches the skeleton, and owns the maps.
 *
 * Library code: returns negative errno and writes a one-line reason into
 * the caller's buffer; never prints except through libbpf's print callback.
 */
#ifndef AGENTMON_LOAD_H
#define AGENTMON_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../bpf/agentmon.h"

struct loader;
struct ring_buffer;

struct loader_opts {
	uint32_t ringbuf_bytes;   /* 0: AM_RINGBUF_BYTES; rounded to a power of 2 */
	const char *cgroup_path;  /* cgroup v2 root for sock_addr hooks; NULL: find it */
	uint32_t collector_pid;   /* never tagged */
};

/*
 * loader_check - what loader_open verifies first, without loading anything:
 * privileges, BTF, ring buffer support.  0 or -errno with err set.
 */
int loader_check(char *err, size_t errlen);

/*
 * loader_open - verify root/CAP_BPF, BTF at /sys/kernel/btf/vmlinux and ring
 * buffer support, mount tracefs when missing, then open, load and attach
 * every program.  Hooks the kernel refuses that have a fallback are reported
 * in loader_status(); a missing essential hook fails.  Returns 0 or -errno
 * with err set ("not running as root", "kernel has no BTF ...").
 */
int loader_open(struct loader **out, const struct loader_opts *opts,
		char *err, size_t errlen);
void loader_close(struct loader *l);

/* the ring buffer map's fd, for ring_buffer__new() */
int loader_events_fd(const struct loader *l);

/* tagging: the tagged map, keyed by tgid */
int loader_tag(struct loader *l, uint32_t tgid, uint32_t agent_pid, uint32_t agent_id);
int loader_untag(struct loader *l, uint32_t tgid);
/* 0 and *tag filled when tagged, -ENOENT when not */
int loader_lookup(struct loader *l, uint32_t tgid, struct am_tag *tag);

/* agent_exe rules (basename -> rule); clear removes all of them */
int loader_set_exe_rule(struct loader *l, const char *basename,
			const struct am_exe_rule *rule);
int loader_clear_exe_rules(struct loader *l);
int loader_set_config(struct loader *l, const struct am_config *cfg);

/*
 * loader_drops - events the kernel could not reserve since load, summed over
 * CPUs; per_type (AM_EV_KERNEL_MAX entries) may be NULL.  Returns the total.
 */
uint64_t loader_drops(struct loader *l, uint64_t *per_type);

/* one line describing attached hooks and fallbacks, for logs and status */
const char *loader_status(const struct loader *l);

#endif
