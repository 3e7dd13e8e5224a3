/* traffic.h - the collector's `capture` source: the live analysis of
 * `sundial traffic` on an interface (kernel filter "udp port N"), fed on
 * the event loop as packets arrive: distinct clients in 5-minute, 20-minute,
 * 1-hour and 24-hour windows, request and response rates, response-time
 * percentiles and unanswered requests of each interval, kernel drops. */
#ifndef SUNDIAL_SOURCES_TRAFFIC_H
#define SUNDIAL_SOURCES_TRAFFIC_H

#include "sources/source.h"

extern const struct source_ops traffic_source;

#endif
