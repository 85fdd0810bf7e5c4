// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the character device transport: ioctl, poll and mmap on
 * /dev/kdemoN
 *
 * Commands are looked up in a table indexed by their number (the way DRM
 * does it), which says whether the command changes state (then the file
 * must be open for writing, else EBADF) and whether the size bits of the
 * command are ignored because the structure carries its own size. The
 * io_uring passthrough (uring.c) dispatches through the same table.
 */
#include <linux/fs.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"

static_assert(sizeof(struct kdemo_info) == KDEMO_INFO_SIZE_VER1);
static_assert(sizeof(struct kdemo_snapshot) <= PAGE_SIZE);

static long kdemo_ioctl_get_abi(struct kdemo_file *kf, void __user *arg,
				unsigned int flags)
{
	return put_user((u32)KDEMO_ABI_VERSION, (u32 __user *)arg);
}

static long kdemo_ioctl_get_info(struct kdemo_file *kf, void __user *arg,
				 unsigned int flags)
{
	struct kdemo_info __user *uinfo = arg;
	struct kdemo_info info;
	size_t size;
	u32 usize;

	if (get_user(usize, &uinfo->size))
		return -EFAULT;
	if (usize < KDEMO_INFO_SIZE_VER0 || usize > PAGE_SIZE)
		return -EINVAL;

	kdemo_fill_info(kf->kd, &info);
	size = min_t(size_t, usize, sizeof(info));
	info.size = size;
	if (copy_to_user(uinfo, &info, size))
		return -EFAULT;
	/* a caller built against a larger struct sees zero in what we lack */
	if (usize > size && clear_user((u8 __user *)arg + size, usize - size))
		return -EFAULT;
	kdemo_file_saw(kf, info.generation);
	return 0;
}

/*
 * struct kdemo_msg from user memory with five loads in one user-access
 * section rather than copy_from_user(), whose "rep movsb" QEMU's TCG
 * emulates a byte at a time (docs/BENCHMARKS.md); as fast natively.
 */
