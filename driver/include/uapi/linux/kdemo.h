/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <linux/kdemo.h> - user-space ABI of the kdemo character devices
 *
 * This header is the single source of truth for the ioctl and mmap ABI of
 * /dev/kdemoN. The kernel module and libkctl both include it; it uses only
 * the fixed-width __u32/__u64/__s64 types, so it means the same thing to a
 * 32-bit and a 64-bit process, and from C or C++.
 *
 * Rules every structure here follows (Documentation/process/
 * botching-up-ioctls.rst):
 *  - user pointers travel in __u64 fields (cast through uintptr_t);
 *  - structures are naturally aligned with explicit padding, so there is no
 *    hidden padding for the compiler to fill and compat_ioctl needs no
 *    translation;
 *  - fields named "flags" and "reserved" must be zero, else EINVAL: that is
 *    how new behaviour can be added later without a new command;
 *  - output-only fields are ignored on input and always written;
 *  - a command that fails changes nothing.
 *
 * Ioctl magic: 0xDE ("DEmo"). Documentation/userspace-api/ioctl/
 * ioctl-number.rst lists no user of 0xDE (checked against Linux 6.1 and the
 * 6.12 UAPI headers), and nothing in the 6.1 tree defines an ioctl with it.
 * kdemo uses sequence numbers 0x00-0x1F; 0xFF is never assigned, so
 * _IO(KDEMO_IOC_MAGIC, 0xFF) is a safe "unknown command" (ENOTTY).
 */
#ifndef _UAPI_LINUX_KDEMO_H
#define _UAPI_LINUX_KDEMO_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped only for an incompatible change; additions keep the version. */
#define KDEMO_ABI_VERSION 1

#define KDEMO_IOC_MAGIC 0xDE

/* Length of the NUL-terminated name fields of struct kdemo_info. */
#define KDEMO_NAME_LEN 32

/* Most values one KDEMO_IOC_ADD_BATCH (or one text write) may carry. */
#define KDEMO_BATCH_MAX 4096

/* The largest msg_max the module accepts (1 MiB). */
#define KDEMO_MSG_MAX_LIMIT (1024 * 1024)

/**
 * struct kdemo_msg - argument of KDEMO_IOC_GET_MSG and KDEMO_IOC_SET_MSG
 * @data: user pointer to the message bytes (any bytes, not NUL-terminated)
 * @len: SET: the message length (0..msg_max, else EMSGSIZE).
 *	GET: in: capacity of @data; out: the message length. If the capacity
 *	is too small the call fails with ERANGE, copies nothing, and @len
 *	holds the length needed.
 * @flags: must be zero
 * @generation: GET: out: the generation of the message returned.
 *	SET: must be zero (SET_MSG writes nothing back, so that a fault can
 *	never report failure after the message was changed).
 * @reserved: must be zero
 */
struct kdemo_msg {
	__u64 data;
	__u32 len;
	__u32 flags;
	__u64 generation;
	__u64 reserved;
};

/**
 * struct kdemo_sum - result of KDEMO_IOC_GET_SUM, one consistent snapshot
 * @sum: the accumulator
 * @count: values added since the last reset
 * @generation: changes of message or accumulator since load
 */
struct kdemo_sum {
	__s64 sum;
	__u64 count;
	__u64 generation;
};

/**
 * struct kdemo_batch - argument of KDEMO_IOC_ADD_BATCH
 * @values: user pointer to @count __s64 values
 * @count: number of values, 1..KDEMO_BATCH_MAX (0: EINVAL; more: E2BIG)
 * @flags: must be zero
 * @reserved: must be zero
 *
 * The values are added as if by @count KDEMO_IOC_ADD calls in order, but
 * atomically: if any of those would overflow the sum (ERANGE) or a value
 * cannot be read (EFAULT), nothing is added.
 */
struct kdemo_batch {
	__u64 values;
	__u32 count;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct kdemo_info - result of KDEMO_IOC_GET_INFO
 * @size: in: sizeof the caller's struct kdemo_info (at least
 *	KDEMO_INFO_SIZE_VER0, else EINVAL); out: the number of bytes the
 *	kernel filled, min(caller's size, kernel's size). Bytes past the
 *	kernel's size are zeroed, so a newer caller sees zero in fields an
 *	older kernel does not know.
 * @abi_version: KDEMO_ABI_VERSION of the running module
 * @driver: "kdemo"
 * @version: the module version (MODULE_VERSION)
 * @device: the device name, e.g. "kdemo0"
 * @msg_max: the largest message, in bytes
 * @msg_len: the current message length
 * @sum: the accumulator
 * @count: values added since the last reset
 * @generation: change counter
 * @opens: file descriptions currently open on the node
 * @ioctl_ops: ioctl calls handled (known commands, failed ones included)
 * @sysfs_ops: sysfs show/store calls handled
 * @proc_ops: /proc reads (content generations) and writes handled
 * @random: a fresh random number on every call
 * @netlink_ops: generic netlink requests handled (KDEMO_INFO_SIZE_VER1)
 * @uring_ops: io_uring commands handled (KDEMO_INFO_SIZE_VER1)
 *
 * The size bits encoded in the command number are not checked: @size is
 * what counts, so callers built against a larger future struct still work.
 */
