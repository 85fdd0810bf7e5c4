// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - module parameters, the class and the lifecycle of the devices
 *
 * Each device is a struct device embedded in struct kdemo_dev with its cdev
 * added through cdev_device_add(), so an open file keeps the device alive;
 * the file operations' owner keeps the module loaded (rmmod: EBUSY) while
 * any node is open. Init unwinds exactly what it did, in reverse; exit
 * mirrors init.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "internal.h"

static unsigned int ndevs = 1;
module_param(ndevs, uint, 0444);
MODULE_PARM_DESC(ndevs, "number of devices /dev/kdemoN to create (1..64, default 1)");

static unsigned int msg_max = 4095;
module_param(msg_max, uint, 0444);
MODULE_PARM_DESC(msg_max, "largest message in bytes (1..1048576, default 4095)");

static struct class kdemo_class = {
	.name = KDEMO_NAME,
	.dev_groups = kdemo_groups,
};

static dev_t kdemo_devt;
static struct kdemo_dev **kdemo_devs;

static void kdemo_dev_release(struct device *dev)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);

	kdemo_core_release(kd);
	kfree(kd);
}

static struct kdemo_dev *kdemo_create(unsigned int index)
{
	struct kdemo_dev *kd;
	int ret;

	kd = kzalloc(sizeof(*kd), GFP_KERNEL);
	if (!kd)
		return ERR_PTR(-ENOMEM);
	ret = kdemo_core_init(kd, msg_max);
	if (ret) {
		kfree(kd);
		return ERR_PTR(ret);
	}

	/* from here on, put_device() frees everything through the release */
	device_initialize(&kd->dev);
	kd->dev.class = &kdemo_class;
	kd->dev.devt = MKDEV(MAJOR(kdemo_devt), index);
	kd->dev.release = kdemo_dev_release;
	ret = dev_set_name(&kd->dev, KDEMO_NAME "%u", index);
	if (ret)
		goto err_put;

	cdev_init(&kd->cdev, &kdemo_fops);
	kd->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&kd->cdev, &kd->dev);
	if (ret)
		goto err_put;
	ret = kdemo_sysfs_add(kd);
	if (ret)
		goto err_del;
	ret = kdemo_proc_add(kd);
	if (ret)
		goto err_sysfs;
	return kd;

err_sysfs:
	cdev_device_del(&kd->cdev, &kd->dev);
	kdemo_sysfs_remove(kd);
	goto err_put;
err_del:
	cdev_device_del(&kd->cdev, &kd->dev);
err_put:
	put_device(&kd->dev);
	return ERR_PTR(ret);
}

static void kdemo_destroy(struct kdemo_dev *kd)
{
	kdemo_proc_remove(kd);
	cdev_device_del(&kd->cdev, &kd->dev);	/* drains sysfs callers */
	kdemo_sysfs_remove(kd);
	put_device(&kd->dev);
}

static int __init kdemo_init(void)
{
	unsigned int i;
	int ret;

	if (ndevs < 1 || ndevs > KDEMO_NDEVS_MAX) {
		pr_err("ndevs=%u is out of range (1..%u)\n", ndevs,
		       KDEMO_NDEVS_MAX);
		return -EINVAL;
	}
	if (msg_max < 1 || msg_max > KDEMO_MSG_MAX_LIMIT) {
		pr_err("msg_max=%u is out of range (1..%u)\n", msg_max,
		       KDEMO_MSG_MAX_LIMIT);
		return -EINVAL;
	}

	ret = alloc_chrdev_region(&kdemo_devt, 0, ndevs, KDEMO_NAME);
	if (ret)
		return ret;
	ret = class_register(&kdemo_class);
	if (ret)
		goto err_region;
	ret = kdemo_proc_init();
	if (ret)
		goto err_class;
	kdemo_devs = kcalloc(ndevs, sizeof(*kdemo_devs), GFP_KERNEL);
	if (!kdemo_devs) {
		ret = -ENOMEM;
		goto err_proc;
	}
	for (i = 0; i < ndevs; i++) {
		kdemo_devs[i] = kdemo_create(i);
		if (IS_ERR(kdemo_devs[i])) {
			ret = PTR_ERR(kdemo_devs[i]);
			goto err_devs;
		}
	}

	pr_info("version %s loaded: %u device(s), msg_max %u, ABI %d\n",
		KDEMO_VERSION, ndevs, msg_max, KDEMO_ABI_VERSION);
	return 0;

err_devs:
	while (i--)
		kdemo_destroy(kdemo_devs[i]);
	kfree(kdemo_devs);
err_proc:
	kdemo_proc_exit();
err_class:
	class_unregister(&kdemo_class);
err_region:
	unregister_chrdev_region(kdemo_devt, ndevs);
	return ret;
}

static void __exit kdemo_exit(void)
{
	unsigned int i = ndevs;

	while (i--)
		kdemo_destroy(kdemo_devs[i]);
	kfree(kdemo_devs);
	kdemo_proc_exit();
	class_unregister(&kdemo_class);
	unregister_chrdev_region(kdemo_devt, ndevs);
	pr_info("unloaded\n");
}

module_init(kdemo_init);
module_exit(kdemo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kdemo developers");
MODULE_DESCRIPTION("Demonstrates ioctl, sysfs, procfs, poll and mmap side by side");
MODULE_VERSION(KDEMO_VERSION);
