/* server.h - the collector's `server` source: a time server queried as a
 * client would, with the query engine of `sundial query` (one request per
 * sample, a key if configured): offset, delay, stratum, leap, root
 * distance, whether it answered and whether it sent a kiss-o'-death. */
#ifndef SUNDIAL_SOURCES_SERVER_H
#define SUNDIAL_SOURCES_SERVER_H

#include "sources/source.h"

extern const struct source_ops server_source;

#endif
