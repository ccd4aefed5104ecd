// SPDX-License-Identifier: GPL-2.0
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/stop_machine.h>

#include "foo_drv.h"

void foo_hw_reset(struct foo_drv *drv)
{
	mutex_lock(&drv->hw_lock);
	writel(FOO_CTRL_RESET, drv->regs + FOO_CTRL);
	msleep(10);
	writel(0, drv->regs + FOO_CTRL);
	mutex_unlock(&drv->hw_lock);
}

void foo_reset_work(struct work_struct *work)
{
	struct foo_drv *drv = container_of(work, struct foo_drv, reset_work);

	mutex_lock(&drv->state_lock);
	/*
	 * lock-order-cycle (first half): foo_hw_reset() takes hw_lock while
	 * state_lock is held, so state_lock -> hw_lock. See
	 * foo_hw_apply_mode() for the other half.
	 */
	foo_hw_reset(drv);
	drv->mode = FOO_MODE_OFF;
	mutex_unlock(&drv->state_lock);
}

void foo_hw_apply_mode(struct foo_drv *drv)
{
	mutex_lock(&drv->hw_lock);
	/*
	 * lock-order-cycle (second half): hw_lock -> state_lock here, while
	 * foo_reset_work() does state_lock -> hw_lock. Two threads can each
	 * hold one lock and wait for the other. Fix: always take state_lock
	 * first.
	 */
	mutex_lock(&drv->state_lock);
	writel(drv->mode, drv->regs + FOO_MODE);
	mutex_unlock(&drv->state_lock);
	mutex_unlock(&drv->hw_lock);
}

static int foo_remap_cb(void *data)
{
	struct foo_drv *drv = data;

	writel(drv->mode, drv->regs + FOO_MODE);
	return 0;
}

int foo_drv_set_mode(struct foo_drv *drv, u32 mode)
{
	int ret;

	mutex_lock(&drv->state_lock);
	drv->mode = mode;
	/*
	 * hotplug-under-lock: stop_machine() takes cpu_hotplug_lock, so
	 * state_lock now orders before the whole cpu hotplug machinery
	 * (stop_machine is not a locking primitive). Fix: do not use
	 * stop_machine() for this, or call it with no locks held.
	 */
	ret = stop_machine(foo_remap_cb, drv, NULL);
	mutex_unlock(&drv->state_lock);
	return ret;
}

void foo_drv_suspend(struct foo_drv *drv)
{
	mutex_lock(&drv->state_lock);
	drv->mode = FOO_MODE_OFF;
	/*
	 * flush-under-lock: foo_reset_work() takes state_lock; if it is
	 * running, it waits for us while we wait for it. Fix: set the flag
	 * under the lock, unlock, then flush_work().
	 */
	flush_work(&drv->reset_work);
	mutex_unlock(&drv->state_lock);
}
