/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * eh_frame.h - function bounds of a stripped ELF file from its .eh_frame
 * FDEs (the unwind tables survive stripping), for the TLS locators.  The
 * section bytes are hostile input: every read is bounded by the section,
 * CIEs or FDEs that do not parse are skipped, the count is capped.
 */
#ifndef AGENTMON_EH_FRAME_H
#define AGENTMON_EH_FRAME_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

#define EH_FRAME_FDES_MAX    (8u << 20)
#define EH_FRAME_SECTION_MAX (128u << 20) /* an .eh_frame is read whole */

struct eh_fde {
	uint64_t lo, hi;              /* [lo, hi) */
};

struct eh_frame {
	struct eh_fde *fdes;          /* sorted by lo */
	size_t n, cap;
};

/* the FDEs of every .eh_frame section of e; 0, -EINVAL (malformed length),
 * -E2BIG (over EH_FRAME_FDES_MAX or EH_FRAME_SECTION_MAX), -ENOEXEC, -ENOMEM */
int eh_frame_load(struct eh_frame *f, Elf *e);
/* the FDE holding address a (the innermost start at or below it), or NULL */
const struct eh_fde *eh_frame_at(const struct eh_frame *f, uint64_t a);
void eh_frame_free(struct eh_frame *f);

#endif
