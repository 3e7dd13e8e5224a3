/* source.c - the list of sources and their shared helpers; see source.h. */
#include "sources/source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/addr.h"
#include "sources/adsb.h"
#include "sources/chronyd.h"
#include "sources/exec.h"
#include "sources/gpsd.h"
#include "sources/hwmon.h"
#include "sources/ntpd.h"
#include "sources/server.h"
#include "sources/snmp.h"
#include "sources/traffic.h"

const struct source_ops *source_find(const char *kind)
{
	static const struct source_ops *const all[] = {
		&server_source, &ntpd_source, &chronyd_source, &gpsd_source, &traffic_source,
		&hwmon_source,	&exec_source, &snmp_source,    &adsb_source,
	};
	for (size_t i = 0; kind && i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->kind, kind) == 0)
			return all[i];
	return NULL;
}

int source_resolve(const char *target, unsigned default_port, struct sockaddr_storage *out,
		   char *err, size_t errlen)
{
	struct addr_spec spec;
	if (default_port > 65535 ||
	    addr_parse_spec(target, (uint16_t)default_port, &spec, err, errlen) != 0)
		return -EINVAL;
	int n = addr_resolve(&spec, AF_UNSPEC, false, out, 1, err, errlen);
	return n > 0 ? 0 : n < 0 ? n : -ENOENT;
}

int source_load_key(const struct source_params *p, keyring **kr, const struct key **key, char *err,
		    size_t errlen)
{
	*kr = NULL;
	*key = NULL;
	if (!p->key_id)
		return 0;
	*kr = keyring_new();
	bool world = false;
	if (keyring_load(*kr, p->keyfile, KEYFILE_AUTO, &world, err, errlen) != 0)
		goto fail;
	*key = keyring_find(*kr, (uint32_t)p->key_id);
	if (!*key) {
		snprintf(err, errlen, "key %lu is not in %s", p->key_id, p->keyfile);
		goto fail;
	}
	return 0;
fail:
	keyring_free(*kr);
	*kr = NULL;
	*key = NULL;
	return -EINVAL;
}
