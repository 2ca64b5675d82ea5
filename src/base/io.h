/* File I/O wrappers used by storage: full writes, positional reads, fdatasync.
 * Each can be made to fail on its Nth call (tests inject write and fsync
 * failures at the 1st, 2nd, 3rd... call). Thread-safe counters. */
#ifndef ED_IO_H
#define ED_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ed_io_op { ED_IO_WRITE = 0, ED_IO_FSYNC = 1, ED_IO_READ = 2, ED_IO_NOPS = 3 };

/* Write all n bytes (retrying short writes and EINTR). 0 or ED_EIO/ED_ENOSPC. */
int ed_io_write_all(int fd, const void *p, size_t n);
int ed_io_pwrite_all(int fd, const void *p, size_t n, off_t off);
/* Read exactly n bytes at off. ED_EAGAIN if the file ends first. */
int ed_io_pread_all(int fd, void *p, size_t n, off_t off);
int ed_io_fdatasync(int fd);
int ed_io_fsync_dir(const char *path);
/* Write a whole file atomically: tmp file, fsync, rename, fsync the directory. */
int ed_io_write_file_atomic(const char *path, const void *p, size_t n);
/* Read a whole small file into a NUL-terminated ed_malloc'd buffer (limit bytes max). */
int ed_io_read_file(const char *path, size_t limit, char **out, size_t *len);
/* mkdir -p */
int ed_io_mkdirs(const char *path, int mode);
/* rm -rf of a directory tree we own. */
int ed_io_remove_tree(const char *path);

/* Fail the nth call of op from now (1 = next), with errno err (EIO if 0). 0 disables. */
void ed_io_fail_at(enum ed_io_op op, uint64_t nth, int err);
void ed_io_fail_reset(void);
/* Make every call of op sleep usec microseconds first (0 disables): tests of
 * slow disks and backpressure. */
void ed_io_delay(enum ed_io_op op, int64_t usec);

#endif
