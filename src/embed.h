/*
 * embed: data files compiled into the binary by tools/embed.sh
 * (the SQL migrations, holiday calendars and example strategies), looked up
 * by their path in the source tree.
 */
#ifndef DUNWELL_EMBED_H
#define DUNWELL_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name; /* path in the source tree, "data/holidays/NL.txt" */
	const char *data; /* contents (NUL-terminated as a literal) */
	size_t len;       /* bytes, without that NUL */
};

extern const struct embedded_file embedded_files[];
extern const unsigned long embedded_count;

/* The file with this exact name, or NULL. */
const struct embedded_file *embed_find(const char *name);

#endif