static int kdemo_msg_from_user(struct kdemo_msg *m,
			       const struct kdemo_msg __user *u)
{
	if (!user_read_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(m->data, &u->data, efault);
	unsafe_get_user(m->len, &u->len, efault);
	unsafe_get_user(m->flags, &u->flags, efault);
	unsafe_get_user(m->generation, &u->generation, efault);
	unsafe_get_user(m->reserved, &u->reserved, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

static long kdemo_ioctl_get_msg(struct kdemo_file *kf, void __user *arg,
				unsigned int flags)
{
	struct kdemo_msg __user *um = arg;
	struct kdemo_msg m;
	struct iov_iter to;
	size_t len;
	int ret;

	if (kdemo_msg_from_user(&m, um))
		return -EFAULT;
	if (m.flags || m.reserved)
		return -EINVAL;

	iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(m.data), m.len);
	ret = kdemo_get_msg(kf->kd, &to, &len, &m.generation);
	if (ret && ret != -ERANGE)
		return ret;
	/* on ERANGE too: the caller learns the length it needs */
	if (put_user((u32)len, &um->len) ||
	    put_user(m.generation, &um->generation))
		return -EFAULT;
	if (!ret)
		kdemo_file_saw(kf, m.generation);
	return ret;
}

static long kdemo_ioctl_set_msg(struct kdemo_file *kf, void __user *arg,
				unsigned int flags)
{
	struct kdemo_msg m;
	struct iov_iter from;

	if (kdemo_msg_from_user(&m, arg))
		return -EFAULT;
	if (m.flags || m.generation || m.reserved)
		return -EINVAL;

	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(m.data), m.len);
	return __kdemo_set_msg(kf->kd, &from, false, flags);
}

/**
 * kdemo_cmd_get_sum - GET_SUM for the ioctl and io_uring paths
 * @kf: the open file
 * @usum: where to store the result (a NULL pointer is EFAULT, as any address
 *	that cannot be written)
 * @sum: receives the snapshot read
 *
 * The hot read: three stores in one user-access section rather than
 * copy_to_user(), whose "rep movsb" QEMU's TCG emulates a byte at a time
 * (docs/BENCHMARKS.md).
 *
 * Return: 0 or -EFAULT.
 */
int kdemo_cmd_get_sum(struct kdemo_file *kf, struct kdemo_sum __user *usum,
		      struct kdemo_sum *sum)
{
	kdemo_read_sum(kf->kd, sum);
	if (!user_write_access_begin(usum, sizeof(*usum)))
		return -EFAULT;
	unsafe_put_user(sum->sum, &usum->sum, efault);
	unsafe_put_user(sum->count, &usum->count, efault);
	unsafe_put_user(sum->generation, &usum->generation, efault);
	user_write_access_end();
	kdemo_file_saw(kf, sum->generation);
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

static long kdemo_ioctl_get_sum(struct kdemo_file *kf, void __user *arg,
				unsigned int flags)
{
	struct kdemo_sum sum;

	return kdemo_cmd_get_sum(kf, arg, &sum);
}

static long kdemo_ioctl_add(struct kdemo_file *kf, void __user *arg,
			    unsigned int flags)
{
	s64 value;

	if (get_user(value, (s64 __user *)arg))
		return -EFAULT;
	return __kdemo_add(kf->kd, &value, 1, flags);
}

static long kdemo_ioctl_add_batch(struct kdemo_file *kf, void __user *arg,
				  unsigned int flags)
{
	struct kdemo_batch b;

	if (copy_from_user(&b, arg, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.reserved[0] || b.reserved[1] || !b.count)
		return -EINVAL;
	if (b.count > KDEMO_BATCH_MAX)
		return -E2BIG;

	return __kdemo_add_user(kf->kd, u64_to_user_ptr(b.values), b.count,
				flags);
}

static long kdemo_ioctl_reset(struct kdemo_file *kf, void __user *arg,
			      unsigned int flags)
{
	return __kdemo_reset(kf->kd, flags);
}

#define KDEMO_CMD(_cmd, _fn, _flags) \
	[_IOC_NR(_cmd)] = { .cmd = _cmd, .flags = _flags, .fn = _fn }

static const struct kdemo_cmd_desc kdemo_cmds[] = {
	KDEMO_CMD(KDEMO_IOC_GET_ABI, kdemo_ioctl_get_abi, 0),
	KDEMO_CMD(KDEMO_IOC_GET_INFO, kdemo_ioctl_get_info, KDEMO_CMD_F_SIZED),
	KDEMO_CMD(KDEMO_IOC_GET_MSG, kdemo_ioctl_get_msg, 0),
	KDEMO_CMD(KDEMO_IOC_SET_MSG, kdemo_ioctl_set_msg, KDEMO_CMD_F_WRITE),
	KDEMO_CMD(KDEMO_IOC_GET_SUM, kdemo_ioctl_get_sum, 0),
	KDEMO_CMD(KDEMO_IOC_ADD, kdemo_ioctl_add, KDEMO_CMD_F_WRITE),
	KDEMO_CMD(KDEMO_IOC_ADD_BATCH, kdemo_ioctl_add_batch,
		  KDEMO_CMD_F_WRITE),
	KDEMO_CMD(KDEMO_IOC_RESET, kdemo_ioctl_reset, KDEMO_CMD_F_WRITE),
};

/**
 * kdemo_cmd_find - look a command number up in the command table
 * @cmd: an ioctl number (or an io_uring command's cmd_op)
 *
 * The one table both ioctl() and IORING_OP_URING_CMD dispatch through.
 *
 * Return: the command's descriptor, or NULL if @cmd is not a kdemo command
 * (the callers answer -ENOTTY).
 */
const struct kdemo_cmd_desc *kdemo_cmd_find(unsigned int cmd)
{
	const struct kdemo_cmd_desc *desc;
	unsigned int nr = _IOC_NR(cmd);
	unsigned int mask = ~0U;

	if (_IOC_TYPE(cmd) != KDEMO_IOC_MAGIC || nr >= ARRAY_SIZE(kdemo_cmds))
		return NULL;
	desc = &kdemo_cmds[array_index_nospec(nr, ARRAY_SIZE(kdemo_cmds))];
	if (desc->flags & KDEMO_CMD_F_SIZED)
		mask = ~(_IOC_SIZEMASK << _IOC_SIZESHIFT);
	if (!desc->fn || (cmd & mask) != (desc->cmd & mask))
		return NULL;
	return desc;
}

static long kdemo_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	struct kdemo_file *kf = file->private_data;
	const struct kdemo_cmd_desc *desc = kdemo_cmd_find(cmd);
	int ret;

	if (!desc)
		return -ENOTTY;
	kdemo_count_op(kf->kd, KDEMO_T_IOCTL);
	ret = kdemo_cmd_permit(desc, file);
	if (ret)
		return ret;
	/* a direct call for the hot commands when indirect calls are retpolines */
	return INDIRECT_CALL_2(desc->fn, kdemo_ioctl_get_sum, kdemo_ioctl_add,
			       kf, (void __user *)arg, 0);
}

static __poll_t kdemo_poll(struct file *file, poll_table *wait)
{
	struct kdemo_file *kf = file->private_data;

	poll_wait(file, &kf->kd->wait, wait);
	/*
	 * Pairs with the barrier in wq_has_sleeper() on the change side: either
	 * the changer sees us queued, or we see its new generation.
	 */
	smp_mb();
	if (kdemo_generation(kf->kd) != READ_ONCE(kf->seen))
		return EPOLLIN | EPOLLRDNORM | EPOLLPRI;
	return 0;
}

/*
 * The snapshot page is served from the fault handler rather than inserted
 * once at mmap() time, so the mapping behaves like any file mapping: after
 * madvise(MADV_DONTNEED), an mremap() or in a child after fork() the next
 * read faults the page in again instead of raising SIGBUS.
 */
static vm_fault_t kdemo_vm_fault(struct vm_fault *vmf)
{
	struct kdemo_file *kf = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(kf->kd->snap);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kdemo_vm_ops = {
	.fault = kdemo_vm_fault,
};

/*
 * Map the snapshot page read-only and not executable: VM_WRITE or VM_EXEC
 * is EACCES, and VM_MAYWRITE and VM_MAYEXEC are cleared so that mprotect()
 * cannot add either later. The page belongs to the device, which outlives
 * the mapping: the mapping holds the file, the file holds the device and
 * the module.
 */
static int kdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	kdemo_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP,
			   VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &kdemo_vm_ops;
	return 0;
}

static int kdemo_open(struct inode *inode, struct file *file)
{
	struct kdemo_dev *kd = kdemo_lookup(iminor(inode));
	struct kdemo_file *kf;

	if (!kd)
		return -ENXIO;
	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	kf->kd = kd;
	kf->seen = kdemo_generation(kd);
	file->private_data = kf;
	atomic64_inc(&kd->opens);
	return nonseekable_open(inode, file);
}

static int kdemo_release(struct inode *inode, struct file *file)
{
	struct kdemo_file *kf = file->private_data;

	atomic64_dec(&kf->kd->opens);
	kfree(kf);
	return 0;
}

const struct file_operations kdemo_fops = {
	.owner = THIS_MODULE,
	.open = kdemo_open,
	.release = kdemo_release,
	.unlocked_ioctl = kdemo_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = kdemo_poll,
	.mmap = kdemo_mmap,
	.uring_cmd = kdemo_uring_cmd,
};
