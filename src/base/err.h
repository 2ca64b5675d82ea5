/* Error codes shared by every module. Functions that do something return int:
 * 0 (ED_OK) on success or a negative enum ed_err; ed_err_str() names it.
 * Human-readable detail travels separately in a caller-owned error buffer. */
#ifndef ED_ERR_H
#define ED_ERR_H

enum ed_err {
	ED_OK = 0,
	ED_ENOMEM = -1,        /* allocation failed (or was made to fail) */
	ED_EIO = -2,           /* read/write/fsync failed */
	ED_EINVAL = -3,        /* bad argument or malformed input */
	ED_ECORRUPT = -4,      /* stored or received data fails validation */
	ED_ENOENT = -5,        /* no such topic, partition, file or key */
	ED_EEXIST = -6,        /* already exists */
	ED_ERANGE = -7,        /* offset or value out of range */
	ED_ETOOBIG = -8,       /* exceeds a configured limit */
	ED_EBUSY = -9,         /* locked by another process or in use */
	ED_EFAILED = -10,      /* partition is in the failed, read-only state */
	ED_EAGAIN = -11,       /* need more bytes / try again */
	ED_ECLOSED = -12,      /* object is shutting down */
	ED_EUNSUPPORTED = -13, /* valid input we do not handle (e.g. old magic) */
	ED_EPROTO = -14,       /* protocol violation by a peer */
	ED_ENOSPC = -15,       /* disk full */
};

const char *ed_err_str(int err);

/* Maps an errno value to the closest ed_err. */
int ed_err_from_errno(int e);

#endif
