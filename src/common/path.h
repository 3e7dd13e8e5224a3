/* path.h - file-system paths. */
#ifndef SUNDIAL_COMMON_PATH_H
#define SUNDIAL_COMMON_PATH_H

#include <sys/types.h>

/* mkdir -p: path and its parents, each made with mode (less the umask) if
 * missing.  0, or a negative errno: -ENAMETOOLONG (longer than PATH_MAX),
 * -ENOTDIR (a part is not a folder), or mkdir's. */
int path_mkdirs(const char *path, mode_t mode) __attribute__((warn_unused_result));

#endif
