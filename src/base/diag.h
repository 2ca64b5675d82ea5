/* Leveled logging to stderr: "2026-11-25T12:00:00.123Z LEVEL module: message".
 * The level is process-wide (EDDY_LOG_LEVEL=debug|info|warn|error or
 * ed_diag_set_level). Thread-safe: each line is written with one write(2). */
#ifndef ED_DIAG_H
#define ED_DIAG_H

enum ed_level { ED_DEBUG = 0, ED_INFO = 1, ED_WARN = 2, ED_ERROR = 3, ED_SILENT = 4 };

void ed_diag_set_level(enum ed_level lvl);
enum ed_level ed_diag_level(void);
/* Parses "debug", "info", "warn", "error", "silent"; returns -1 if unknown. */
int ed_diag_parse_level(const char *s);
void ed_diag(enum ed_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ed_debug(mod, ...)                                   \
	do {                                                 \
		if (ed_diag_level() <= ED_DEBUG)             \
			ed_diag(ED_DEBUG, mod, __VA_ARGS__); \
	} while (0)
#define ed_info(mod, ...) ed_diag(ED_INFO, mod, __VA_ARGS__)
#define ed_warn(mod, ...) ed_diag(ED_WARN, mod, __VA_ARGS__)
#define ed_error(mod, ...) ed_diag(ED_ERROR, mod, __VA_ARGS__)

#endif
