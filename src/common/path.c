/* path.c - file-system paths; see path.h. */
#include "common/path.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "common/mem.h"

int path_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat sb;

	if (str_copy(buf, path, sizeof buf) >= sizeof buf)
		return -ENAMETOOLONG;
	if (stat(buf, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		if (p[-1] != '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0) {
				int e = errno;

				if (e != EEXIST)
					return -e;
				if (stat(buf, &sb) != 0)
					return -errno;
				if (!S_ISDIR(sb.st_mode))
					return -ENOTDIR;
			}
			*p = c;
		}
		if (c == '\0')
			return 0;
	}
}
