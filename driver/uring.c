// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the io_uring passthrough: IORING_OP_URING_CMD on /dev/kdemoN
 *
 * The cmd_op of a command is an ioctl number and is looked up in chrdev.c's
 * command table, so both paths accept the same commands under the same
 * permission rule (a mutation on a file not open for writing: -EBADF) and
 * answer with the same errnos. The SQE's command area is a struct
 * kdemo_uring_cmd: the ioctl's argument, a user pointer handed to the
 * ioctl's own handler, except on the two hot paths, which need no user
 * memory: ADD carries its value in the SQE, and GET_SUM in a CQE32 ring
 * returns the sum in the completion.
 *
 * Every command completes in the call that issued it: kdemo never waits
 * for a device, so nothing is ever queued or cancelled. Issued inline
 * (IO_URING_F_NONBLOCK: the submitter's context, or the SQPOLL thread's,
 * holding the ring's lock), a mutation does not wait: the core is called
 * with KDEMO_NOWAIT, and if another writer holds the writers' lock, or the
 * new message's memory is not at hand without reclaim, the answer is
 * -EAGAIN, nothing changed, and io_uring issues the command again from an
 * io-wq worker without IO_URING_F_NONBLOCK, where it waits killably as on
 * the ioctl path. User space never sees that -EAGAIN. Reads take no lock.
 *
 * No uring_cmd_flags bit is supported: IORING_URING_CMD_FIXED (a registered
 * buffer) is -EINVAL, as is any bit a later kernel defines.
 */
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

/* The SQE128 command area is 80 bytes; kdemo uses the first 16. */
#define KDEMO_URING_CMD_AREA_128 80

static_assert(sizeof(struct kdemo_uring_cmd) == 16);

/* GET_SUM: the sum in extra1 of a CQE32 ring, the whole struct at @arg. */
static int kdemo_uring_get_sum(struct io_uring_cmd *ioucmd,
			       struct kdemo_file *kf, u64 arg,
			       unsigned int issue_flags)
{
	struct kdemo_sum sum;
	int ret;

	if (arg) {
		ret = kdemo_cmd_get_sum(kf, u64_to_user_ptr(arg), &sum);
		if (ret)
			return ret;
	} else if (issue_flags & IO_URING_F_CQE32) {
		kdemo_read_sum(kf->kd, &sum);
	} else {
		return -EINVAL;
	}
	if (!(issue_flags & IO_URING_F_CQE32))
		return 0;
	kdemo_uring_cmd_done(ioucmd, 0, (u64)sum.sum, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * kdemo_uring_cmd - the file operation uring_cmd of /dev/kdemoN
 * @ioucmd: the command; its cmd_op is a KDEMO_IOC_* number
 * @issue_flags: IO_URING_F_* flags of the ring and of this issue
 *
 * Return: the completion's result (0 or -errno), -EAGAIN for io_uring
 * alone (issued with IO_URING_F_NONBLOCK, a mutation would have to wait: it
 * is issued again from io-wq), or -EIOCBQUEUED once the command was
 * completed here with io_uring_cmd_done(): GET_ABI, whose result is
 * positive, and GET_SUM in a CQE32 ring, which fills extra1.
 */
int kdemo_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct kdemo_uring_cmd *uc = kdemo_uring_cmd_area(ioucmd);
	struct file *file = ioucmd->file;
	struct kdemo_file *kf = file->private_data;
	const struct kdemo_cmd_desc *desc;
	unsigned int flags;
	u64 arg;
	long ret;
	s64 v;

	desc = kdemo_cmd_find(ioucmd->cmd_op);
	if (!desc)
		return -ENOTTY;
	kdemo_count_op(kf->kd, KDEMO_T_URING);
	ret = kdemo_cmd_permit(desc, file);
	if (ret)
		return ret;

	/* the SQE is in memory user space shares: read each field once */
	arg = READ_ONCE(uc->arg);
	if (READ_ONCE(uc->reserved))
		return -EINVAL;
	if (kdemo_uring_cmd_user_flags(ioucmd))
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv(uc + 1, 0, KDEMO_URING_CMD_AREA_128 - sizeof(*uc)))
		return -EINVAL;

	flags = issue_flags & IO_URING_F_NONBLOCK ? KDEMO_NOWAIT : 0;
	switch (desc->cmd) {
	case KDEMO_IOC_ADD:
		v = (s64)arg;
		return __kdemo_add(kf->kd, &v, 1, flags);
	case KDEMO_IOC_GET_SUM:
		return kdemo_uring_get_sum(ioucmd, kf, arg, issue_flags);
	case KDEMO_IOC_GET_ABI:
		if (arg) {
			ret = desc->fn(kf, u64_to_user_ptr(arg), flags);
			if (ret)
				return ret;
		}
		/*
		 * A positive result goes through io_uring_cmd_done(): the 6.1
		 * core takes a positive return of ->uring_cmd for a failure
		 * (it breaks a link, and an io-wq worker never completes it).
		 */
		kdemo_uring_cmd_done(ioucmd, KDEMO_ABI_VERSION, 0, issue_flags);
		return -EIOCBQUEUED;
	case KDEMO_IOC_RESET:
		if (arg)
			return -EINVAL;
		return __kdemo_reset(kf->kd, flags);
	default:
		return desc->fn(kf, u64_to_user_ptr(arg), flags);
	}
}
