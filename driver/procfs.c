// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the procfs transport: /proc/kdemo/kdemoN/
 *
 * Every file is a seq_file opened with single_open(): a read at offset 0
 * generates the whole text once, and reads of any size and offset are served
 * from that copy, so one-byte reads reassemble exactly the same text. A
 * write carries a whole value: it must start at offset 0 (else EINVAL, so a
 * write split in two is refused instead of silently losing its first half)
 * and may not be empty; pwrite() at offset 0 is allowed.
 */
#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "internal.h"

/**
 * struct kdemo_proc_file - one file of /proc/kdemo/kdemoN
 * @name: file name
 * @mode: file mode
 * @show: generates the content; NULL for a write-only file
 * @write: handles one write(2) of @len bytes at offset 0; NULL for a
 *	read-only file
 */
struct kdemo_proc_file {
	const char *name;
	umode_t mode;
	int (*show)(struct seq_file *m, struct kdemo_dev *kd);
	int (*write)(struct kdemo_dev *kd, const char __user *ubuf, size_t len);
};

static struct proc_dir_entry *kdemo_proc_root;

static int kdemo_proc_message_show(struct seq_file *m, struct kdemo_dev *kd)
{
	size_t size;
	ssize_t len;
	char *buf;

	size = seq_get_buf(m, &buf);
	len = kdemo_text_read_msg(kd, buf, 0, size, size);
	if (len == -ERANGE) {
		/* seq_read() retries with a buffer twice as big */
		seq_commit(m, -1);
		return 0;
	}
	if (len < 0)
		return len;
	seq_commit(m, len);
	return 0;
}

static int kdemo_proc_message_write(struct kdemo_dev *kd,
				    const char __user *ubuf, size_t len)
{
	struct iov_iter from;

	iov_iter_ubuf(&from, ITER_SOURCE, (char __user *)ubuf, len);
	return kdemo_set_msg(kd, &from, true);
}

static int kdemo_proc_sum_show(struct seq_file *m, struct kdemo_dev *kd)
{
	struct kdemo_sum sum;

	kdemo_read_sum(kd, &sum);
	seq_printf(m, "%lld\n", sum.sum);
	return 0;
}

static int kdemo_proc_count_show(struct seq_file *m, struct kdemo_dev *kd)
{
	struct kdemo_sum sum;

	kdemo_read_sum(kd, &sum);
	seq_printf(m, "%llu\n", sum.count);
	return 0;
}

/* Copy the numbers written into the kernel and add them. */
static int kdemo_proc_sum_write(struct kdemo_dev *kd, const char __user *ubuf,
				size_t len)
{
	char *buf;
	int ret;

	if (len > KDEMO_TEXT_WRITE_MAX)
		return -E2BIG;
	buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	ret = -EFAULT;
	if (!copy_from_user(buf, ubuf, len))
		ret = kdemo_text_add(kd, buf, len);
	kvfree(buf);
	return ret;
}

