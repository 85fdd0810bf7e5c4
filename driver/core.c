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
 * Locking: kd->lock serialises the writers and is held only while a change
 * is published: no user memory is touched, nothing is allocated and nothing
 * sleeps under it, so no caller, however slow its memory, can hold up
 * another. Writers do their slow part first (copy the new message into a
 * new object; read and summarise the values to add) and take the lock with
 * mutex_lock_killable(), or, asked not to wait (KDEMO_NOWAIT: io_uring's
 * inline issue, which holds the ring's lock), with mutex_trylock(), and say
 * -EAGAIN if another writer holds it (kdemo_lock()). Readers take no lock
 * at all.
 *
 * Sum, count, generation and message length live only in the snapshot page
 * that mmap() exposes read-only. The page carries a sequence counter used
 * the way the vDSO uses its data page: the writer (holding kd->lock, with
 * preemption off for the few stores) makes it odd, stores, makes it even;
 * readers retry until they saw the same even value before and after. The
 * kernel's own readers use the same protocol, so GET_SUM and the sysfs and
 * proc reads of sum, count and generation take no lock. The message pointer
 * is swapped inside the same write section, so a reader gets a message and
 * the generation it belongs to from one moment; the message itself is an
 * immutable, reference-counted object freed after an RCU grace period.
 */
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

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
 * Publish new scalar state, inside a write section of the snapshot and with
 * kd->lock held; the generation grows by one, and the generation of the
 * part that changed (@what: KDEMO_CHANGED_*) becomes the new one.
 */
static void kdemo_commit(struct kdemo_dev *kd, s64 sum, u64 count,
			 u64 msg_len, unsigned int what)
{
	struct kdemo_snapshot *s = kd->snap;
	u64 gen = s->generation + 1;

	lockdep_assert_held(&kd->lock);
	WRITE_ONCE(s->sum, sum);
	WRITE_ONCE(s->count, count);
	WRITE_ONCE(s->msg_len, msg_len);
	WRITE_ONCE(s->generation, gen);
	if (what & KDEMO_CHANGED_MSG)
		WRITE_ONCE(kd->msg_generation, gen);
	if (what & KDEMO_CHANGED_ACC)
		WRITE_ONCE(kd->acc_generation, gen);
}

/* Changes closer than this to the last notification run wait for a tick. */
#define KDEMO_NOTIFY_GAP_NS NSEC_PER_MSEC

/* Send the sysfs notifications of the changes since the last run. */
static void kdemo_notify_workfn(struct work_struct *work)
{
	struct kdemo_dev *kd = container_of(to_delayed_work(work),
					    struct kdemo_dev, notify_work);
	unsigned int what;
	struct kernfs_node *kn;

	WRITE_ONCE(kd->notify_last, local_clock());
	what = atomic_xchg(&kd->notify_pending, 0);
	/* NULL only in the instant between device_add() and kdemo_sysfs_add() */
	kn = READ_ONCE(kd->kn_message);
	if (kn && (what & KDEMO_CHANGED_MSG))
		sysfs_notify_dirent(kn);
	kn = READ_ONCE(kd->kn_sum);
	if (kn && (what & KDEMO_CHANGED_ACC))
		sysfs_notify_dirent(kn);
	kn = READ_ONCE(kd->kn_generation);
	if (kn && what)
		sysfs_notify_dirent(kn);
}

/*
 * Tell everyone watching; called after kd->lock is dropped.
 *
 * Pollers of the node sleep on kd->wait and are woken here, at once, and
 * only when there are any. The sysfs notifications are coalesced: the
 * writer records what changed in one atomic and queues the device's work
 * item only if nothing was pending yet (a non-zero @notify_pending means a
 * run of the work that has not yet taken the bits is queued). The work, on
 * an unbound workqueue, takes all pending bits and notifies each changed
 * attribute once, so the last change of a burst is always followed by a run
 * that notifies it. A change more than KDEMO_NOTIFY_GAP_NS after the last
 * run is notified at once; one closer to it waits for the next timer tick,
 * so a stream of changes costs one run (and kernfs' fsnotify work behind
 * it) per tick rather than kworker wake-ups per change (docs/DESIGN.md).
 *
 * Between the two, the netlink event (netlink.c): built and sent here, in
 * the writer's context, only when the monitor group has listeners; it
 * carries the state of the moment it is built, so a burst of changes may
 * announce fewer generations than it made, but always the last one. It goes
 * before the sysfs work is queued: waking a kworker may hand it the CPU
 * before the writer has sent the event (event wake-up 1.49x a node poll()
 * wake-up on another CPU when it went last, 1.05x and 1.09x before the
 * work: docs/BENCHMARKS.md).
 */
static void kdemo_changed(struct kdemo_dev *kd, unsigned int what)
{
	unsigned long delay;

	if (wq_has_sleeper(&kd->wait))
		wake_up_interruptible_poll(&kd->wait,
					   EPOLLIN | EPOLLRDNORM | EPOLLPRI);
	kdemo_nl_notify(kd);
	/* a full barrier: the change is visible before the work can run */
	if (!atomic_fetch_or(what, &kd->notify_pending)) {
		delay = local_clock() - READ_ONCE(kd->notify_last) <
			KDEMO_NOTIFY_GAP_NS;
		queue_delayed_work(system_unbound_wq, &kd->notify_work, delay);
	}
}

/*
 * Small messages live in objects of one size, and a device keeps one spare:
 * a stream of small SET_MSGs swaps two objects and never reaches the
 * allocator, which otherwise costs more than the rest of the call together
 * (a 16-byte SET_MSG took 3.4x the null ioctl, an empty one 1.45x: one
 * guest run, docs/BENCHMARKS.md). A recycled object is type-stable memory:
 * a reader that found it through a stale pointer either fails to take a
 * reference (the count is 0) or takes one and then sees the sequence
 * counter changed, and lets it go (kdemo_msg_get()).
 */
#define KDEMO_MSG_SMALL_SIZE 256
#define KDEMO_MSG_SMALL \
	(KDEMO_MSG_SMALL_SIZE - offsetof(struct kdemo_message, data))

/*
 * An object for a message of @len bytes, with no reference yet. @gfp is
 * GFP_KERNEL_ACCOUNT, or GFP_NOWAIT's equivalent for a caller that must
 * not sleep in reclaim (kvmalloc() then tries kmalloc() only).
 */
static struct kdemo_message *kdemo_msg_alloc(struct kdemo_dev *kd, size_t len,
					     gfp_t gfp)
{
	struct kdemo_message *m;

	if (len <= KDEMO_MSG_SMALL) {
		m = xchg(&kd->msg_spare, NULL);
		if (!m) {
			m = kmalloc(KDEMO_MSG_SMALL_SIZE, gfp);
			if (m)
				m->cap = KDEMO_MSG_SMALL;
		}
		return m;
	}
	m = kvmalloc(struct_size(m, data, len), gfp);
	if (m)
		m->cap = len;
	return m;
}

/*
 * An object nobody holds a reference to: the device's spare if it is small
 * and there is none yet, else freed after a grace period (readers may still
 * be looking at it under RCU).
 */
static void kdemo_msg_free(struct kdemo_dev *kd, struct kdemo_message *m)
{
	if (m->cap == KDEMO_MSG_SMALL && !cmpxchg(&kd->msg_spare, NULL, m))
		return;
	kvfree_rcu(m, rcu);
}

/**
 * kdemo_msg_put - drop a reference to a message
 * @kd: the device of the message
 * @m: the message, or NULL (the empty message)
 */
void kdemo_msg_put(struct kdemo_dev *kd, struct kdemo_message *m)
{
	if (m && refcount_dec_and_test(&m->ref))
		kdemo_msg_free(kd, m);
}

/**
 * kdemo_msg_get - a reference to the current message, without a lock
 * @kd: the device
 * @generation: if not NULL, receives the generation at the moment the
 *	message was current
 *
 * kdemo_state_get() for the callers that want the message and its
 * generation only.
 *
 * Return: the message, to be released with kdemo_msg_put(), or NULL for
 * the empty message.
 */
struct kdemo_message *kdemo_msg_get(struct kdemo_dev *kd, u64 *generation)
{
	struct kdemo_state st;
	struct kdemo_message *m = kdemo_state_get(kd, &st);

	if (generation)
		*generation = st.generation;
	return m;
}

/**
 * kdemo_state_get - the whole state of one moment, without a lock
 * @kd: the device
 * @st: receives sum, count, generation, message length and the generations
 *	of the last message change and of the last accumulator change
 *
 * The message pointer and every scalar are read inside one section of the
 * snapshot's sequence counter, and the reference is taken before the
 * counter is checked again: if it did not move, the message was current all
 * along and is pinned now, with the state it belongs to. A message whose
 * count is already zero was replaced (it is being freed or recycled): the
 * read is retried and finds its successor.
 *
 * Return: the message of that moment, to be released with kdemo_msg_put(),
 * or NULL for the empty message.
 */
struct kdemo_message *kdemo_state_get(struct kdemo_dev *kd,
				      struct kdemo_state *st)
{
	const struct kdemo_snapshot *s = kd->snap;
	struct kdemo_message *m;
	u32 seq;

	rcu_read_lock();
	for (;;) {
		seq = kdemo_snap_read_begin(s);
		m = rcu_dereference(kd->msg);
		st->sum = READ_ONCE(s->sum);
		st->count = READ_ONCE(s->count);
		st->generation = READ_ONCE(s->generation);
		st->msg_len = READ_ONCE(s->msg_len);
		st->msg_generation = READ_ONCE(kd->msg_generation);
		st->acc_generation = READ_ONCE(kd->acc_generation);
		if (m && !refcount_inc_not_zero(&m->ref))
			continue;
		if (!kdemo_snap_read_retry(s, seq))
			break;
		kdemo_msg_put(kd, m);
	}
	rcu_read_unlock();
	return m;
}

/*
 * Take the writers' lock: killably, or with KDEMO_NOWAIT only if it is free.
 * Return: 0, -EINTR (a fatal signal while waiting) or -EAGAIN (held, and
 * the caller may not wait).
 */
static int kdemo_lock(struct kdemo_dev *kd, unsigned int flags)
{
	if (flags & KDEMO_NOWAIT)
		return mutex_trylock(&kd->lock) ? 0 : -EAGAIN;
	return mutex_lock_killable(&kd->lock);
}

/**
 * __kdemo_set_msg - replace the message
 * @kd: the device
 * @from: the new message bytes
 * @text: the bytes come from a text transport: one trailing '\n' is dropped
 * @flags: 0 or KDEMO_NOWAIT
 *
 * The new message is filled before the lock is taken, so a fault leaves the
 * old message in place and readers never see a mix; under the lock only
 * the pointer is swapped. With KDEMO_NOWAIT neither the allocation nor the
 * lock waits: either failing is -EAGAIN, and nothing changes.
 *
 * Return: 0, -EMSGSIZE if the message is longer than msg_max, -ENOMEM,
 * -EFAULT if @from cannot be read, -EINTR if a fatal signal came while
 * waiting for the lock, or -EAGAIN (KDEMO_NOWAIT only).
 */
int __kdemo_set_msg(struct kdemo_dev *kd, struct iov_iter *from, bool text,
		    unsigned int flags)
{
	size_t len = iov_iter_count(from);
	struct kdemo_message *m = NULL, *old;
	int ret;

	if (len > kd->msg_max + text)
		return -EMSGSIZE;
	if (len) {
		m = kdemo_msg_alloc(kd, len, flags & KDEMO_NOWAIT ?
				    GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN :
				    GFP_KERNEL_ACCOUNT);
		if (!m)
			return flags & KDEMO_NOWAIT ? -EAGAIN : -ENOMEM;
		/* no reference yet: a stale reader cannot take one and look */
		if (!copy_from_iter_full(m->data, len, from)) {
			kdemo_msg_free(kd, m);
			return -EFAULT;
		}
		if (text && m->data[len - 1] == '\n')
			len--;
		if (len > kd->msg_max || !len) {
			kdemo_msg_free(kd, m);
			if (len)
				return -EMSGSIZE;
			m = NULL;
		} else {
			m->len = len;
			refcount_set(&m->ref, 1);
		}
	}

	ret = kdemo_lock(kd, flags);
	if (ret) {
		kdemo_msg_put(kd, m);
		return ret;
	}
	kdemo_snap_write_begin(kd->snap);
	old = rcu_replace_pointer(kd->msg, m, lockdep_is_held(&kd->lock));
	kdemo_commit(kd, kd->snap->sum, kd->snap->count, len,
		     KDEMO_CHANGED_MSG);
	kdemo_snap_write_end(kd->snap);
	mutex_unlock(&kd->lock);

	kdemo_msg_put(kd, old);
	dev_dbg(kd->dev, "message set (%zu bytes)\n", len);
	kdemo_changed(kd, KDEMO_CHANGED_MSG);
	return 0;
}

/**
 * kdemo_get_msg - copy the message out
 * @kd: the device
 * @to: where to copy it; its size is the capacity
 * @len: receives the message length, also when the capacity is too small
 * @generation: if not NULL, receives the generation of the moment the
 *	message was current
 *
 * Takes no lock: the copy, which may fault and sleep for as long as the
 * owner of the destination wants, works on a reference to the message.
 *
 * Return: 0, -ERANGE if @to cannot hold the message (nothing is copied), or
 * -EFAULT.
 */
int kdemo_get_msg(struct kdemo_dev *kd, struct iov_iter *to, size_t *len,
		  u64 *generation)
{
	struct kdemo_message *m = kdemo_msg_get(kd, generation);
	int ret = 0;

	*len = m ? m->len : 0;
	if (*len > iov_iter_count(to))
		ret = -ERANGE;
	else if (m && copy_to_iter(m->data, *len, to) != *len)
		ret = -EFAULT;
	kdemo_msg_put(kd, m);
	return ret;
}

/*
 * What a list of values does to a sum, worked out before the lock is taken:
 * its total and the lowest and highest of its running sums (the empty
 * prefix, 0, included), in 128-bit arithmetic, which no list of at most
 * KDEMO_BATCH_MAX 64-bit values can overflow. Adding the list to a sum S
 * one value at a time stays within the signed 64-bit range exactly when
 * S + @lo and S + @hi do, so under the lock the decision takes constant time.
 */
struct kdemo_batch_sum {
	__int128 total;
	__int128 lo;
	__int128 hi;
	size_t n;
};

static __always_inline void kdemo_batch_step(__int128 *total,
					     __int128 *lo, __int128 *hi,
					     s64 v)
{
	*total += v;
	if (*total < *lo)
		*lo = *total;
	if (*total > *hi)
		*hi = *total;
}

/*
 * Add the summarised list to the state, all or nothing. Return: 0, -ERANGE
 * (a running sum or the count would overflow; nothing changes), -EINTR or
 * -EAGAIN (KDEMO_NOWAIT and the lock is held).
 */
static int kdemo_add_commit(struct kdemo_dev *kd,
			    const struct kdemo_batch_sum *b, unsigned int flags)
{
	struct kdemo_snapshot *s = kd->snap;
	u64 count;
	s64 sum;
	int ret;

	ret = kdemo_lock(kd, flags);
	if (ret)
		return ret;
	sum = s->sum;
	if (sum + b->lo < S64_MIN || sum + b->hi > S64_MAX ||
	    check_add_overflow(s->count, (u64)b->n, &count)) {
		ret = -ERANGE;
	} else {
		sum += (s64)b->total;
		kdemo_snap_write_begin(s);
		kdemo_commit(kd, sum, count, s->msg_len, KDEMO_CHANGED_ACC);
		kdemo_snap_write_end(s);
	}
	mutex_unlock(&kd->lock);
	if (ret)
		return ret;

	dev_dbg(kd->dev, "added %zu value(s): sum %lld, count %llu\n", b->n,
		sum, count);
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
 * __kdemo_add - add a list of values, all or nothing
 * @kd: the device
 * @values: the values, in kernel memory
 * @n: how many
 * @flags: 0 or KDEMO_NOWAIT
 *
 * The values are added as if one at a time; the state changes only if no
 * running sum overflows.
 *
 * Return: 0, -EINVAL (@n is 0), -E2BIG (more than KDEMO_BATCH_MAX values),
 * -ERANGE (a running sum or the count would overflow), -EINTR, or -EAGAIN
 * (KDEMO_NOWAIT and another writer holds the lock; nothing changes).
 */
int __kdemo_add(struct kdemo_dev *kd, const s64 *values, size_t n,
		unsigned int flags)
{
	struct kdemo_batch_sum b = { .n = n };
	size_t i;
	int ret;

	ret = kdemo_add_check(n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		kdemo_batch_step(&b.total, &b.lo, &b.hi, values[i]);
	return kdemo_add_commit(kd, &b, flags);
}

/* Values summarised per user-access section of kdemo_batch_sum_user(). */
#define KDEMO_BATCH_CHUNK 512

/*
 * Summarise @n values in user memory into @b, reading each exactly once.
 * They are read in chunks, each in one user-access section: for
 * KDEMO_BATCH_MAX values that is several times faster than copying them
 * first under QEMU's TCG, which emulates copy_from_user()'s "rep movsb" a
 * byte at a time (docs/BENCHMARKS.md), and no slower elsewhere. No lock is
 * held: a page fault here may take as long as the memory's owner wants.
 */
static int kdemo_batch_sum_user(struct kdemo_batch_sum *b,
				const s64 __user *values, size_t n)
{
	__int128 total = 0, lo = 0, hi = 0;
	size_t i = 0, end;
	s64 v;

	while (i < n) {
		end = min(n, i + KDEMO_BATCH_CHUNK);
		if (!user_read_access_begin(&values[i],
					    (end - i) * sizeof(*values)))
			return -EFAULT;
		for (; i < end; i++) {
			unsafe_get_user(v, &values[i], fault);
			kdemo_batch_step(&total, &lo, &hi, v);
		}
		user_read_access_end();
		cond_resched();
	}
	b->total = total;
	b->lo = lo;
	b->hi = hi;
	return 0;
fault:
	user_read_access_end();
	return -EFAULT;
}

/**
 * __kdemo_add_user - __kdemo_add() for values in user memory
 * @kd: the device
 * @values: the values
 * @n: how many
 * @flags: 0 or KDEMO_NOWAIT
 *
 * Return: as __kdemo_add(), or -EFAULT if any value cannot be read; nothing
 * changes then either.
 */
int __kdemo_add_user(struct kdemo_dev *kd, const s64 __user *values,
		     size_t n, unsigned int flags)
{
	struct kdemo_batch_sum b = { .n = n };
	int ret;

	ret = kdemo_add_check(n);
	if (ret)
		return ret;
	ret = kdemo_batch_sum_user(&b, values, n);
	if (ret)
		return ret;
	return kdemo_add_commit(kd, &b, flags);
}

/**
 * __kdemo_reset - zero the accumulator
 * @kd: the device
 * @flags: 0 or KDEMO_NOWAIT
 *
 * Return: 0, -EINTR if a fatal signal came while waiting for the lock, or
 * -EAGAIN (KDEMO_NOWAIT and another writer holds it).
 */
int __kdemo_reset(struct kdemo_dev *kd, unsigned int flags)
{
	struct kdemo_snapshot *s = kd->snap;
	int ret;

	ret = kdemo_lock(kd, flags);
	if (ret)
		return ret;
	kdemo_snap_write_begin(s);
	kdemo_commit(kd, 0, 0, s->msg_len, KDEMO_CHANGED_ACC);
	kdemo_snap_write_end(s);
	mutex_unlock(&kd->lock);

	dev_dbg(kd->dev, "accumulator reset\n");
	kdemo_changed(kd, KDEMO_CHANGED_ACC);
	return 0;
}

/**
 * kdemo_read_sum - sum, count and generation of one moment, without a lock
 * @kd: the device
 * @sum: receives them
 */
void kdemo_read_sum(struct kdemo_dev *kd, struct kdemo_sum *sum)
{
	struct kdemo_snapshot copy;

	kdemo_snap_read(kd, &copy);
	sum->sum = copy.sum;
	sum->count = copy.count;
	sum->generation = copy.generation;
}

/**
 * kdemo_generation - the current generation, without a lock
 * @kd: the device
 *
 * Return: the generation.
 */
u64 kdemo_generation(struct kdemo_dev *kd)
{
	struct kdemo_snapshot copy;

	kdemo_snap_read(kd, &copy);
	return copy.generation;
}

/**
 * kdemo_ops - operations of one transport so far
 * @kd: the device
 * @t: the transport
 *
 * Return: the per-CPU counts added up.
 */
u64 kdemo_ops(struct kdemo_dev *kd, enum kdemo_transport t)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(kd->counters, cpu)->ops[t]);
	return sum;
}

/**
 * kdemo_fill_info - everything struct kdemo_info reports but its size field
 * @kd: the device
 * @info: receives it
 */
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
	info->netlink_ops = kdemo_ops(kd, KDEMO_T_NETLINK);
	info->uring_ops = kdemo_ops(kd, KDEMO_T_URING);
	info->random = get_random_u64();
}

