/* File I/O for storage with fault injection (see io.h). A failure injected on
 * the nth call of an operation behaves exactly like the kernel returning that
 * errno, so storage code exercises its real error paths. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/io.h"
#include "base/mem.h"

static _Atomic uint64_t fail_countdown[ED_IO_NOPS];
static _Atomic int fail_errno[ED_IO_NOPS];
static _Atomic int64_t delay_usec[ED_IO_NOPS];

void ed_io_delay(enum ed_io_op op, int64_t usec)
{
	atomic_store(&delay_usec[op], usec);
}

void ed_io_fail_at(enum ed_io_op op, uint64_t nth, int err)
{
	atomic_store(&fail_errno[op], err ? err : EIO);
	atomic_store(&fail_countdown[op], nth);
}

void ed_io_fail_reset(void)
{
	for (int i = 0; i < ED_IO_NOPS; i++)
		atomic_store(&fail_countdown[i], 0);
}

/* Returns the errno to fail with, or 0. Sleeps first if a delay is set. */
static int injected(enum ed_io_op op)
{
	int64_t d = atomic_load_explicit(&delay_usec[op], memory_order_relaxed);
	if (d > 0)
		usleep((useconds_t)d);
	uint64_t n = atomic_load_explicit(&fail_countdown[op], memory_order_relaxed);
	if (n == 0)
		return 0;
	if (atomic_fetch_sub(&fail_countdown[op], 1) == 1)
		return atomic_load(&fail_errno[op]);
	return 0;
}

int ed_io_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *s = p;
	int e = injected(ED_IO_WRITE);
	if (e)
		return ed_err_from_errno(e);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ed_err_from_errno(errno) == ED_ENOSPC ? ED_ENOSPC : ED_EIO;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int ed_io_pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const uint8_t *s = p;
	int e = injected(ED_IO_WRITE);
	if (e)
		return ed_err_from_errno(e);
	while (n) {
		ssize_t w = pwrite(fd, s, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ed_err_from_errno(errno) == ED_ENOSPC ? ED_ENOSPC : ED_EIO;
		}
		s += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int ed_io_pread_all(int fd, void *p, size_t n, off_t off)
{
	uint8_t *d = p;
	if (injected(ED_IO_READ))
		return ED_EIO;
	while (n) {
		ssize_t r = pread(fd, d, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ED_EIO;
		}
		if (r == 0)
			return ED_EAGAIN;
		d += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int ed_io_fdatasync(int fd)
{
	int e = injected(ED_IO_FSYNC);
	if (e)
		return ed_err_from_errno(e) == ED_ENOSPC ? ED_ENOSPC : ED_EIO;
	if (fdatasync(fd) != 0)
		return errno == ENOSPC ? ED_ENOSPC : ED_EIO;
	return 0;
}

int ed_io_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ed_err_from_errno(errno);
	int rc = ed_io_fdatasync(fd);
	close(fd);
	return rc;
}

int ed_io_write_file_atomic(const char *path, const void *p, size_t n)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int rc = 0, fd;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return ED_EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ed_err_from_errno(errno);
	rc = ed_io_write_all(fd, p, n);
	if (rc == 0)
		rc = ed_io_fdatasync(fd);
	close(fd);
	if (rc)
		goto unlink_tmp;
	if (rename(tmp, path) != 0) {
		rc = ed_err_from_errno(errno);
		goto unlink_tmp;
	}
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		rc = ed_io_fsync_dir(slash == dir ? "/" : dir);
	} else {
		rc = ed_io_fsync_dir(".");
	}
	return rc;
unlink_tmp:
	unlink(tmp);
	return rc;
}

int ed_io_read_file(const char *path, size_t limit, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ed_err_from_errno(errno);
	struct stat st;
	int rc = 0;
	char *data = NULL;
	if (fstat(fd, &st) != 0) {
		rc = ED_EIO;
		goto close_fd;
	}
	if ((uint64_t)st.st_size > limit) {
		rc = ED_ETOOBIG;
		goto close_fd;
	}
	data = ed_malloc((size_t)st.st_size + 1);
	if (!data) {
		rc = ED_ENOMEM;
		goto close_fd;
	}
	rc = ed_io_pread_all(fd, data, (size_t)st.st_size, 0);
	if (rc) {
		ed_free(data);
		goto close_fd;
	}
	data[st.st_size] = 0;
	*out = data;
	if (len)
		*len = (size_t)st.st_size;
close_fd:
	close(fd);
	return rc;
}

int ed_io_mkdirs(const char *path, int mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return ED_EINVAL;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
			return ed_err_from_errno(errno);
		*p = '/';
	}
	if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
		return ed_err_from_errno(errno);
	return 0;
}

int ed_io_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : ed_err_from_errno(errno);
	int rc = 0;
	struct dirent *de;
	char child[PATH_MAX];
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) >= (int)sizeof child) {
			rc = ED_EINVAL;
			continue;
		}
		struct stat st;
		if (lstat(child, &st) != 0)
			continue;
		int r = S_ISDIR(st.st_mode) ? ed_io_remove_tree(child)
					    : (unlink(child) == 0 ? 0 : ed_err_from_errno(errno));
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	if (rmdir(path) != 0 && !rc)
		rc = ed_err_from_errno(errno);
	return rc;
}
