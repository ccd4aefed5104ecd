// SPDX-License-Identifier: GPL-2.0
#include <linux/io.h>

#include "foo_drv.h"

static irqreturn_t foo_irq(int irq, void *data)
{
	struct foo_drv *drv = data;
	u32 status = readl(drv->regs + FOO_STATUS);

	if (!status)
		return IRQ_NONE;

	spin_lock(&drv->irq_lock);
	drv->stats.irqs++;
	spin_unlock(&drv->irq_lock);

	if (status & FOO_STATUS_ERR) {
		/*
		 * sleep-in-atomic: a hard irq handler runs in atomic context, but
		 * foo_hw_reset() takes a mutex and msleep()s. Fix: defer it with
		 * schedule_work(&drv->reset_work).
		 */
		foo_hw_reset(drv);
	}
	writel(status, drv->regs + FOO_STATUS);
	return IRQ_HANDLED;
}

int foo_drv_probe_irq(struct foo_drv *drv)
{
	spin_lock_init(&drv->irq_lock);
	mutex_init(&drv->state_lock);
	mutex_init(&drv->hw_lock);
	INIT_WORK(&drv->reset_work, foo_reset_work);
	return request_irq(drv->irq, foo_irq, IRQF_SHARED, "foo", drv);
}

void foo_stats_clear(struct foo_drv *drv)
{
	unsigned long flags;

	spin_lock_irqsave(&drv->irq_lock, flags);
	drv->stats.irqs = 0;
	/*
	 * double-lock: irq_lock is already held a few lines above, and
	 * spinlocks do not nest; this CPU spins on itself forever. Fix: drop
	 * this line, the errors counter is covered by the same lock.
	 */
	spin_lock(&drv->irq_lock);
	drv->stats.errors = 0;
	spin_unlock_irqrestore(&drv->irq_lock, flags);
}

u64 foo_stats_irqs(struct foo_drv *drv)
{
	u64 n;

	/*
	 * irq-inversion: foo_irq() takes irq_lock in hardirq context, and here
	 * it is taken with interrupts on: the interrupt can arrive on this CPU
	 * while the lock is held and spin on it forever. Fix:
	 * spin_lock_irqsave().
	 */
	spin_lock(&drv->irq_lock);
	n = drv->stats.irqs;
	spin_unlock(&drv->irq_lock);
	return n;
}

void foo_hw_kick(struct foo_drv *drv)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&drv->hw_seq_lock, flags);
	writel(FOO_CTRL_RESET, drv->regs + FOO_CTRL);
	/*
	 * wait-context: irq_lock is a spinlock_t, a sleeping lock on
	 * PREEMPT_RT, taken while the raw hw_seq_lock keeps the CPU atomic.
	 * Fix: count the error after the raw section.
	 */
	spin_lock(&drv->irq_lock);
	drv->stats.errors++;
	spin_unlock(&drv->irq_lock);
	raw_spin_unlock_irqrestore(&drv->hw_seq_lock, flags);
}
