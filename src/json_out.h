/*
 * json_out: writing JSON text straight into a buffer, for the API's large
 * answers (a bulk upsert answers with a thousand invoices): building a
 * jansson tree of a thousand objects only to print it costs a malloc and
 * a free per value, a quarter of the call. The writer produces compact
 * JSON as jansson's JSON_COMPACT does (no spaces; "\n", "\t", "\"" and
 * "\\" escaped short, other control characters as \u00XX); it checks
 * UTF-8 and writes U+FFFD for a byte that is not part of a well-formed
 * sequence, so its output is always valid JSON.
 *
 * The caller writes the structure ({, keys, commas) with json_out_key and
 * friends; buf's bound applies: every function returns 0, or -1 when the
 * buffer is full (its max reached).
 */
#ifndef DUNWELL_JSON_OUT_H
#define DUNWELL_JSON_OUT_H

#include <stdint.h>

#include "buf.h"

/* A JSON string: "s" with the escapes above. */
int json_out_str(struct buf *b, const char *s);
/* ,"key": (the comma only when `first` is 0). */
int json_out_key(struct buf *b, const char *key, int first);
/* "key":"value", "key":123, "key":true|false (with the comma rule). */
int json_out_kstr(struct buf *b, const char *key, const char *value,
		  int first);
int json_out_kint(struct buf *b, const char *key, int64_t value, int first);
int json_out_kbool(struct buf *b, const char *key, int value, int first);

#endif
