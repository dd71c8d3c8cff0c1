/* An LD_PRELOAD shim for tests/e2e/test_storage_faults.py: while the file named by
 * TEST_FAIL_FSYNC_IF_EXISTS exists, fsync and fdatasync fail with EIO (as a failing disk
 * answers); otherwise they do what libc does. Built by the test with the system C compiler. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void) {
    const char *flag = getenv("TEST_FAIL_FSYNC_IF_EXISTS");
    return flag != NULL && access(flag, F_OK) == 0;
}

int fsync(int fd) {
    static int (*real)(int) = NULL;
    if (failing()) { errno = EIO; return -1; }
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int) = NULL;
    if (failing()) { errno = EIO; return -1; }
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}
