/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdemo - definitions shared by the files of the module
 *
 * core.c owns the state of a device and its rules; chrdev.c (ioctl, poll,
 * mmap), uring.c (io_uring passthrough), sysfs.c, procfs.c and netlink.c
 * (generic netlink) are transports: they parse, call the core and format.
 * text.c holds what sysfs and procfs share (number lists, newlines).
 */
#ifndef KDEMO_INTERNAL_H
#define KDEMO_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/kdemo.h>

#define KDEMO_NAME "kdemo"
#define KDEMO_VERSION "1.0.0"
#define KDEMO_NDEVS_MAX 64

/* The transports whose operations the device counts. */
enum kdemo_transport {
	KDEMO_T_IOCTL,
	KDEMO_T_SYSFS,
	KDEMO_T_PROC,
	KDEMO_T_NETLINK,
	KDEMO_T_URING,
	KDEMO_NR_TRANSPORTS,
};

/*
 * Operations handled per transport, counted per CPU: an ioctl on one CPU does
 * not write a cache line every other CPU reads (kdemo_ops() sums them).
 */
struct kdemo_counters {
	u64 ops[KDEMO_NR_TRANSPORTS];
};

/* What a change changed: kdemo_changed() and struct kdemo_dev's generations. */
enum kdemo_change_bits {
	KDEMO_CHANGED_MSG = BIT(0),
	KDEMO_CHANGED_ACC = BIT(1),
};

/**
 * struct kdemo_state - the state of one moment, from kdemo_state_get()
 * @sum: the accumulator
 * @count: values added since the last reset
 * @generation: the generation
 * @msg_len: the message length
 * @msg_generation: the generation of the last message change (0: none yet)
 * @acc_generation: the generation of the last accumulator change
 */
struct kdemo_state {
	s64 sum;
	u64 count;
	u64 generation;
	u64 msg_len;
	u64 msg_generation;
	u64 acc_generation;
};

/* The proc files of one device: where procfs.c keeps its per-file data. */
#define KDEMO_PROC_FILES 5

struct kdemo_dev;

struct kdemo_proc_entry {
	struct kdemo_dev *kd;
	const struct kdemo_proc_file *file;
};

/**
 * struct kdemo_message - one message, immutable once published
 * @ref: the device's reference (while it is the current message) and one
 *	per reader copying it out
 * @rcu: the message is freed (kvfree_rcu()) a grace period after its last
 *	reference went, because readers find it under RCU; a small one may be
 *	kept as the device's spare instead (see core.c)
 * @len: length of @data in bytes (1..msg_max: the empty message is NULL)
 * @cap: room in @data
 * @data: the bytes
 */
struct kdemo_message {
	refcount_t ref;
	struct rcu_head rcu;
	size_t len;
	size_t cap;
	char data[];
};

/**
 * struct kdemo_dev - one /dev/kdemoN instance
 * @dev: the device (driver-core owned, released by the core), drvdata @kd
 * @lock: serialises the writers (set message, add, reset); held only for
 *	the few stores that publish a change, never across user memory,
 *	an allocation or anything that sleeps
 * @msg: the current message, NULL when empty; replaced under @lock and the
 *	sequence counter of @snap, read under RCU (see core.c)
 * @snap: the page mmap() exposes; the only copy of sum, count, generation
 *	and message length. Written under @lock, read locklessly through its
 *	sequence counter (see core.c).
 * @msg_spare: a small message object nobody uses, for the next SET_MSG
 * @msg_max: largest message, from the module parameter
 * @msg_generation: generation of the last message change; written with the
 *	snapshot, under @lock and its sequence counter
 * @acc_generation: generation of the last accumulator change, likewise
 * @nl_lock: orders the netlink notifications of the device (netlink.c);
 *	never held with @lock
 * @nl_sent: the generation of the last netlink notification, under @nl_lock
 * @wait: woken after every change (poll on the node)
 * @opens: file descriptions currently open on the node
 * @counters: operations handled, per transport, per CPU
 * @notify_pending: KDEMO_CHANGED_* bits of the changes whose sysfs
 *	notification @notify_work has still to send
 * @notify_work: sends the sysfs notifications of a burst of changes once
 * @notify_last: local_clock() when @notify_work last ran
 * @kn_message: sysfs node of "message", for sysfs_notify_dirent()
 * @kn_sum: sysfs node of "sum"
 * @kn_generation: sysfs node of "generation"
 * @proc_dir: /proc/kdemo/kdemoN
 * @proc: per-file data of the entries in @proc_dir
 */
struct kdemo_dev {
	struct device *dev;
	struct mutex lock; /* serialises the writers */
	struct kdemo_message __rcu *msg;
	struct kdemo_message *msg_spare;
	struct kdemo_snapshot *snap;
	size_t msg_max;
	u64 msg_generation;
	u64 acc_generation;
	struct mutex nl_lock; /* orders the netlink notifications */
	u64 nl_sent;
	wait_queue_head_t wait;
	atomic64_t opens;
	struct kdemo_counters __percpu *counters;
	atomic_t notify_pending;
	struct delayed_work notify_work;
	u64 notify_last;
	struct kernfs_node *kn_message;
	struct kernfs_node *kn_sum;
	struct kernfs_node *kn_generation;
	struct proc_dir_entry *proc_dir;
	struct kdemo_proc_entry proc[KDEMO_PROC_FILES];
};

