/* Leveled logging to stderr, one write(2) per line (see diag.h). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"

static _Atomic int level = -1;

static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR", "SILENT"};

int ed_diag_parse_level(const char *s)
{
	for (int i = 0; i <= ED_SILENT; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return ED_WARN;
	return -1;
}

void ed_diag_set_level(enum ed_level lvl)
{
	atomic_store(&level, (int)lvl);
}

enum ed_level ed_diag_level(void)
{
	int l = atomic_load(&level);
	if (l < 0) {
		const char *env = getenv("EDDY_LOG_LEVEL");
		l = env ? ed_diag_parse_level(env) : -1;
		if (l < 0)
			l = ED_INFO;
		atomic_store(&level, l);
	}
	return (enum ed_level)l;
}

void ed_diag(enum ed_level lvl, const char *module, const char *fmt, ...)
{
	if (lvl < ed_diag_level() || lvl >= ED_SILENT)
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line,
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, names[lvl], module);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(2, line, len);
	(void)w;
}