/**
 * kdemo_core_init - set up the state of a new device
 * @kd: the device, zeroed
 * @msg_max: largest message
 *
 * Return: 0 or -ENOMEM.
 */
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
	mutex_init(&kd->nl_lock);
	init_waitqueue_head(&kd->wait);
	INIT_DELAYED_WORK(&kd->notify_work, kdemo_notify_workfn);
	return 0;
}

/**
 * kdemo_core_stop - drop the notifications still pending
 * @kd: the device, which no transport can reach any more
 *
 * Called once the last caller that could change the state is gone; the
 * work item is module code and must not run after the module.
 */
void kdemo_core_stop(struct kdemo_dev *kd)
{
	cancel_delayed_work_sync(&kd->notify_work);
}

/**
 * kdemo_core_release - free what kdemo_core_init() and the setters allocated
 * @kd: the device, stopped
 */
void kdemo_core_release(struct kdemo_dev *kd)
{
	struct kdemo_message *spare;

	free_percpu(kd->counters);
	kdemo_msg_put(kd, rcu_dereference_protected(kd->msg, true));
	spare = xchg(&kd->msg_spare, NULL);
	if (spare)
		kvfree_rcu(spare, rcu);
	free_page((unsigned long)kd->snap);
	mutex_destroy(&kd->nl_lock);
	mutex_destroy(&kd->lock);
}
