/* sched.c - the collector's sampling schedule; see sched.h.
 *
 * Jobs live in an array indexed by id; a binary min-heap of the live ones
 * orders them by due time (ties by id, so the order is reproducible).  A
 * job's due time is phase + k * interval; moving it past now skips whole
 * intervals at once, so a loop that was stopped for an hour does not run a
 * job sixty times to catch up. */
#include "collect/sched.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/random.h>

#include "common/mem.h"

struct job {
	double interval, due;
	bool live, busy;
	uint64_t runs, skipped;
	size_t heap_pos;
};

struct sched {
	struct job *job;
	size_t n_job, cap_job;
	int *heap; /* ids */
	size_t n_heap;
	uint64_t rng;
};

static uint64_t next_random(sched *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

sched *sched_new(uint64_t seed)
{
	sched *s = mem_calloc(1, sizeof *s);
	if (seed == 0 && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
		seed = (uint64_t)(uintptr_t)s;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	return s;
}

void sched_free(sched *s)
{
	if (!s)
		return;
	free(s->job);
	free(s->heap);
	free(s);
}

static bool before(const sched *s, int a, int b)
{
	const struct job *x = &s->job[a], *y = &s->job[b];
	return x->due < y->due || (x->due == y->due && a < b);
}

static void place(sched *s, size_t i, int id)
{
	s->heap[i] = id;
	s->job[id].heap_pos = i;
}

static void sift_up(sched *s, size_t i)
{
	int id = s->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(s, id, s->heap[p]))
			break;
		place(s, i, s->heap[p]);
		i = p;
	}
	place(s, i, id);
}

static void sift_down(sched *s, size_t i)
{
	int id = s->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		int best = id;
		if (l < s->n_heap && before(s, s->heap[l], best)) {
			m = l;
			best = s->heap[l];
		}
		if (r < s->n_heap && before(s, s->heap[r], best)) {
			m = r;
			best = s->heap[r];
		}
		if (m == i)
			break;
		place(s, i, best);
		i = m;
	}
	place(s, i, id);
}

int sched_add(sched *s, double interval, double now)
{
	if (!(interval >= SCHED_MIN_INTERVAL && interval <= SCHED_MAX_INTERVAL) || !isfinite(now))
		return -EINVAL;
	if (s->n_job == (size_t)INT32_MAX)
		return -ENOSPC;
	if (s->n_job == s->cap_job) {
		s->cap_job = s->cap_job ? s->cap_job * 2 : 16;
		s->job = mem_realloc(s->job, s->cap_job * sizeof s->job[0]);
		s->heap = mem_realloc(s->heap, s->cap_job * sizeof s->heap[0]);
	}
	int id = (int)s->n_job++;
	struct job *j = &s->job[id];
	/* The phase: a uniform fraction of the interval (53 random bits). */
	double u = (double)(next_random(s) >> 11) * 0x1p-53;
	*j = (struct job){ .interval = interval, .due = now + u * interval, .live = true };
	s->heap[s->n_heap] = id;
	s->job[id].heap_pos = s->n_heap;
	s->n_heap++;
	sift_up(s, s->n_heap - 1);
	return id;
}

static bool valid(const sched *s, int id)
{
	return id >= 0 && (size_t)id < s->n_job && s->job[id].live;
}

void sched_remove(sched *s, int id)
{
	if (!valid(s, id))
		return;
	size_t i = s->job[id].heap_pos;
	s->job[id].live = false;
	s->n_heap--;
	if (i == s->n_heap)
		return;
	place(s, i, s->heap[s->n_heap]);
	sift_down(s, i);
	sift_up(s, s->job[s->heap[i]].heap_pos);
}

double sched_next(const sched *s)
{
	return s->n_heap ? s->job[s->heap[0]].due : INFINITY;
}

double sched_due(const sched *s, int id)
{
	return valid(s, id) ? s->job[id].due : NAN;
}

/* Moves job id to its first grid time after now. */
static void advance(sched *s, int id, double now)
{
	struct job *j = &s->job[id];
	double k = floor((now - j->due) / j->interval) + 1;
	j->due += (k < 1 ? 1 : k) * j->interval;
	if (!(j->due > now)) /* rounding at a grid point */
		j->due += j->interval;
	sift_down(s, j->heap_pos);
}

int sched_take(sched *s, double now)
{
	while (s->n_heap && s->job[s->heap[0]].due <= now) {
		int id = s->heap[0];
		struct job *j = &s->job[id];
		advance(s, id, now);
		if (j->busy) {
			j->skipped++;
			continue;
		}
		j->busy = true;
		j->runs++;
		return id;
	}
	return -1;
}

void sched_done(sched *s, int id)
{
	if (valid(s, id))
		s->job[id].busy = false;
}

bool sched_stats(const sched *s, int id, uint64_t *runs, uint64_t *skipped)
{
	if (!valid(s, id))
		return false;
	*runs = s->job[id].runs;
	*skipped = s->job[id].skipped;
	return true;
}
