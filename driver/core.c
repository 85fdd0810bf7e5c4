// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the state core
 *
 * Every change of a device's state happens here, whichever transport asked
 * for it, so the rules live in one place:
 *  - a message is 0..msg_max bytes (else EMSGSIZE) and is replaced whole;
 *  - a list of values is added as if one at a time, atomically: if any
 *    partial sum overflows 64 bits (ERANGE) or a value cannot be read
 *    (EFAULT), nothing changes;
 *  - every successful change bumps the generation and wakes watchers;
 *    a failed operation changes nothing.
 *
 * Sum, count, generation and message length live only in the snapshot page
 * that mmap() exposes read-only. The page carries a sequence counter used
 * the way the vDSO uses its data page: the writer (holding kd->lock, with
 * preemption off for the few stores) makes it odd, stores, makes it even;
 * readers retry until they saw the same even value before and after. The
 * kernel's own readers use the same protocol, so GET_SUM and the sysfs and
 * proc reads of sum, count and generation take no lock.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "internal.h"

enum kdemo_change {
	KDEMO_CHANGED_MSG = BIT(0),
	KDEMO_CHANGED_ACC = BIT(1),
};

static void kdemo_snap_write_begin(struct kdemo_snapshot *s)
{
	preempt_disable();
	WRITE_ONCE(s->seq, s->seq + 1);
	smp_wmb(); /* odd seq is visible before any field changes */
}

static void kdemo_snap_write_end(struct kdemo_snapshot *s)
{
	smp_wmb(); /* all fields are visible before seq turns even */
	WRITE_ONCE(s->seq, s->seq + 1);
	preempt_enable();
}

static u32 kdemo_snap_read_begin(const struct kdemo_snapshot *s)
{
	u32 seq;

	while ((seq = READ_ONCE(s->seq)) & 1)
		cpu_relax();
	smp_rmb(); /* pairs with kdemo_snap_write_begin(): seq before fields */
	return seq;
}

static bool kdemo_snap_read_retry(const struct kdemo_snapshot *s, u32 seq)
{
	smp_rmb(); /* pairs with kdemo_snap_write_end(): fields before seq */
	return READ_ONCE(s->seq) != seq;
}

/* A consistent copy of the scalar state (sum, count, generation, msg_len). */
static void kdemo_snap_read(struct kdemo_dev *kd, struct kdemo_snapshot *copy)
{
	const struct kdemo_snapshot *s = kd->snap;
	u32 seq;

	do {
		seq = kdemo_snap_read_begin(s);
		copy->sum = READ_ONCE(s->sum);
		copy->count = READ_ONCE(s->count);
		copy->generation = READ_ONCE(s->generation);
		copy->msg_len = READ_ONCE(s->msg_len);
	} while (kdemo_snap_read_retry(s, seq));
}

/*
 * Publish new scalar state; called with kd->lock held. Returns the new
 * generation.
 */
static u64 kdemo_commit(struct kdemo_dev *kd, s64 sum, u64 count,
			u64 msg_len)
{
	struct kdemo_snapshot *s = kd->snap;
	u64 generation = s->generation + 1;

	lockdep_assert_held(&kd->lock);
	kdemo_snap_write_begin(s);
	WRITE_ONCE(s->sum, sum);
	WRITE_ONCE(s->count, count);
	WRITE_ONCE(s->msg_len, msg_len);
	WRITE_ONCE(s->generation, generation);
	kdemo_snap_write_end(s);
	return generation;
}

static void kdemo_notify(struct kernfs_node *kn)
{
	/* NULL only in the instant between device_add() and kdemo_sysfs_add() */
	if (kn)
		sysfs_notify_dirent(kn);
}

/* Wake everyone watching; called after kd->lock is dropped. */
static void kdemo_changed(struct kdemo_dev *kd, unsigned int what)
{
	if (wq_has_sleeper(&kd->wait))
		wake_up_interruptible_poll(&kd->wait,
					   EPOLLIN | EPOLLRDNORM | EPOLLPRI);
	if (what & KDEMO_CHANGED_MSG)
		kdemo_notify(READ_ONCE(kd->kn_message));
	if (what & KDEMO_CHANGED_ACC)
		kdemo_notify(READ_ONCE(kd->kn_sum));
	kdemo_notify(READ_ONCE(kd->kn_generation));
}

/**
 * kdemo_set_msg - replace the message
 * @kd: the device
 * @from: the new message bytes
 * @text: the bytes come from a text transport: one trailing '\n' is dropped
 * @generation: if not NULL, receives the generation of the change
 *
 * The bytes are copied into a new buffer before the lock is taken, so a
 * fault leaves the old message in place and readers never see a mix.
 */
int kdemo_set_msg(struct kdemo_dev *kd, struct iov_iter *from, bool text,
		  u64 *generation)
{
	size_t len = iov_iter_count(from);
	char *buf = NULL, *old;
	u64 gen;

	if (len > kd->msg_max + text)
		return -EMSGSIZE;
	if (len) {
		buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
		if (!copy_from_iter_full(buf, len, from)) {
			kvfree(buf);
			return -EFAULT;
		}
		if (text && buf[len - 1] == '\n')
			len--;
		if (len > kd->msg_max) {
			kvfree(buf);
			return -EMSGSIZE;
		}
	}

	mutex_lock(&kd->lock);
	old = kd->msg;
	kd->msg = buf;
	gen = kdemo_commit(kd, kd->snap->sum, kd->snap->count, len);
	mutex_unlock(&kd->lock);

	kvfree(old);
	dev_dbg(&kd->dev, "message set (%zu bytes)\n", len);
	kdemo_changed(kd, KDEMO_CHANGED_MSG);
	if (generation)
		*generation = gen;
	return 0;
}

