/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lockscope examples: a small kernel-style driver with one bug per rule.
 * Every bug has a comment right above it naming the rule and the fix.
 *
 *   lockscope scan examples
 *
 *   foo_irq.c    sleep-in-atomic, double-lock, irq-inversion, wait-context
 *   foo_ioctl.c  fault-under-lock, reclaim-under-lock, lock-imbalance
 *   foo_reset.c  hotplug-under-lock, flush-under-lock, lock-order-cycle
 */
#ifndef _FOO_DRV_H
#define _FOO_DRV_H

#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#define FOO_CTRL		0x00
#define FOO_MODE		0x04
#define FOO_STATUS		0x08
#define FOO_CTRL_RESET		0x1
#define FOO_STATUS_ERR		0x80
#define FOO_MODE_OFF		0

struct foo_stats {
	u64 irqs;
	u64 errors;
};

struct foo_drv {
	spinlock_t irq_lock;		/* stats; taken in the irq handler */
	raw_spinlock_t hw_seq_lock;	/* register sequences that must not sleep */
	struct mutex state_lock;	/* mode, config */
	struct mutex hw_lock;		/* multi-register sequences */
	struct work_struct reset_work;
	void __iomem *regs;
	struct foo_stats stats;
	void *config;
	void *shadow;
	u32 mode;
	int irq;
};

void foo_hw_reset(struct foo_drv *drv);
void foo_reset_work(struct work_struct *work);

#endif /* _FOO_DRV_H */
