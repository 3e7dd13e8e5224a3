/* fuzz_alert.c - libFuzzer harness for the alert rules (collect/alert).
 *
 * The input is split into words at spaces, newlines and NUL octets (runs
 * of them make no empty words; other control octets stay in the words) and
 * handed to alert_rule_parse() as the words after "alert".  A rule that
 * parses is then evaluated on two series with values made from the input's
 * octets (octet - 128) / 16, 0xff a missing value.
 *
 * Besides not crashing: a refusal is -EINVAL with a message of printable
 * ASCII; a rule is complete (a metric, a level, hold 1 .. 1000, a name of
 * 1 .. 64 octets, at most ALERT_MAX_MATCH matchers), makes a set, and
 * gives at most one change per sample, each to another state; the set
 * holds at most the two series' states, and none after alert_forget().
 *
 * Seed corpus: tests/fuzz/corpus/alert/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/alert.h"

#define MAX_WORDS 64
#define MAX_SAMPLES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void count_view(void *arg, const struct alert_view *v)
{
	size_t *n = arg;
	check(v->rule != NULL && v->series_key != NULL);
	check(v->state == ALERT_OK || v->state == ALERT_WARNING || v->state == ALERT_CRITICAL);
	check(v->n_labels == v->rule->n_match);
	(*n)++;
}

static void evaluate(const struct alert_rule *r, const uint8_t *data, size_t size)
{
	alert_set *a = alert_set_new(r, 1);
	check(a != NULL);
	const char *names[ALERT_MAX_MATCH], *values[ALERT_MAX_MATCH];
	for (size_t m = 0; m < r->n_match; m++) {
		names[m] = r->match_label[m];
		values[m] = r->match_value[m];
	}
	size_t n = size < MAX_SAMPLES ? size : MAX_SAMPLES;
	for (size_t i = 0; i < n; i++) {
		double v = data[i] == 0xff ? NAN : ((double)data[i] - 128) / 16;
		struct alert_change ch;
		size_t c = alert_eval(a, r->metric, names, values, r->n_match, i % 2 ? "k1" : "k2",
				      (double)i, v, &ch, 1);
		check(c <= 1);
		if (c) {
			check(ch.from != ch.to && ch.rule != NULL && ch.series_key != NULL);
			check(ch.to != ALERT_UNKNOWN && ch.reason[0] != '\0');
		}
	}
	size_t views = 0;
	alert_each(a, count_view, &views);
	check(views == (n > 1 ? 2 : n));
	enum alert_state w = alert_worst(a, "k");
	check(w == ALERT_OK || w == ALERT_WARNING || w == ALERT_CRITICAL);
	alert_forget(a, "k1");
	alert_forget(a, "k2");
	views = 0;
	alert_each(a, count_view, &views);
	check(views == 0);
	check(alert_worst(a, "") == ALERT_OK);
	alert_set_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	check(text != NULL);
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';

	const char *argv[MAX_WORDS] = { NULL };
	size_t argc = 0;
	for (size_t i = 0; i < size && argc < MAX_WORDS;) {
		while (i < size && (text[i] == ' ' || text[i] == '\n' || text[i] == '\0'))
			text[i++] = '\0';
		if (i == size)
			break;
		argv[argc++] = text + i;
		while (i < size && text[i] != ' ' && text[i] != '\n' && text[i] != '\0')
			i++;
		if (i < size)
			text[i++] = '\0';
	}

	struct alert_rule r;
	char err[256] = "";
	int rc = alert_rule_parse(argc, argv, &r, err, sizeof err);
	if (rc != 0) {
		check(rc == -EINVAL);
		check(err[0] != '\0');
		for (const char *p = err; *p; p++)
			check(*p >= 0x20 && *p < 0x7f);
	} else {
		check(argc >= 2 && r.metric[0] != '\0');
		check(r.warn.set || r.crit.set);
		check(r.hold >= 1 && r.hold <= 1000);
		size_t nl = strlen(r.name);
		check(nl >= 1 && nl < ALERT_NAME_MAX);
		check(r.n_match <= ALERT_MAX_MATCH);
		evaluate(&r, data, size);
	}
	free(text);
	return 0;
}