/* Only "1" or "1\n" is a reset: nothing longer is copied at all. */
static int kdemo_proc_reset_write(struct kdemo_dev *kd,
				  const char __user *ubuf, size_t len)
{
	char buf[KDEMO_TEXT_RESET_MAX];

	if (len > sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	return kdemo_text_reset(kd, buf, len);
}

static int kdemo_proc_info_show(struct seq_file *m, struct kdemo_dev *kd)
{
	struct kdemo_info info;

	kdemo_fill_info(kd, &info);
	/* one call, one pass over one format: the file is read in loops */
	seq_printf(m,
		   "driver: %s\nversion: %s\nabi: %u\ndevice: %s\n"
		   "msg_max: %llu\nmsg_len: %llu\nsum: %lld\ncount: %llu\n"
		   "generation: %llu\nopens: %llu\nioctl_ops: %llu\n"
		   "sysfs_ops: %llu\nproc_ops: %llu\nnetlink_ops: %llu\n"
		   "uring_ops: %llu\nrandom: %llu\n",
		   info.driver, info.version, info.abi_version, info.device,
		   info.msg_max, info.msg_len, info.sum, info.count,
		   info.generation, info.opens, info.ioctl_ops, info.sysfs_ops,
		   info.proc_ops, info.netlink_ops, info.uring_ops, info.random);
	return 0;
}

static const struct kdemo_proc_file kdemo_proc_files[] = {
	{ "message", 0644, kdemo_proc_message_show, kdemo_proc_message_write },
	{ "sum", 0644, kdemo_proc_sum_show, kdemo_proc_sum_write },
	{ "count", 0444, kdemo_proc_count_show, NULL },
	{ "reset", 0200, NULL, kdemo_proc_reset_write },
	{ "info", 0444, kdemo_proc_info_show, NULL },
};

static_assert(ARRAY_SIZE(kdemo_proc_files) == KDEMO_PROC_FILES);

static int kdemo_proc_show(struct seq_file *m, void *v)
{
	const struct kdemo_proc_entry *pe = m->private;

	/*
	 * A write-only file cannot be opened for reading, but lseek() on it
	 * still walks the seq_file: give it no content.
	 */
	if (!pe->file->show)
		return 0;
	return pe->file->show(m, pe->kd);
}

static int kdemo_proc_open(struct inode *inode, struct file *file)
{
	const struct kdemo_proc_entry *pe = pde_data(inode);
	int ret;

	/* as kernfs does: no read side without show, no write side without write */
	if (((file->f_mode & FMODE_READ) && !pe->file->show) ||
	    ((file->f_mode & FMODE_WRITE) && !pe->file->write))
		return -EACCES;
	ret = single_open(file, kdemo_proc_show, (void *)pe);
	/*
	 * seq_open() clears FMODE_PWRITE because seq_file has no use for it,
	 * but writes here are whole values at offset 0: pwrite(fd, buf, n, 0)
	 * lets a program keep the file open and write again with one call.
	 */
	if (!ret)
		file->f_mode |= FMODE_PWRITE;
	return ret;
}

static ssize_t kdemo_proc_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct seq_file *m = iocb->ki_filp->private_data;
	const struct kdemo_proc_entry *pe = m->private;

	/* a read at offset 0 generates the text anew: count that */
	if (!iocb->ki_pos)
		kdemo_count_op(pe->kd, KDEMO_T_PROC);
	return seq_read_iter(iocb, to);
}

static ssize_t kdemo_proc_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	const struct kdemo_proc_entry *pe = m->private;
	int ret;

	if (*ppos || !len)
		return -EINVAL;
	kdemo_count_op(pe->kd, KDEMO_T_PROC);
	ret = pe->file->write(pe->kd, ubuf, len);
	if (ret)
		return ret;
	*ppos += len;
	return len;
}

static const struct proc_ops kdemo_proc_ops = {
	.proc_open = kdemo_proc_open,
	.proc_read_iter = kdemo_proc_read_iter,
	.proc_write = kdemo_proc_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

int kdemo_proc_add(struct kdemo_dev *kd)
{
	unsigned int i;

	kd->proc_dir = proc_mkdir(dev_name(kd->dev), kdemo_proc_root);
	if (!kd->proc_dir)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(kdemo_proc_files); i++) {
		kd->proc[i].kd = kd;
		kd->proc[i].file = &kdemo_proc_files[i];
		if (!proc_create_data(kdemo_proc_files[i].name,
				      kdemo_proc_files[i].mode, kd->proc_dir,
				      &kdemo_proc_ops, &kd->proc[i])) {
			proc_remove(kd->proc_dir);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Waits for running proc calls and closes the open files' seq_files, so
 * nothing reaches @kd through proc afterwards.
 */
void kdemo_proc_remove(struct kdemo_dev *kd)
{
	proc_remove(kd->proc_dir);
}

int kdemo_proc_init(void)
{
	kdemo_proc_root = proc_mkdir(KDEMO_NAME, NULL);
	return kdemo_proc_root ? 0 : -ENOMEM;
}

void kdemo_proc_exit(void)
{
	proc_remove(kdemo_proc_root);
}