static inline struct kdemo_dev *to_kdemo_dev(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/**
 * struct kdemo_file - one open file description of the node
 * @kd: the device
 * @seen: the generation this file last reported to user space; poll()
 *	signals a change while the device's generation differs from it
 */
struct kdemo_file {
	struct kdemo_dev *kd;
	u64 seen;
};

static inline void kdemo_file_saw(struct kdemo_file *kf, u64 generation)
{
	WRITE_ONCE(kf->seen, generation);
}

/* chrdev.c: the command table ioctl() and io_uring's uring_cmd share */
#define KDEMO_CMD_F_WRITE BIT(0) /* changes state: needs FMODE_WRITE */
#define KDEMO_CMD_F_SIZED BIT(1) /* struct carries its size: ignore size bits */

/**
 * struct kdemo_cmd_desc - one command of the table
 * @cmd: its ioctl number, also the cmd_op of an io_uring command
 * @flags: KDEMO_CMD_F_*
 * @fn: the handler; @arg is the ioctl's argument, a user pointer, @flags 0
 *	or KDEMO_NOWAIT (io_uring's inline issue), handed to the core
 */
struct kdemo_cmd_desc {
	unsigned int cmd;
	unsigned int flags;
	long (*fn)(struct kdemo_file *kf, void __user *arg, unsigned int flags);
};

const struct kdemo_cmd_desc *kdemo_cmd_find(unsigned int cmd);

/* The permission rule of every path: a mutation needs a writable file. */
static inline int kdemo_cmd_permit(const struct kdemo_cmd_desc *desc,
				   const struct file *file)
{
	if ((desc->flags & KDEMO_CMD_F_WRITE) && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	return 0;
}

int kdemo_cmd_get_sum(struct kdemo_file *kf, struct kdemo_sum __user *usum,
		      struct kdemo_sum *sum);

/* uring.c */
struct io_uring_cmd;
int kdemo_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* main.c */
struct kdemo_dev *kdemo_lookup(unsigned int minor);

/* core.c: the state and its rules */
int kdemo_core_init(struct kdemo_dev *kd, size_t msg_max);
void kdemo_core_stop(struct kdemo_dev *kd);
void kdemo_core_release(struct kdemo_dev *kd);
/*
 * Flags of the mutations: KDEMO_NOWAIT asks for -EAGAIN rather than a wait
 * for the writers' lock or for memory reclaim (io_uring's inline issue;
 * uring.c). The plain names wait, killably.
 */
#define KDEMO_NOWAIT BIT(0)
int __kdemo_set_msg(struct kdemo_dev *kd, struct iov_iter *from, bool text,
		    unsigned int flags);
int __kdemo_add(struct kdemo_dev *kd, const s64 *values, size_t n,
		unsigned int flags);
int __kdemo_add_user(struct kdemo_dev *kd, const s64 __user *values,
		     size_t n, unsigned int flags);
int __kdemo_reset(struct kdemo_dev *kd, unsigned int flags);

static inline int kdemo_set_msg(struct kdemo_dev *kd, struct iov_iter *from,
				bool text)
{
	return __kdemo_set_msg(kd, from, text, 0);
}

static inline int kdemo_add(struct kdemo_dev *kd, const s64 *values, size_t n)
{
	return __kdemo_add(kd, values, n, 0);
}

static inline int kdemo_add_user(struct kdemo_dev *kd,
				 const s64 __user *values, size_t n)
{
	return __kdemo_add_user(kd, values, n, 0);
}

static inline int kdemo_reset(struct kdemo_dev *kd)
{
	return __kdemo_reset(kd, 0);
}

struct kdemo_message *kdemo_msg_get(struct kdemo_dev *kd, u64 *generation);
struct kdemo_message *kdemo_state_get(struct kdemo_dev *kd,
				      struct kdemo_state *st);
void kdemo_msg_put(struct kdemo_dev *kd, struct kdemo_message *m);
int kdemo_get_msg(struct kdemo_dev *kd, struct iov_iter *to, size_t *len,
		  u64 *generation);
void kdemo_read_sum(struct kdemo_dev *kd, struct kdemo_sum *sum);
u64 kdemo_generation(struct kdemo_dev *kd);
void kdemo_fill_info(struct kdemo_dev *kd, struct kdemo_info *info);

static inline void kdemo_count_op(struct kdemo_dev *kd,
				  enum kdemo_transport t)
{
	this_cpu_inc(kd->counters->ops[t]);
}

u64 kdemo_ops(struct kdemo_dev *kd, enum kdemo_transport t);

/* text.c: what the text transports (sysfs, proc) share */
#define KDEMO_TEXT_WRITE_MAX (128 * 1024)
int kdemo_text_add(struct kdemo_dev *kd, const char *buf, size_t len);
int kdemo_text_reset(struct kdemo_dev *kd, const char *buf, size_t len);
#define KDEMO_TEXT_RESET_MAX 2 /* "1\n" */
ssize_t kdemo_text_read_msg(struct kdemo_dev *kd, char *buf, loff_t off,
			    size_t count, size_t max);

/* transports */
extern const struct file_operations kdemo_fops;
extern const struct attribute_group *kdemo_groups[];
int kdemo_sysfs_add(struct kdemo_dev *kd);
void kdemo_sysfs_remove(struct kdemo_dev *kd);
int kdemo_nl_init(void);
void kdemo_nl_exit(void);
void kdemo_nl_notify(struct kdemo_dev *kd);
int kdemo_proc_init(void);
void kdemo_proc_exit(void);
int kdemo_proc_add(struct kdemo_dev *kd);
void kdemo_proc_remove(struct kdemo_dev *kd);

#endif /* KDEMO_INTERNAL_H */
