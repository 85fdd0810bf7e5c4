/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdemo - every kernel-version test of the driver, in one place
 *
 * The rest of the driver is written against one API and calls the helpers
 * below where the kernels it supports (Debian's 6.1 and 6.12, generic and
 * PREEMPT_RT) differ. Known drift that needs no guard here:
 *  - struct class callbacks took a const struct device in 6.2; kdemo sets
 *    none of them.
 *  - no_llseek was removed in 6.12; the node sets no llseek at all and is
 *    opened with nonseekable_open().
 *  - struct bin_attribute's read()/write() gained const variants in 6.13;
 *    6.1 and 6.12 both have the non-const ones sysfs.c uses.
 *  - generic netlink (netlink.c): split ops (struct genl_split_ops, what
 *    ynl-gen-c.py's kernel code uses) arrived in 6.2, so the family keeps
 *    6.1's struct genl_ops with one hand-written policy for every command,
 *    checked against driver/netlink/kdemo.yaml by tests/netlink-spec. The 6.1
 *    floor relies on what 6.1 introduced: resv_start_op (strict validation
 *    of every command), GENL_REQ_ATTR_CHECK() and NL_SET_ERR_ATTR_MISS().
 *    Per-group capability flags (GENL_MCAST_CAP_*: 6.6, in Debian's 6.1.y
 *    as a stable backport) are not used: the monitor group is open to
 *    everyone on both kernels.
 */
#ifndef KDEMO_COMPAT_H
#define KDEMO_COMPAT_H

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "kdemo needs Linux 6.1 or later"
#endif

/*
 * 6.3 made vma->vm_flags read-only and added vm_flags_set()/vm_flags_clear(),
 * which also assert that the mmap lock is held for writing.
 */
static inline void kdemo_vm_flags_mod(struct vm_area_struct *vma,
				      vm_flags_t set, vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * 6.4 dropped class_create()'s module argument. kdemo creates its class
 * rather than registering a static one: the driver core then owns and
 * releases it, however long after the module is gone (see main.c).
 */
static inline struct class *kdemo_class_create(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/*
 * io_uring passthrough. 6.6 handed drivers the whole SQE (ioucmd->sqe and
 * io_uring_sqe_cmd()) instead of a pointer to its command area (ioucmd->cmd);
 * 6.7 moved the driver API to <linux/io_uring/cmd.h>.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

/*
 * io_uring_cmd_done() gained its issue_flags argument in 6.3. The 6.1 floor
 * is a 6.1 stable kernel that has it too, as Debian's 6.1.y does (6.1.192
 * checked); a 6.1.y without it stops the build here with this message
 * rather than with a bare "too many arguments". The type of res2 went from
 * ssize_t to u64 in 6.7; both forms are accepted.
 */
static inline void kdemo_uring_cmd_done(struct io_uring_cmd *ioucmd,
					ssize_t ret, u64 res2,
					unsigned int issue_flags)
{
	static_assert(__same_type(&io_uring_cmd_done,
				  void (*)(struct io_uring_cmd *, ssize_t,
					   ssize_t, unsigned int)) ||
		      __same_type(&io_uring_cmd_done,
				  void (*)(struct io_uring_cmd *, ssize_t,
					   u64, unsigned int)),
		      "kdemo needs io_uring_cmd_done() with issue_flags: Linux 6.3+, or a 6.1.y that has it (Debian's)");
	io_uring_cmd_done(ioucmd, ret, res2, issue_flags);
}

/*
 * The SQE's uring_cmd_flags a driver sees in ioucmd->flags: only
 * IORING_URING_CMD_FIXED (a registered buffer) in 6.1.y (io_uring itself
 * refuses any other bit) and in 6.12, where IORING_URING_CMD_MASK names the
 * user's bits and the top ones are io_uring's own (CANCELABLE, ...); later
 * kernels add bits to the mask (MULTISHOT).
 */
static inline u32 kdemo_uring_cmd_user_flags(const struct io_uring_cmd *ioucmd)
{
#ifdef IORING_URING_CMD_MASK
	return ioucmd->flags & IORING_URING_CMD_MASK;
#else
	return ioucmd->flags & IORING_URING_CMD_FIXED;
#endif
}

static inline const void *kdemo_uring_cmd_area(const struct io_uring_cmd *ioucmd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

/*
 * 128-bit integers: the core sums lists of 64-bit values in __int128 (the
 * kernel's s128 only appeared in 6.5). Every 64-bit architecture has it.
 */
#ifndef __SIZEOF_INT128__
#error "kdemo needs a compiler with 128-bit integers (a 64-bit architecture)"
#endif

#endif /* KDEMO_COMPAT_H */
