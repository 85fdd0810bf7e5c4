/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdemo - every kernel-version test of the driver, in one place
 *
 * The rest of the driver is written against one API and calls the helpers
 * below where the kernels it supports (Debian's 6.1 and 6.12, generic and
 * PREEMPT_RT) differ. Known drift that needs no guard here:
 *  - class_create() lost its module argument in 6.4; kdemo registers a
 *    static struct class with class_register(), which is the same on both.
 *  - struct class callbacks took a const struct device in 6.2; kdemo sets
 *    none of them.
 *  - no_llseek was removed in 6.12; the node sets no llseek at all and is
 *    opened with nonseekable_open().
 */
#ifndef KDEMO_COMPAT_H
#define KDEMO_COMPAT_H

#include <linux/mm.h>
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

#endif /* KDEMO_COMPAT_H */
