/* rd.h - the one checked reader and writer for untrusted bytes.
 *
 * Every read of bytes from outside goes through struct rd: each read checks
 * the remaining length first, and a short read sets a sticky error flag and
 * returns zero.  The caller checks r->bad once at the end.  Sub-readers
 * (rd_sub) bound a length-prefixed part so that a bad inner length cannot run
 * past its parent.  struct wr is the mirror image for encoders.
 *
 * Header-only (static inline): no I/O, no allocation, no globals.
 */
#ifndef SUNDIAL_COMMON_RD_H
#define SUNDIAL_COMMON_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p; /* next unread byte (borrowed) */
	size_t left;	  /* bytes left */
	bool bad;	  /* sticky: a read ran past the end */
};

static inline struct rd rd_make(const void *p, size_t len)
{
	struct rd r = { (const uint8_t *)p, len, false };
	return r;
}

/* True if n more bytes can be read; otherwise marks the reader bad. */
static inline bool rd_need(struct rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		r->left = 0;
		return false;
	}
	return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	uint8_t v = r->p[0];
	r->p += 1;
	r->left -= 1;
	return v;
}

static inline uint16_t rd_be16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((unsigned)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return v;
}

static inline uint32_t rd_be32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
		     (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

static inline uint64_t rd_be64(struct rd *r)
{
	uint64_t hi = rd_be32(r);
	uint64_t lo = rd_be32(r);
	return hi << 32 | lo;
}

/* Copies n bytes to dst (zero-filled if short). */
static inline void rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (!rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
}

/* Returns a pointer to the next n bytes and skips them, or NULL if short.
 * The pointer is borrowed from the reader's buffer. */
static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	if (!rd_need(r, n))
		return NULL;
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static inline void rd_skip(struct rd *r, size_t n)
{
	(void)rd_ptr(r, n);
}

/* A reader over the next n bytes; the parent skips them.  If fewer than n
 * bytes are left, both parent and child are bad. */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	struct rd s = { NULL, 0, true };
	const uint8_t *p = rd_ptr(r, n);
	if (p) {
		s.p = p;
		s.left = n;
		s.bad = false;
	}
	return s;
}

struct wr {
	uint8_t *p;  /* next byte to write (borrowed) */
	size_t left; /* room left */
	bool bad;    /* sticky: a write did not fit */
};

static inline struct wr wr_make(void *p, size_t len)
{
	struct wr w = { (uint8_t *)p, len, false };
	return w;
}

static inline bool wr_need(struct wr *w, size_t n)
{
	if (w->bad || w->left < n) {
		w->bad = true;
		return false;
	}
	return true;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	if (!wr_need(w, 1))
		return;
	w->p[0] = v;
	w->p += 1;
	w->left -= 1;
}

static inline void wr_be16(struct wr *w, uint16_t v)
{
	if (!wr_need(w, 2))
		return;
	w->p[0] = (uint8_t)(v >> 8);
	w->p[1] = (uint8_t)v;
	w->p += 2;
	w->left -= 2;
}

static inline void wr_be32(struct wr *w, uint32_t v)
{
	if (!wr_need(w, 4))
		return;
	w->p[0] = (uint8_t)(v >> 24);
	w->p[1] = (uint8_t)(v >> 16);
	w->p[2] = (uint8_t)(v >> 8);
	w->p[3] = (uint8_t)v;
	w->p += 4;
	w->left -= 4;
}

static inline void wr_be64(struct wr *w, uint64_t v)
{
	wr_be32(w, (uint32_t)(v >> 32));
	wr_be32(w, (uint32_t)v);
}

static inline void wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (!wr_need(w, n))
		return;
	if (n)
		memcpy(w->p, src, n);
	w->p += n;
	w->left -= n;
}

static inline void wr_zero(struct wr *w, size_t n)
{
	if (!wr_need(w, n))
		return;
	memset(w->p, 0, n);
	w->p += n;
	w->left -= n;
}

#endif
