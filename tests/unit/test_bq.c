/* test_bq.c - the bounded queue of batches between two threads
 * (src/common/bq.c): 100000 numbered items in batches arrive complete and
 * in order (with 1, 2 and 8 slots, and with a consumer or a producer that
 * is slower); a close with nothing published; a close after the last slot;
 * a cancel while the producer waits on a full queue (it gets NULL, and the
 * join returns); a cancel before anything was sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/bq.h"

#define ITEMS 100000
#define BATCH 64

struct batch {
	size_t count;
	uint64_t item[BATCH];
};

struct prod {
	bq *q;
	uint64_t items;	       /* to send */
	unsigned delay;	       /* every this many batches, a short sleep (0: none) */
	_Atomic uint64_t sent; /* items published */
	atomic_bool got_null;  /* bq_fill() gave NULL */
	atomic_bool waiting;   /* about to call bq_fill() on a full queue */
	bool close;	       /* bq_close() at the end */
};

static void nap(long ns)
{
	struct timespec ts = { 0, ns };
	nanosleep(&ts, NULL);
}

/* Batch sizes vary from 1 to BATCH so that items cross slots unevenly. */
static void *producer(void *arg)
{
	struct prod *p = arg;
	uint64_t next = 0;
	unsigned batches = 0;
	while (next < p->items) {
		atomic_store(&p->waiting, true);
		struct batch *b = bq_fill(p->q);
		atomic_store(&p->waiting, false);
		if (!b) {
			atomic_store(&p->got_null, true);
			return NULL;
		}
		size_t n = 1 + (size_t)(next * 7919 % BATCH);
		if (n > p->items - next)
			n = (size_t)(p->items - next);
		for (size_t i = 0; i < n; i++)
			b->item[i] = next++;
		b->count = n;
		bq_publish(p->q);
		atomic_store(&p->sent, next);
		if (p->delay && ++batches % p->delay == 0)
			nap(20000);
	}
	if (p->close)
		bq_close(p->q);
	return NULL;
}

/* Takes everything until NULL, checking order; returns the item count. */
static uint64_t consume(bq *q, unsigned delay)
{
	uint64_t next = 0;
	unsigned batches = 0;
	struct batch *b;
	while ((b = bq_take(q))) {
		assert_true(b->count >= 1 && b->count <= BATCH);
		for (size_t i = 0; i < b->count; i++)
			if (b->item[i] != next++)
				fail_msg("item %llu where %llu was due",
					 (unsigned long long)b->item[i],
					 (unsigned long long)(next - 1));
		b->count = 0; /* the producer must fill it again */
		bq_release(q);
		if (delay && ++batches % delay == 0)
			nap(20000);
	}
	return next;
}

static void run_stream(size_t slots, unsigned prod_delay, unsigned cons_delay)
{
	bq *q = bq_new(slots, sizeof(struct batch));
	struct prod p = { .q = q, .items = ITEMS, .delay = prod_delay, .close = true };
	atomic_init(&p.got_null, false);
	atomic_init(&p.waiting, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
	uint64_t n = consume(q, cons_delay);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(n, ITEMS);
	assert_int_equal(atomic_load(&p.sent), ITEMS);
	assert_false(atomic_load(&p.got_null));
	/* Once closed and drained, NULL again. */
	assert_null(bq_take(q));
	bq_free(q);
}

static void stream(void **state)
{
	(void)state;
	run_stream(8, 0, 0);
	run_stream(2, 0, 0);
}

static void stream_one_slot(void **state)
{
	(void)state;
	run_stream(1, 0, 0);
	run_stream(0, 0, 0); /* 0 slots: taken as 1 */
}

/* A slow consumer keeps the producer waiting on a full queue (it sleeps on
 * the condition variable); a slow producer the consumer on an empty one. */
static void stream_slow_sides(void **state)
{
	(void)state;
	run_stream(4, 0, 50);
	run_stream(4, 50, 0);
	run_stream(1, 0, 50);
	run_stream(1, 50, 0);
}

static void close_empty(void **state)
{
	(void)state;
	/* Closed before the consumer looks. */
	bq *q = bq_new(4, sizeof(struct batch));
	bq_close(q);
	assert_null(bq_take(q));
	assert_null(bq_take(q));
	bq_free(q);
	/* Closed while the consumer waits: it wakes with NULL. */
	q = bq_new(4, sizeof(struct batch));
	struct prod p = { .q = q, .items = 0, .close = true };
	atomic_init(&p.got_null, false);
	atomic_init(&p.waiting, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
	assert_int_equal(consume(q, 0), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	bq_free(q);
	/* Published slots are still taken after the close. */
	q = bq_new(4, sizeof(struct batch));
	for (uint64_t i = 0; i < 3; i++) {
		struct batch *b = bq_fill(q);
		assert_non_null(b);
		b->count = 1;
		b->item[0] = i;
		bq_publish(q);
	}
	bq_close(q);
	assert_int_equal(consume(q, 0), 3);
	bq_free(q);
	bq_free(NULL);
}

/* The consumer stops early: the producer, waiting for a free slot on the
 * full queue, gets NULL and returns, and the join does not hang. */
static void cancel_while_full(void **state)
{
	(void)state;
	for (size_t slots = 1; slots <= 4; slots *= 2) {
		bq *q = bq_new(slots, sizeof(struct batch));
		struct prod p = { .q = q, .items = ITEMS, .close = false };
		atomic_init(&p.got_null, false);
		atomic_init(&p.waiting, false);
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
		/* Take one batch, then let the producer fill every slot and
		 * wait (long enough to have gone to sleep after its spins). */
		struct batch *b = bq_take(q);
		assert_non_null(b);
		assert_true(b->item[0] == 0);
		bq_release(q);
		for (int i = 0; i < 2000; i++) {
			if (atomic_load(&p.waiting) && atomic_load(&p.sent) > 0)
				break;
			nap(1000000);
		}
		nap(50000000);
		assert_true(atomic_load(&p.waiting));
		assert_false(atomic_load(&p.got_null));
		bq_cancel(q);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_true(atomic_load(&p.got_null));
		assert_true(atomic_load(&p.sent) < ITEMS);
		/* Once cancelled, a fill gives NULL at once. */
		assert_null(bq_fill(q));
		bq_free(q);
	}
}

/* Cancelled before the producer starts: its first fill gives NULL. */
static void cancel_first(void **state)
{
	(void)state;
	bq *q = bq_new(2, sizeof(struct batch));
	bq_cancel(q);
	struct prod p = { .q = q, .items = ITEMS, .close = true };
	atomic_init(&p.got_null, false);
	atomic_init(&p.waiting, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer, &p), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(atomic_load(&p.got_null));
	assert_int_equal(atomic_load(&p.sent), 0);
	bq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream),
		cmocka_unit_test(stream_one_slot),
		cmocka_unit_test(stream_slow_sides),
		cmocka_unit_test(close_empty),
		cmocka_unit_test(cancel_while_full),
		cmocka_unit_test(cancel_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
