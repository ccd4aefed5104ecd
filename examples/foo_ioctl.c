// SPDX-License-Identifier: GPL-2.0
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "foo_drv.h"

long foo_ioctl_get_mode(struct foo_drv *drv, u32 __user *umode)
{
	long ret;

	mutex_lock(&drv->state_lock);
	/*
	 * fault-under-lock: put_user() may fault and take mmap_lock while
	 * state_lock is held (state_lock -> mmap_lock). If anything ever takes
	 * state_lock under mmap_lock (an mmap or fault handler), that is a
	 * deadlock. Fix: read drv->mode into a local, unlock, then put_user().
	 */
	ret = put_user(drv->mode, umode);
	mutex_unlock(&drv->state_lock);
	return ret;
}

long foo_ioctl_set_config(struct foo_drv *drv, const void __user *ubuf,
			  size_t len)
{
	void *buf, *old;

	/* Copying in before taking the lock is the right way round. */
	buf = memdup_user(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	mutex_lock(&drv->state_lock);
	if (drv->mode == FOO_MODE_OFF) {
		kfree(buf);
		/*
		 * lock-imbalance: this error path returns with state_lock still
		 * held, the success path releases it. Fix: unlock before the
		 * return, or goto a common out_unlock label.
		 */
		return -EBUSY;
	}
	old = drv->config;
	drv->config = buf;
	kfree(drv->shadow);
	/*
	 * reclaim-under-lock: a GFP_KERNEL allocation may enter direct reclaim
	 * (fs_reclaim) with state_lock held; if a shrinker or mmu notifier ever
	 * needs state_lock, reclaim deadlocks. Fix: allocate before
	 * mutex_lock() and only publish the pointer under the lock.
	 */
	drv->shadow = kzalloc(len, GFP_KERNEL);
	mutex_unlock(&drv->state_lock);
	kfree(old);
	return 0;
}
