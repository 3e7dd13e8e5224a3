/* notify.c - the alerts' notify command; see notify.h. */
#include "collect/notify.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "sources/exec.h"

extern char **environ;

#define N_VARS 9

struct job {
	struct job *next;
	char *env[N_VARS]; /* "NAME=VALUE", malloc'd */
};

struct notifier {
	char *path;
	char **args;
	double timeout;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t queued;
	bool quit;
	uint64_t done, failed;
};

static char *var(const char *name, const char *value)
{
	if (!value)
		value = "";
	size_t a = strlen(name), b = strlen(value);
	char *v = mem_alloc(a + b + 2);
	memcpy(v, name, a);
	v[a] = '=';
	memcpy(v + a + 1, value, b + 1);
	return v;
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < N_VARS; i++)
		free(j->env[i]);
	free(j);
}

/* Runs one job: the collector's environment with the job's variables in
 * front (a name the collector has too is overridden: execve takes the
 * first). */
static void run(struct notifier *n, struct job *j)
{
	size_t n_env = 0;
	while (environ && environ[n_env])
		n_env++;
	char **envp = mem_calloc(N_VARS + n_env + 1, sizeof envp[0]);
	size_t k = 0;
	for (size_t i = 0; i < N_VARS; i++)
		envp[k++] = j->env[i];
	for (size_t i = 0; i < n_env; i++)
		if (strncmp(environ[i], "SUNDIAL_", 8) != 0)
			envp[k++] = environ[i];
	envp[k] = NULL;
	struct exec_result *r = mem_calloc(1, sizeof *r);
	char err[300] = "";
	int rc = exec_sample_env(n->path, n->args, envp, n->timeout, r, err, sizeof err);
	free(r);
	free(envp);
	pthread_mutex_lock(&n->mu);
	n->done++;
	if (rc != 0 && rc != -E2BIG) /* its output does not matter */
		n->failed++;
	pthread_mutex_unlock(&n->mu);
	if (rc != 0 && rc != -E2BIG)
		log_warn("notify %s (%s, %s): %s", n->path, j->env[0] + strlen("SUNDIAL_ALERT="),
			 j->env[1] + strlen("SUNDIAL_STATE="), err[0] ? err : strerror(-rc));
}

static void *worker(void *arg)
{
	struct notifier *n = arg;
	pthread_mutex_lock(&n->mu);
	for (;;) {
		while (!n->head && !n->quit)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->quit)
			break;
		struct job *j = n->head;
		n->head = j->next;
		if (!n->head)
			n->tail = NULL;
		n->queued--;
		pthread_mutex_unlock(&n->mu);
		run(n, j);
		job_free(j);
		pthread_mutex_lock(&n->mu);
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

notifier *notify_new(const char *path, char *const *args, double timeout)
{
	if (!path || path[0] != '/' || !(timeout > 0) || !isfinite(timeout))
		return NULL;
	struct notifier *n = mem_calloc(1, sizeof *n);
	n->path = mem_strdup(path);
	size_t na = 0;
	while (args && args[na])
		na++;
	n->args = mem_calloc(na + 1, sizeof n->args[0]);
	for (size_t i = 0; i < na; i++)
		n->args[i] = mem_strdup(args[i]);
	n->timeout = timeout;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	if (pthread_create(&n->th, NULL, worker, n) != 0) {
		log_error("notify %s: cannot start its thread", path);
		pthread_mutex_destroy(&n->mu);
		pthread_cond_destroy(&n->cv);
		for (size_t i = 0; i < na; i++)
			free(n->args[i]);
		free(n->args);
		free(n->path);
		free(n);
		return NULL;
	}
	return n;
}

void notify_free(notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->quit = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->th, NULL);
	if (n->queued)
		log_warn("notify %s: %zu changes were still waiting and are not passed on", n->path,
			 n->queued);
	while (n->head) {
		struct job *j = n->head;
		n->head = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	for (size_t i = 0; n->args[i]; i++)
		free(n->args[i]);
	free(n->args);
	free(n->path);
	free(n);
}

int notify_post(notifier *n, const struct notify_event *e)
{
	pthread_mutex_lock(&n->mu);
	bool full = n->queued >= NOTIFY_QUEUE_MAX;
	pthread_mutex_unlock(&n->mu);
	if (full) {
		log_warn("notify %s: %d changes wait already; %s %s -> %s is not passed on",
			 n->path, NOTIFY_QUEUE_MAX, e->alert, e->target, e->state);
		return -ENOSPC;
	}
	struct job *j = mem_calloc(1, sizeof *j);
	char t[32];
	snprintf(t, sizeof t, "%.0f", e->t);
	j->env[0] = var("SUNDIAL_ALERT", e->alert);
	j->env[1] = var("SUNDIAL_STATE", e->state);
	j->env[2] = var("SUNDIAL_PREVIOUS_STATE", e->previous);
	j->env[3] = var("SUNDIAL_SOURCE", e->source);
	j->env[4] = var("SUNDIAL_TARGET", e->target);
	j->env[5] = var("SUNDIAL_SERIES", e->series);
	j->env[6] = var("SUNDIAL_VALUE", e->value);
	j->env[7] = var("SUNDIAL_REASON", e->reason);
	j->env[8] = var("SUNDIAL_TIME", t);
	pthread_mutex_lock(&n->mu);
	if (n->tail)
		n->tail->next = j;
	else
		n->head = j;
	n->tail = j;
	n->queued++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return 0;
}

void notify_counts(notifier *n, uint64_t *done, uint64_t *failed)
{
	pthread_mutex_lock(&n->mu);
	*done = n->done;
	*failed = n->failed;
	pthread_mutex_unlock(&n->mu);
}
