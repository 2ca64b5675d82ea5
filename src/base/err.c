/* Names for enum ed_err, and the errno mapping used by the I/O layer. */
#include <errno.h>

#include "base/err.h"

const char *ed_err_str(int err)
{
	switch (err) {
	case ED_OK:
		return "ok";
	case ED_ENOMEM:
		return "out of memory";
	case ED_EIO:
		return "I/O error";
	case ED_EINVAL:
		return "invalid argument";
	case ED_ECORRUPT:
		return "corrupt data";
	case ED_ENOENT:
		return "not found";
	case ED_EEXIST:
		return "already exists";
	case ED_ERANGE:
		return "out of range";
	case ED_ETOOBIG:
		return "too large";
	case ED_EBUSY:
		return "busy or locked";
	case ED_EFAILED:
		return "failed (read-only after an I/O error)";
	case ED_EAGAIN:
		return "incomplete, try again";
	case ED_ECLOSED:
		return "closed";
	case ED_EUNSUPPORTED:
		return "unsupported";
	case ED_EPROTO:
		return "protocol error";
	case ED_ENOSPC:
		return "no space left on device";
	}
	return "unknown error";
}

int ed_err_from_errno(int e)
{
	switch (e) {
	case 0:
		return ED_OK;
	case ENOMEM:
		return ED_ENOMEM;
	case ENOENT:
		return ED_ENOENT;
	case EEXIST:
		return ED_EEXIST;
	case EINVAL:
		return ED_EINVAL;
	case ENOSPC:
	case EDQUOT:
		return ED_ENOSPC;
	case EWOULDBLOCK:
		return ED_EBUSY;
	case ERANGE:
		return ED_ERANGE;
	case EFBIG:
		return ED_ETOOBIG;
	}
	return ED_EIO;
}
