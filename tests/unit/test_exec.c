/* test_exec.c - the exec source: small shell scripts in a temporary folder
 * run through exec_sample() (good output with comments, blanks, CRLF and bad
 * lines; arguments; stdin; a non-zero exit with its stderr; a signal; a
 * timeout that also kills what the script started; a script ignoring
 * SIGTERM; too much output; too many values; programs that cannot be
 * started), each followed by a check that no child is left unreaped and no
 * descriptor leaked; then exec_parse() directly (known answers and a
 * randomised loop checking the invariants). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sources/exec.h"

static char dir[256];
static struct exec_result res;
static char err[256];

static int group_setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/sundial-exec.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **st)
{
	(void)st;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name, in a static buffer of its own per call site's use. */
static const char *in_dir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* Writes dir/name holding text, with the given mode; returns its path. */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	in_dir(name, path, sizeof path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *script(const char *name, const char *body)
{
	char text[4096];
	snprintf(text, sizeof text, "#!/bin/sh\n%s", body);
	return put(name, text, 0755);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* No child left to reap, and as many descriptors as before. */
static void check_clean(int fds_before)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(count_fds(), fds_before);
}

/* Script lines writing the pid of the last background job into the file
 * named by $1, whole or not at all. */
#define PUT_PID "echo $! > \"$1.tmp\"\nmv \"$1.tmp\" \"$1\"\n"

/* The pid a script wrote into dir/name. */
static pid_t read_pid(const char *name)
{
	char path[512];
	FILE *f = fopen(in_dir(name, path, sizeof path), "r");
	assert_non_null(f);
	long pid = 0;
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	return (pid_t)pid;
}

/* pid is gone: no such process, or a zombie its new parent has not reaped
 * yet (the kill reached it).  Init reaps orphans at once, but allow it a
 * moment. */
static bool dead(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		char path[64], stat[256];
		snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(stat, 1, sizeof stat - 1, f);
			fclose(f);
			stat[n] = '\0';
			const char *p = strrchr(stat, ')');
			if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
				return true;
		}
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static const struct exec_value *find(const struct exec_result *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

static void good_output(void **st)
{
	(void)st;
	int fds = count_fds();
	/* A descriptor of ours without close-on-exec must not reach it. */
	int leak = dup2(STDERR_FILENO, 42);
	assert_int_equal(leak, 42);
	const char *path = script("good.sh", "printf 'a 1\\r\\n# a comment\\n\\n  \\t \\n'\n"
					     "printf '  b_2\\t-2.5e3 \\n'\n"
					     "printf 'bad line here\\nc 7\\nc 8\\nx-y 1\\n'\n"
					     "echo \"arg $1\"\n"
					     "read x; echo \"stdin_status $?\"\n"
					     "if [ -e /proc/$$/fd/42 ]; then echo leaked 1; "
					     "else echo leaked 0; fi\n"
					     "echo 'on stderr' >&2\n"
					     "printf 'last 9'\n");
	char arg[] = "42.5";
	char *args[] = { arg, NULL };
	assert_int_equal(exec_sample(path, args, 5, &res, err, sizeof err), 0);
	close(leak);
	assert_string_equal(err, "");
	assert_int_equal(res.exit_status, 0);
	assert_false(res.timed_out);
	assert_int_equal(res.n, 7);
	assert_true(find(&res, "a")->value == 1);
	assert_true(find(&res, "b_2")->value == -2500);
	assert_true(find(&res, "c")->value == 8); /* the last one wins */
	assert_true(find(&res, "arg")->value == 42.5);
	assert_true(find(&res, "stdin_status")->value != 0); /* /dev/null: EOF */
	assert_true(find(&res, "leaked")->value == 0);
	assert_true(find(&res, "last")->value == 9); /* no final newline */
	assert_null(find(&res, "x"));
	assert_int_equal(res.bad_lines, 2);
	assert_string_equal(res.first_bad, "bad line here");
	check_clean(fds);
}

static void exit_status(void **st)
{
	(void)st;
	int fds = count_fds();
	const char *path = script("exit3.sh", "echo 'partial 1'\n"
					      "printf 'sensor offline\\r\\nsecond line\\n' >&2\n"
					      "exit 3\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -ECHILD);
	assert_string_equal(err, "exited 3: sensor offline");
	assert_int_equal(res.exit_status, 3);
	assert_false(res.timed_out);
	check_clean(fds);

	path = script("quiet.sh", "exit 1\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -ECHILD);
	assert_string_equal(err, "exited 1");
	check_clean(fds);
}

static void signal_death(void **st)
{
	(void)st;
	int fds = count_fds();
	const char *path = script("signal.sh", "kill -USR1 $$\nsleep 5\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -ECHILD);
	char want[64];
	snprintf(want, sizeof want, "killed by signal %d", SIGUSR1);
	assert_string_equal(err, want);
	assert_int_equal(res.exit_status, -1);
	check_clean(fds);
}

static void timeout_kills_group(void **st)
{
	(void)st;
	int fds = count_fds();
	char pidfile[512];
	char *args[] = { pidfile, NULL };
	in_dir("bg.pid", pidfile, sizeof pidfile);
	const char *path = script("slow.sh", "sleep 10 &\n" PUT_PID "echo 'early 1'\nsleep 10\n");
	double t0 = now();
	assert_int_equal(exec_sample(path, args, 0.3, &res, err, sizeof err), -ETIMEDOUT);
	double took = now() - t0;
	assert_true(took >= 0.29 && took < 1.5);
	assert_true(res.timed_out);
	assert_int_equal(res.exit_status, -1);
	assert_non_null(strstr(err, "timed out"));
	assert_true(dead(read_pid("bg.pid")));
	check_clean(fds);
}

static void term_ignored(void **st)
{
	(void)st;
	int fds = count_fds();
	char pidfile[512];
	char *args[] = { pidfile, NULL };
	in_dir("stubborn.pid", pidfile, sizeof pidfile);
	const char *path =
		script("stubborn.sh", "trap '' TERM\nsleep 10 &\n" PUT_PID "sleep 10\nsleep 10\n");
	double t0 = now();
	assert_int_equal(exec_sample(path, args, 0.3, &res, err, sizeof err), -ETIMEDOUT);
	double took = now() - t0;
	assert_true(took >= 1.25 && took < 0.3 + 1.5); /* SIGKILL 1 s after SIGTERM */
	assert_true(res.timed_out);
	assert_true(dead(read_pid("stubborn.pid")));
	check_clean(fds);
}

/* Our signal mask and ignored signals are not the program's. */
static void signal_state_not_inherited(void **st)
{
	(void)st;
	int fds = count_fds();
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &term, &old), 0);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);

	/* sleep itself, not through sh (which clears its signal mask). */
	char ten[] = "10";
	char *args[] = { ten, NULL };
	const char *path = access("/bin/sleep", X_OK) == 0 ? "/bin/sleep" : "/usr/bin/sleep";
	double t0 = now();
	assert_int_equal(exec_sample(path, args, 0.3, &res, err, sizeof err), -ETIMEDOUT);
	assert_true(now() - t0 < 1.0); /* SIGTERM was enough */

	/* A writer into a closed pipe dies of SIGPIPE, as in a shell. */
	path = script("pipe.sh",
		      "exec 3>&1\n"
		      "{ yes 2>/dev/null; echo \"yes_status $?\" >&3; } | head -c 1 >/dev/null\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), 0);
	assert_int_equal(res.n, 1);
	assert_true(res.v[0].value == 128 + SIGPIPE);

	assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	check_clean(fds);
}

/* It exits, leaving a process behind that holds its stdout: what it printed
 * is taken at once, and the leftover is killed. */
static void leftover_holding_stdout(void **st)
{
	(void)st;
	int fds = count_fds();
	char pidfile[512];
	char *args[] = { pidfile, NULL };
	in_dir("left.pid", pidfile, sizeof pidfile);
	const char *path = script("leftover.sh", "sleep 10 &\n" PUT_PID "echo 'done 1'\n");
	double t0 = now();
	assert_int_equal(exec_sample(path, args, 5, &res, err, sizeof err), 0);
	assert_true(now() - t0 < 1.0);
	assert_int_equal(res.n, 1);
	assert_true(dead(read_pid("left.pid")));
	check_clean(fds);
}

/* The daemon may run with 0..2 closed: our own descriptors then take those
 * numbers, and must not end up as the program's stdin or stdout. */
static void stdio_closed(void **st)
{
	(void)st;
	int fds = count_fds();
	fflush(stdout);
	int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	int out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	assert_true(in >= 3 && out >= 3);
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	const char *path = script("stdin.sh", "read x; echo \"stdin_status $?\"; echo 'a 1'\n");
	int rc = exec_sample(path, NULL, 5, &res, err, sizeof err);
	dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	close(in);
	close(out);
	assert_int_equal(rc, 0);
	assert_int_equal(res.n, 2);
	assert_true(find(&res, "stdin_status")->value != 0);
	check_clean(fds);
}

static void big_stderr(void **st)
{
	(void)st;
	int fds = count_fds();
	const char *path =
		script("noisy.sh", "yes 'complaint' | head -c 300000 >&2\necho 'ok 1'\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), 0);
	assert_int_equal(res.n, 1);
	check_clean(fds);
}

static void too_much_output(void **st)
{
	(void)st;
	int fds = count_fds();
	const char *path = script("big.sh", "yes 'x 1' | head -c 102400\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -E2BIG);
	assert_non_null(strstr(err, "output"));
	assert_false(res.timed_out);
	check_clean(fds);

	double t0 = now();
	path = script("endless.sh", "yes 'x 1'\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -E2BIG);
	assert_true(now() - t0 < 1.5);
	check_clean(fds);

	/* Exactly the limit is fine. */
	path = script("limit.sh", "yes 'x 1' | head -c 65536\n");
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), 0);
	assert_int_equal(res.n, 1);
	check_clean(fds);
}

static void too_many_values(void **st)
{
	(void)st;
	int fds = count_fds();
	const char *path = script("many.sh", "i=0\nwhile [ $i -lt \"$1\" ]; do echo \"n$i $i\"; "
					     "i=$((i + 1)); done\n");
	char a300[] = "300", a256[] = "256";
	char *n300[] = { a300, NULL }, *n256[] = { a256, NULL };
	assert_int_equal(exec_sample(path, n300, 5, &res, err, sizeof err), -E2BIG);
	assert_non_null(strstr(err, "values"));
	assert_int_equal(res.n, EXEC_MAX_VALUES);
	assert_int_equal(res.bad_lines, 300 - EXEC_MAX_VALUES);
	check_clean(fds);

	assert_int_equal(exec_sample(path, n256, 5, &res, err, sizeof err), 0);
	assert_int_equal(res.n, EXEC_MAX_VALUES);
	assert_int_equal(res.bad_lines, 0);
	check_clean(fds);
}

static void cannot_start(void **st)
{
	(void)st;
	int fds = count_fds();
	char path[512];
	in_dir("missing", path, sizeof path);
	assert_int_equal(exec_sample(path, NULL, 5, &res, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	check_clean(fds);

	const char *p = put("plain.sh", "#!/bin/sh\necho 'a 1'\n", 0644);
	assert_int_equal(exec_sample(p, NULL, 5, &res, err, sizeof err), -EACCES);
	check_clean(fds);

	assert_int_equal(exec_sample(dir, NULL, 5, &res, err, sizeof err), -EACCES);
	check_clean(fds);

	p = put("noshebang", "echo 'a 1'\n", 0755); /* execv, unlike a shell, runs no sh */
	assert_int_equal(exec_sample(p, NULL, 5, &res, err, sizeof err), -ENOEXEC);
	check_clean(fds);

	assert_int_equal(exec_sample("bin/true", NULL, 5, &res, err, sizeof err), -EINVAL);
	assert_int_equal(exec_sample("/bin/true", NULL, 0, &res, err, sizeof err), -EINVAL);
	assert_int_equal(exec_sample("/bin/true", NULL, NAN, &res, err, sizeof err), -EINVAL);
	assert_int_equal(exec_sample("/bin/true", NULL, 5, &res, NULL, 0), 0);
	check_clean(fds);
}

/* --- exec_parse ---------------------------------------------------------- */

static void parse_str(const char *s)
{
	memset(&res, 0xa5, sizeof res);
	exec_parse(s, strlen(s), &res);
}

/* One line: accepted with value v, or a bad line. */
static void one(const char *line, bool ok, double v)
{
	parse_str(line);
	if (ok) {
		assert_int_equal(res.n, 1);
		assert_int_equal(res.bad_lines, 0);
		assert_true(res.v[0].value == v);
	} else {
		assert_int_equal(res.n, 0);
		assert_int_equal(res.bad_lines, 1);
	}
}

static void parse_values(void **st)
{
	(void)st;
	one("x 1.5e-3", true, 0.0015);
	one("x -0", true, 0);
	assert_true(signbit(res.v[0].value));
	one("x .5", true, 0.5);
	one("x 5.", true, 5);
	one("x +3", true, 3);
	one("x 1E+2", true, 100);
	one("x 1e-400", true, 0); /* underflow: finite */
	one("x 1.7976931348623157e308", true, 1.7976931348623157e308);
	one("x 1e400", false, 0);
	one("x -1e400", false, 0);
	one("x 0x10", false, 0);
	one("x 0x1p3", false, 0);
	one("x nan", false, 0);
	one("x NAN", false, 0);
	one("x inf", false, 0);
	one("x -inf", false, 0);
	one("x infinity", false, 0);
	one("x 5x", false, 0);
	one("x 1e", false, 0);
	one("x 1e+", false, 0);
	one("x .", false, 0);
	one("x -", false, 0);
	one("x 1,5", false, 0);
	one("x 1 2", false, 0);
	one("x 1 # trailing comment", false, 0);
	one("x", false, 0);
	one("x ", false, 0);
	one("1x 1", false, 0);
	one("a-b 1", false, 0);
	one("a.b 1", false, 0);
	one("_ 1", true, 1);
	one("\tx\t 2 \t", true, 2);
	/* A value token of 255 octets is read; one of 256 is not. */
	char line[300];
	memset(line, '0', sizeof line);
	memcpy(line, "x ", 2);
	line[2 + 254] = '7';
	line[2 + 255] = '\0';
	one(line, true, 7);
	line[2 + 255] = '7';
	line[2 + 256] = '\0';
	one(line, false, 0);
}

static void parse_names(void **st)
{
	(void)st;
	char line[128];
	memset(line, 'n', sizeof line);
	memcpy(line + EXEC_NAME_MAX - 1, " 1", 3);
	parse_str(line); /* 63 octets: the longest */
	assert_int_equal(res.n, 1);
	assert_int_equal(strlen(res.v[0].name), EXEC_NAME_MAX - 1);
	memset(line, 'n', sizeof line);
	memcpy(line + EXEC_NAME_MAX, " 1", 3);
	parse_str(line);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.bad_lines, 1);
}

static void parse_lines(void **st)
{
	(void)st;
	parse_str("");
	assert_int_equal(res.n, 0);
	assert_int_equal(res.bad_lines, 0);
	assert_string_equal(res.first_bad, "");

	parse_str("# only\n\n\r\n   \n\t#x 1\n");
	assert_int_equal(res.n, 0);
	assert_int_equal(res.bad_lines, 0);

	parse_str("a 1\r\nb 2\r\nbad\x01line\r\nc\x7f 3\na 4");
	assert_int_equal(res.n, 2);
	assert_true(res.v[0].value == 4 && res.v[1].value == 2);
	assert_int_equal(res.bad_lines, 2);
	assert_string_equal(res.first_bad, "bad?line");

	/* A NUL in a line makes it bad, and does not end the text. */
	static const char nul[] = "a 1\0\nb 2\n";
	exec_parse(nul, sizeof nul - 1, &res);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.v[0].name, "b");
	assert_int_equal(res.bad_lines, 1);

	/* The first bad line kept: 127 octets at most. */
	char text[400];
	memset(text, 'z', 300);
	text[5] = '\t';
	memcpy(text + 300, "\nw 1\n", 6);
	parse_str(text);
	assert_int_equal(res.n, 1);
	assert_int_equal(strlen(res.first_bad), sizeof res.first_bad - 1);
	assert_int_equal(res.first_bad[5], '?');

	/* Past EXEC_MAX_VALUES names: the rest counted as bad, known names
	 * still updated. */
	size_t len = 0;
	static char many[16384];
	for (int i = 0; i < EXEC_MAX_VALUES + 10; i++)
		len += (size_t)snprintf(many + len, sizeof many - len, "n%d %d\n", i, i);
	len += (size_t)snprintf(many + len, sizeof many - len, "n0 -1\n");
	exec_parse(many, len, &res);
	assert_int_equal(res.n, EXEC_MAX_VALUES);
	assert_int_equal(res.bad_lines, 10);
	assert_string_equal(res.first_bad, "n256 256");
	assert_true(res.v[0].value == -1);
}

/* Random lines from a small alphabet: every result keeps the invariants. */
static void parse_random(void **st)
{
	(void)st;
	unsigned seed = (unsigned)time(NULL);
	printf("# parse_random seed %u\n", seed);
	srand(seed);
	static const char alpha[] = "ab_Z09 \t\r\n#.-+eExp1nfia\x01\xff";
	char text[512];
	for (int round = 0; round < 10000; round++) {
		size_t len = (size_t)rand() % sizeof text;
		for (size_t i = 0; i < len; i++)
			text[i] = alpha[(size_t)rand() % (sizeof alpha - 1)];
		exec_parse(text, len, &res);
		assert_true(res.n <= EXEC_MAX_VALUES);
		assert_true(strlen(res.first_bad) < sizeof res.first_bad);
		assert_true((res.bad_lines == 0) == (res.first_bad[0] == '\0'));
		for (size_t i = 0; i < res.n; i++) {
			assert_true(isfinite(res.v[i].value));
			const char *nm = res.v[i].name;
			assert_true(strlen(nm) > 0 && strlen(nm) < EXEC_NAME_MAX);
			assert_true(strspn(nm,
					   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
					   "0123456789") == strlen(nm));
			assert_false(nm[0] >= '0' && nm[0] <= '9');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_output),
		cmocka_unit_test(exit_status),
		cmocka_unit_test(signal_death),
		cmocka_unit_test(timeout_kills_group),
		cmocka_unit_test(term_ignored),
		cmocka_unit_test(signal_state_not_inherited),
		cmocka_unit_test(leftover_holding_stdout),
		cmocka_unit_test(stdio_closed),
		cmocka_unit_test(big_stderr),
		cmocka_unit_test(too_much_output),
		cmocka_unit_test(too_many_values),
		cmocka_unit_test(cannot_start),
		cmocka_unit_test(parse_values),
		cmocka_unit_test(parse_names),
		cmocka_unit_test(parse_lines),
		cmocka_unit_test(parse_random),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
