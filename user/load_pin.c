// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * load_pin.c - the tags that outlive a collector (see load.h, pin_dir):
 * `tagged` and `tagged_bits` pinned in bpffs and adopted by the next
 * collector, and the agent-name table their agent ids index (agent_names,
 * an array map created here).  A pinned map that does not fit this build
 * (another value size, a resized table) is unpinned and reported, never
 * half-adopted: the tag entries and their bits go together.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "load_int.h"

#define BPFFS_DIR   "/sys/fs/bpf"
#define BPFFS_MAGIC 0xcafe4a11

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPFFS_MAGIC;
}

static int load_pin_prepare(struct loader *l, char *err, size_t errlen)
{
	const char *dir = l->opts.pin_dir;
	int rc;

	if (!dir)
		return 0;
	if (!strncmp(dir, BPFFS_DIR "/", sizeof(BPFFS_DIR)) && !on_bpffs(BPFFS_DIR) &&
	    mount("bpf", BPFFS_DIR, "bpf", 0, "mode=0700"))
		return load_fail(err, errlen, -errno, "cannot mount bpffs at " BPFFS_DIR
				 " for the pinned tags: %s", strerror(errno));
	if ((rc = am_mkdirs(dir, 0700, 0700)))
		return load_fail(err, errlen, rc, "cannot create the pin directory %s: %s", dir,
				 strerror(-rc));
	if (!on_bpffs(dir))
		return load_fail(err, errlen, -EINVAL, "the pin directory %s is not on a bpf "
				 "file system (mount -t bpf bpf DIR)", dir);
	return 0;
}

static void pin_path(const struct loader *l, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", l->opts.pin_dir, name);
}

/* whether the map pinned at path has m's shape; false when absent */
static bool pinned_fits(const char *path, enum bpf_map_type type, uint32_t key, uint32_t value,
			uint32_t max, uint32_t flags, bool *exists)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool ok;

	*exists = fd >= 0;
	if (fd < 0)
		return false;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == type &&
	     info.key_size == key && info.value_size == value && info.max_entries == max &&
	     info.map_flags == flags;
	close(fd);
	return ok;
}

static bool map_fits(const char *path, const struct bpf_map *m, bool *exists)
{
	return pinned_fits(path, bpf_map__type(m), bpf_map__key_size(m), bpf_map__value_size(m),
			   bpf_map__max_entries(m), bpf_map__map_flags(m), exists);
}

int load_pin_maps(struct loader *l, struct agentmon_bpf *s)
{
	struct bpf_map *maps[] = { s->maps.tagged, s->maps.tagged_bits };
	char path[2][PATH_MAX];
	bool fits = true, any = false, exists;
	int rc;

	l->adopted = false;
	if (!l->opts.pin_dir)
		return 0;
	for (int i = 0; i < 2; i++) {
		pin_path(l, bpf_map__name(maps[i]), path[i], sizeof(path[i]));
		fits &= map_fits(path[i], maps[i], &exists);
		any |= exists;
	}
	if (any && !fits) { /* both or neither: entries and bits go together */
		for (int i = 0; i < 2; i++)
			unlink(path[i]);
		snprintf(l->pin_note, sizeof(l->pin_note), "pinned tags in %s did not fit this "
			 "build and were dropped", l->opts.pin_dir);
	}
	for (int i = 0; i < 2; i++)
		if ((rc = bpf_map__set_pin_path(maps[i], path[i])))
			return rc;
	l->adopted = any && fits;
	return 0;
}

static int load_pin_names(struct loader *l, char *err, size_t errlen)
{
	char path[PATH_MAX];
	bool exists;
	int fd;

	l->names_fd = -1;
	if (!l->opts.pin_dir)
		return 0;
	pin_path(l, "agent_names", path, sizeof(path));
	if (pinned_fits(path, BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(struct am_name),
			AM_MAX_AGENT_NAMES, 0, &exists)) {
		l->names_fd = bpf_obj_get(path);
	} else {
		if (exists)
			unlink(path);
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "agent_names", sizeof(uint32_t),
				    sizeof(struct am_name), AM_MAX_AGENT_NAMES, NULL);
		if (fd >= 0 && bpf_obj_pin(fd, path)) {
			close(fd);
			fd = -1;
		}
		l->names_fd = fd;
	}
	if (l->names_fd < 0)
		return load_fail(err, errlen, -errno, "cannot pin the agent names at %s: %s",
				 path, strerror(errno));
	return 0;
}

/*
 * Two live collectors on one pin directory share its tags and each runs its
 * own proc_exit over them: the first attached deletes an exiting agent's
 * tag and emits its exit into its own ring buffer, so the other never sees
 * that exit (and the one it does see went to the wrong collector).  The
 * lock is on the directory (flock: released by the kernel when the holder
 * dies, however it dies); a directory that cannot be opened is not locked
 * (load_pin_start already said what it could not do).
 */
int load_pin_lock(struct loader *l, char *err, size_t errlen)
{
	const char *dir = l->opts.pin_dir;

	if (!dir || (l->pin_lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (!flock(l->pin_lock_fd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno != EWOULDBLOCK)
		return 0; /* a file system without locks: nothing to go by */
	return load_fail(err, errlen, -EBUSY, "another collector is running on the pinned tags "
			 "in %s (both would take exits from each other): stop it, or give this "
			 "one another --pin-dir", dir);
}

void load_pin_start(struct loader *l)
{
	char err[200];

	if (!l->opts.pin_dir || (!load_pin_prepare(l, err, sizeof(err)) &&
				 !load_pin_names(l, err, sizeof(err))))
		return;
	/* watching matters more than keeping tags: run, and say what is lost */
	snprintf(l->pin_note, sizeof(l->pin_note), "tags not pinned, a restart of the "
		 "collector untags every agent: %s", err);
	l->opts.pin_dir = NULL;
}

int loader_agent_name_set(struct loader *l, uint32_t id, const char *name)
{
	struct am_name v = {};
	size_t n = strlen(name);

	if (l->names_fd < 0)
		return 0; /* not pinned: nothing outlives this run */
	if (id >= AM_MAX_AGENT_NAMES || n >= sizeof(v.name))
		return -E2BIG;
	memcpy(v.name, name, n);
	return bpf_map_update_elem(l->names_fd, &id, &v, BPF_ANY) ? -errno : 0;
}

int loader_agent_name(struct loader *l, uint32_t id, char name[AM_NAME_MAX])
{
	struct am_name v;

	if (l->names_fd < 0 || id >= AM_MAX_AGENT_NAMES)
		return -ENOENT;
	if (bpf_map_lookup_elem(l->names_fd, &id, &v))
		return -errno;
	v.name[AM_NAME_MAX - 1] = '\0';
	memcpy(name, v.name, AM_NAME_MAX);
	return name[0] ? 0 : -ENOENT;
}

bool loader_adopted(const struct loader *l)
{
	return l->adopted;
}

const char *loader_pin_note(const struct loader *l)
{
	return l->pin_note[0] ? l->pin_note : NULL;
}