struct kdemo_info {
	__u32 size;
	__u32 abi_version;
	char driver[KDEMO_NAME_LEN];
	char version[KDEMO_NAME_LEN];
	char device[KDEMO_NAME_LEN];
	__u64 msg_max;
	__u64 msg_len;
	__s64 sum;
	__u64 count;
	__u64 generation;
	__u64 opens;
	__u64 ioctl_ops;
	__u64 sysfs_ops;
	__u64 proc_ops;
	__u64 random;
	/* since KDEMO_INFO_SIZE_VER1 */
	__u64 netlink_ops;
	__u64 uring_ops;
};

#define KDEMO_INFO_SIZE_VER0 184 /* sizeof first published struct */
#define KDEMO_INFO_SIZE_VER1 200 /* + netlink_ops, uring_ops */

/**
 * struct kdemo_snapshot - the read-only page mmap() of /dev/kdemoN maps
 * @seq: sequence counter, odd while the kernel updates the page
 * @abi_version: KDEMO_ABI_VERSION
 * @sum: the accumulator
 * @count: values added since the last reset
 * @generation: change counter
 * @msg_len: current message length
 *
 * Map one page (length <= page size) at offset 0 with PROT_READ; a writable
 * mapping fails with EACCES. Read it like the vDSO reads its data page:
 *
 *	do {
 *		s = load_acquire(&snap->seq);       (retry while s is odd)
 *		copy sum, count, generation, msg_len (relaxed atomic loads)
 *		acquire fence
 *	} while (s & 1 || relaxed load of snap->seq != s);
 *
 * Every copy taken between two equal even values of @seq is consistent.
 */
struct kdemo_snapshot {
	__u32 seq;
	__u32 abi_version;
	__s64 sum;
	__u64 count;
	__u64 generation;
	__u64 msg_len;
};

/**
 * struct kdemo_uring_cmd - the command area of an IORING_OP_URING_CMD SQE
 * @arg: what ioctl()'s third argument would be: a user pointer to the
 *	command's structure, with the ioctl's rules (GET_INFO, GET_MSG,
 *	SET_MSG, ADD_BATCH; optional for GET_ABI and GET_SUM, 0 for none).
 *	KDEMO_IOC_ADD: the value itself (an __s64), no user memory at all.
 *	KDEMO_IOC_RESET: must be zero.
 * @reserved: must be zero
 *
 * The command is the SQE's cmd_op (one of the KDEMO_IOC_* numbers); the
 * SQE's fd a /dev/kdemoN descriptor (or a registered file). This structure
 * fits a normal 64-byte SQE; in a ring set up with IORING_SETUP_SQE128 the
 * remaining 64 bytes of the command area must be zero.
 *
 * The completion's res is what ioctl() would return (0 or -errno), except
 * that GET_ABI returns KDEMO_ABI_VERSION. In a ring set up with
 * IORING_SETUP_CQE32, GET_SUM also puts the sum in big_cqe[0] (extra1);
 * drivers cannot set extra2. GET_SUM with neither a CQE32 ring nor @arg
 * fails with EINVAL. Unknown cmd_op: ENOTTY. See docs/URING.md.
 */
struct kdemo_uring_cmd {
	__u64 arg;
	__u64 reserved;
};

/* Returns KDEMO_ABI_VERSION through a __u32. */
#define KDEMO_IOC_GET_ABI	_IOR(KDEMO_IOC_MAGIC, 0x00, __u32)
/* Fills a struct kdemo_info; see its @size rules. */
#define KDEMO_IOC_GET_INFO	_IOWR(KDEMO_IOC_MAGIC, 0x01, struct kdemo_info)
/* Copies the message out; ERANGE + needed length if it does not fit. */
#define KDEMO_IOC_GET_MSG	_IOWR(KDEMO_IOC_MAGIC, 0x02, struct kdemo_msg)
/* Replaces the message (needs a writable descriptor, else EBADF). */
#define KDEMO_IOC_SET_MSG	_IOW(KDEMO_IOC_MAGIC, 0x03, struct kdemo_msg)
/* Reads sum, count and generation together. */
#define KDEMO_IOC_GET_SUM	_IOR(KDEMO_IOC_MAGIC, 0x04, struct kdemo_sum)
/* Adds one __s64 (writable descriptor; ERANGE on overflow). */
#define KDEMO_IOC_ADD		_IOW(KDEMO_IOC_MAGIC, 0x05, __s64)
/* Adds an array of values, all or nothing (writable descriptor). */
#define KDEMO_IOC_ADD_BATCH	_IOW(KDEMO_IOC_MAGIC, 0x06, struct kdemo_batch)
/* Zeroes sum and count (writable descriptor). */
#define KDEMO_IOC_RESET		_IO(KDEMO_IOC_MAGIC, 0x07)

#endif /* _UAPI_LINUX_KDEMO_H */
