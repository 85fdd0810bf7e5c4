// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the state core
 *
 * Every change of a device's state happens here, whichever transport asked
 * for it, so the rules live in one place:
 *  - a message is 0..msg_max bytes (else EMSGSIZE) and is replaced whole;
 *  - a list of values is added as if one at a time, atomically: if a value
 *    cannot be read (EFAULT) or any partial sum overflows 64 bits (ERANGE),
 *    nothing changes;
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
#include <linux/uaccess.h>

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

/*
 * Wake everyone watching; called after kd->lock is dropped.
 *
 * sysfs_notify_dirent() wakes the attribute's pollers at once and schedules
 * kernfs' work item for the fsnotify event: a kworker run for every change,
 * most of what a change costs (docs/BENCHMARKS.md). It stays synchronous: a
 * sysfs poller must see the change by the time the write that made it returns.
 */
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
	dev_dbg(kd->dev, "message set (%zu bytes)\n", len);
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

/*
 * The end of an add, with kd->lock held: count the values and publish the new
 * sum. Returns the new count through @count.
 */
static int kdemo_add_commit(struct kdemo_dev *kd, s64 sum, size_t n,
			    u64 *count)
{
	struct kdemo_snapshot *s = kd->snap;

	if (check_add_overflow(s->count, (u64)n, count))
		return -ERANGE;
	kdemo_commit(kd, sum, *count, s->msg_len);
	return 0;
}

/* After an add, with kd->lock dropped: tell the watchers. */
static int kdemo_added(struct kdemo_dev *kd, int ret, size_t n, s64 sum,
		       u64 count)
{
	if (ret)
		return ret;
	dev_dbg(kd->dev, "added %zu value(s): sum %lld, count %llu\n", n, sum,
		count);
	kdemo_changed(kd, KDEMO_CHANGED_ACC);
	return 0;
}

static int kdemo_add_check(size_t n)
{
	if (!n)
		return -EINVAL;
	if (n > KDEMO_BATCH_MAX)
		return -E2BIG;
	return 0;
}

/**
 * kdemo_add - add a list of values, all or nothing
 * @kd: the device
 * @values: the values, in kernel memory
 * @n: how many (1..KDEMO_BATCH_MAX, else -EINVAL or -E2BIG)
 *
 * The values are added as if one at a time into a local copy of the sum; the
 * state changes only if no partial sum overflows (else -ERANGE).
 */
int kdemo_add(struct kdemo_dev *kd, const s64 *values, size_t n)
{
	bool overflow = false;
	u64 count = 0;
	size_t i;
	s64 sum;
	int ret;

	ret = kdemo_add_check(n);
	if (ret)
		return ret;

	mutex_lock(&kd->lock);
	sum = kd->snap->sum;
	for (i = 0; i < n; i++)
		overflow |= check_add_overflow(sum, values[i], &sum);
	ret = overflow ? -ERANGE : kdemo_add_commit(kd, sum, n, &count);
	mutex_unlock(&kd->lock);
	return kdemo_added(kd, ret, n, sum, count);
}

/*
 * Sum @n values in user memory into @sum. They are read one at a time in one
 * user-access section: for KDEMO_BATCH_MAX values that is several times faster
 * than copying them first under QEMU's TCG, which emulates copy_from_user()'s
 * "rep movsb" a byte at a time (docs/BENCHMARKS.md), and no slower elsewhere.
 * Every value is read even after an overflow, so an unreadable array is
 * -EFAULT whatever it holds.
 */
static int kdemo_sum_user(const s64 __user *values, size_t n, s64 *sum)
{
	bool overflow = false;
	s64 acc = *sum, v;
	size_t i;

	if (!user_read_access_begin(values, n * sizeof(*values)))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		unsafe_get_user(v, &values[i], fault);
		overflow |= check_add_overflow(acc, v, &acc);
	}
	user_read_access_end();
	if (overflow)
		return -ERANGE;
	*sum = acc;
	return 0;
fault:
	user_read_access_end();
	return -EFAULT;
}

/**
 * kdemo_add_user - kdemo_add() for values in user memory
 * @kd: the device
 * @values: the values
 * @n: how many
 *
 * -EFAULT if any value cannot be read; nothing changes then either.
 */
int kdemo_add_user(struct kdemo_dev *kd, const s64 __user *values, size_t n)
{
	u64 count = 0;
	s64 sum;
	int ret;

	ret = kdemo_add_check(n);
	if (ret)
		return ret;

	mutex_lock(&kd->lock);
	sum = kd->snap->sum;
	ret = kdemo_sum_user(values, n, &sum);
	if (!ret)
		ret = kdemo_add_commit(kd, sum, n, &count);
	mutex_unlock(&kd->lock);
	return kdemo_added(kd, ret, n, sum, count);
}

/* Zero the accumulator. */
void kdemo_reset(struct kdemo_dev *kd)
{
	mutex_lock(&kd->lock);
	kdemo_commit(kd, 0, 0, kd->snap->msg_len);
	mutex_unlock(&kd->lock);

	dev_dbg(kd->dev, "accumulator reset\n");
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

/* Operations of transport @t so far: the per-CPU counts added up. */
u64 kdemo_ops(struct kdemo_dev *kd, enum kdemo_transport t)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(kd->counters, cpu)->ops[t]);
	return sum;
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
	strscpy(info->device, dev_name(kd->dev), sizeof(info->device));
	info->msg_max = kd->msg_max;
	info->msg_len = copy.msg_len;
	info->sum = copy.sum;
	info->count = copy.count;
	info->generation = copy.generation;
	info->opens = atomic64_read(&kd->opens);
	info->ioctl_ops = kdemo_ops(kd, KDEMO_T_IOCTL);
	info->sysfs_ops = kdemo_ops(kd, KDEMO_T_SYSFS);
	info->proc_ops = kdemo_ops(kd, KDEMO_T_PROC);
	info->random = get_random_u64();
}

int kdemo_core_init(struct kdemo_dev *kd, size_t msg_max)
{
	kd->snap = (struct kdemo_snapshot *)get_zeroed_page(GFP_KERNEL);
	if (!kd->snap)
		return -ENOMEM;
	kd->counters = alloc_percpu(struct kdemo_counters);
	if (!kd->counters) {
		free_page((unsigned long)kd->snap);
		return -ENOMEM;
	}
	kd->snap->abi_version = KDEMO_ABI_VERSION;
	kd->msg_max = msg_max;
	mutex_init(&kd->lock);
	init_waitqueue_head(&kd->wait);
	return 0;
}

/* Frees what kdemo_core_init() and the message setters allocated. */
void kdemo_core_release(struct kdemo_dev *kd)
{
	free_percpu(kd->counters);
	kvfree(kd->msg);
	free_page((unsigned long)kd->snap);
	mutex_destroy(&kd->lock);
}
