/* bq.h - a bounded queue of batches from one producer thread to one consumer
 * thread.  The queue owns n slots of size bytes each; the producer fills a
 * free slot in place and publishes it, the consumer reads the oldest
 * published slot in place and gives it back.  No copy, one lock round trip
 * per batch (so a batch should hold many items). */
#ifndef SUNDIAL_COMMON_BQ_H
#define SUNDIAL_COMMON_BQ_H

#include <stddef.h>

typedef struct bq bq;

/* n slots of size octets, each starting on a 64-octet boundary.  Exits
 * when out of memory, like mem_alloc(). */
bq *bq_new(size_t n, size_t size);
void bq_free(bq *q); /* accepts NULL; both threads must be done with it */

/* Producer: a free slot to fill, waiting for one; NULL once the consumer
 * has cancelled. */
void *bq_fill(bq *q);
/* Producer: publishes the slot bq_fill() gave. */
void bq_publish(bq *q);
/* Producer: no more slots will come. */
void bq_close(bq *q);

/* Consumer: the oldest published slot, waiting for one; NULL when the
 * producer has closed the queue and every slot was taken. */
void *bq_take(bq *q);
/* Consumer: gives the slot bq_take() gave back. */
void bq_release(bq *q);
/* Consumer: wants no more; a producer waiting in bq_fill() gets NULL. */
void bq_cancel(bq *q);

#endif
