/* bq.c - a bounded single-producer, single-consumer queue of batches; see
 * bq.h.  Slots are used in order: the producer owns slot tail % n while
 * tail - head < n, the consumer owns slot head % n while head < tail.
 *
 * The counters are atomics (release when a slot changes hands, acquire when
 * looking), so a hand-over costs no system call while both threads keep up.
 * A thread that finds nothing to do spins a little (a batch is usually
 * microseconds away), then sleeps on the condition variable; the other side
 * wakes it after moving a counter if it has said it sleeps.  The sleeper
 * announces itself and looks again under the lock, and the waker takes the
 * lock to broadcast, so no wake-up is lost. */
#include "common/bq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/mem.h"

#define SPINS 4000

struct bq {
	size_t n, size;
	_Atomic size_t head; /* slots released by the consumer */
	_Atomic size_t tail; /* slots published by the producer */
	atomic_bool closed, cancelled;
	atomic_int sleepers;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned char *mem;
};

bq *bq_new(size_t n, size_t size)
{
	bq *q = mem_calloc(1, sizeof *q);
	q->n = n ? n : 1;
	/* Slots on cache-line boundaries, sizes rounded up to whole lines, so
	 * that no line is shared by two slots. */
	size_t stride = (size + 63) & ~(size_t)63;
	void *mem = NULL;
	if (stride < size || q->n > SIZE_MAX / stride ||
	    posix_memalign(&mem, 64, q->n * stride) != 0)
		fatal("out of memory (%zu x %zu bytes)", q->n, size);
	q->mem = mem;
	q->size = stride;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->closed, false);
	atomic_init(&q->cancelled, false);
	atomic_init(&q->sleepers, 0);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->changed, NULL);
	return q;
}

void bq_free(bq *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->changed);
	free(q->mem);
	free(q);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* After a counter or flag moved: wakes a sleeping other side. */
static void wake(bq *q)
{
	if (atomic_load(&q->sleepers) == 0)
		return;
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Waits until ready(q) holds: spins, then sleeps. */
static void wait_for(bq *q, bool (*ready)(bq *q))
{
	for (int i = 0; i < SPINS; i++) {
		if (ready(q))
			return;
		cpu_relax();
	}
	pthread_mutex_lock(&q->lock);
	atomic_fetch_add(&q->sleepers, 1);
	while (!ready(q))
		pthread_cond_wait(&q->changed, &q->lock);
	atomic_fetch_sub(&q->sleepers, 1);
	pthread_mutex_unlock(&q->lock);
}

static bool can_fill(bq *q)
{
	return atomic_load(&q->cancelled) || atomic_load(&q->tail) - atomic_load(&q->head) < q->n;
}

static bool can_take(bq *q)
{
	return atomic_load(&q->closed) || atomic_load(&q->head) != atomic_load(&q->tail);
}

void *bq_fill(bq *q)
{
	wait_for(q, can_fill);
	if (atomic_load(&q->cancelled))
		return NULL;
	return q->mem + (atomic_load_explicit(&q->tail, memory_order_relaxed) % q->n) * q->size;
}

void bq_publish(bq *q)
{
	atomic_fetch_add(&q->tail, 1);
	wake(q);
}

void bq_close(bq *q)
{
	atomic_store(&q->closed, true);
	wake(q);
}

void *bq_take(bq *q)
{
	wait_for(q, can_take);
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (h == atomic_load(&q->tail))
		return NULL; /* closed, and every slot taken */
	return q->mem + (h % q->n) * q->size;
}

void bq_release(bq *q)
{
	atomic_fetch_add(&q->head, 1);
	wake(q);
}

void bq_cancel(bq *q)
{
	atomic_store(&q->cancelled, true);
	wake(q);
}