/**
 * kdemo_get_msg - copy the message out
 * @kd: the device
 * @to: where to copy it; its size is the capacity
 * @len: receives the message length, also when the capacity is too small
 * @generation: if not NULL, receives the generation of the message
 *
 * Return: 0, -ERANGE if @to cannot hold the message (nothing is copied), or
 * -EFAULT.
 */
int kdemo_get_msg(struct kdemo_dev *kd, struct iov_iter *to, size_t *len,
		  u64 *generation)
{
	int ret = 0;

	mutex_lock(&kd->lock);
	*len = kd->snap->msg_len;
	if (generation)
		*generation = kd->snap->generation;
	if (*len > iov_iter_count(to))
		ret = -ERANGE;
	else if (copy_to_iter(kd->msg, *len, to) != *len)
		ret = -EFAULT;
	mutex_unlock(&kd->lock);
	return ret;
}

/**
 * kdemo_add - add a list of values, all or nothing
 * @kd: the device
 * @from: 1..KDEMO_BATCH_MAX values of type s64
 *
 * The values are read in small chunks while the lock is held and summed into
 * a local copy; the state changes only after the last one was read and
 * added without overflow.
 */
int kdemo_add(struct kdemo_dev *kd, struct iov_iter *from)
{
	size_t n = iov_iter_count(from) / sizeof(s64);
	struct kdemo_snapshot *s = kd->snap;
	s64 chunk[32];
	size_t i, bytes;
	u64 count = 0;
	s64 sum;
	int ret = 0;

	if (!n || iov_iter_count(from) % sizeof(s64))
		return -EINVAL;
	if (n > KDEMO_BATCH_MAX)
		return -E2BIG;

	mutex_lock(&kd->lock);
	sum = s->sum;
	while (iov_iter_count(from)) {
		bytes = min(iov_iter_count(from), sizeof(chunk));
		if (!copy_from_iter_full(chunk, bytes, from)) {
			ret = -EFAULT;
			goto unlock;
		}
		for (i = 0; i < bytes / sizeof(s64); i++) {
			if (check_add_overflow(sum, chunk[i], &sum)) {
				ret = -ERANGE;
				goto unlock;
			}
		}
	}
	if (check_add_overflow(s->count, (u64)n, &count)) {
		ret = -ERANGE;
		goto unlock;
	}
	kdemo_commit(kd, sum, count, s->msg_len);
unlock:
	mutex_unlock(&kd->lock);
	if (ret)
		return ret;

	dev_dbg(&kd->dev, "added %zu value(s): sum %lld, count %llu\n", n, sum,
		count);
	kdemo_changed(kd, KDEMO_CHANGED_ACC);
	return 0;
}

/* Zero the accumulator. */
void kdemo_reset(struct kdemo_dev *kd)
{
	mutex_lock(&kd->lock);
	kdemo_commit(kd, 0, 0, kd->snap->msg_len);
	mutex_unlock(&kd->lock);

	dev_dbg(&kd->dev, "accumulator reset\n");
	kdemo_changed(kd, KDEMO_CHANGED_ACC);
}

/* Sum, count and generation, consistent with each other; takes no lock. */
void kdemo_read_sum(struct kdemo_dev *kd, struct kdemo_sum *sum)
{
	struct kdemo_snapshot copy;

	kdemo_snap_read(kd, &copy);
	sum->sum = copy.sum;
	sum->count = copy.count;
	sum->generation = copy.generation;
}

u64 kdemo_generation(struct kdemo_dev *kd)
{
	struct kdemo_snapshot copy;

	kdemo_snap_read(kd, &copy);
	return copy.generation;
}

/* Everything struct kdemo_info reports, except its size field. */
void kdemo_fill_info(struct kdemo_dev *kd, struct kdemo_info *info)
{
	struct kdemo_snapshot copy;

	kdemo_snap_read(kd, &copy);
	memset(info, 0, sizeof(*info));
	info->abi_version = KDEMO_ABI_VERSION;
	strscpy(info->driver, KDEMO_NAME, sizeof(info->driver));
	strscpy(info->version, KDEMO_VERSION, sizeof(info->version));
	strscpy(info->device, dev_name(&kd->dev), sizeof(info->device));
	info->msg_max = kd->msg_max;
	info->msg_len = copy.msg_len;
	info->sum = copy.sum;
	info->count = copy.count;
	info->generation = copy.generation;
	info->opens = atomic64_read(&kd->opens);
	info->ioctl_ops = atomic64_read(&kd->ops[KDEMO_T_IOCTL]);
	info->sysfs_ops = atomic64_read(&kd->ops[KDEMO_T_SYSFS]);
	info->proc_ops = atomic64_read(&kd->ops[KDEMO_T_PROC]);
	info->random = get_random_u64();
}

int kdemo_core_init(struct kdemo_dev *kd, size_t msg_max)
{
	kd->snap = (struct kdemo_snapshot *)get_zeroed_page(GFP_KERNEL);
	if (!kd->snap)
		return -ENOMEM;
	kd->snap->abi_version = KDEMO_ABI_VERSION;
	kd->msg_max = msg_max;
	mutex_init(&kd->lock);
	init_waitqueue_head(&kd->wait);
	return 0;
}

/* Frees what kdemo_core_init() and the message setters allocated. */
void kdemo_core_release(struct kdemo_dev *kd)
{
	kvfree(kd->msg);
	free_page((unsigned long)kd->snap);
	mutex_destroy(&kd->lock);
}
