/*
 * test_csv: the streaming CSV reader.
 *
 * Most cases are a table row: input bytes -> the records read, written as
 * "LINE:field|field / LINE:field" (a newline inside a field shows as \n, a
 * CR as \r), and for broken input the exact error message. The rest build
 * inputs that are too large to write out: bounds, read-buffer boundaries and
 * a million-line file.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "csv.h"
#include "mem.h"

#define DUMP_MAX (4 * 1024 * 1024)

/* A real FILE holding `len` bytes, positioned at the start. */
static FILE *file_with(const char *data, size_t len)
{
	FILE *f = tmpfile();

	if (!f)
		return NULL;
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	return f;
}

static void dump_field(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s == '\r')
			buf_puts(b, "\\r");
		else
			buf_putc(b, *s);
	}
}

/* Read everything; the records go to `out` as described above. Returns the
 * final csv_next result (0 at a clean end, or the error). */
static int read_all(const char *data, size_t len, struct buf *out,
		    struct err *e)
{
	FILE *f = file_with(data, len);
	struct csv *c;
	int rc;

	CHECK(f != NULL);
	if (!f)
		return -ERR_IO;
	c = csv_open(f, "t.csv");
	while ((rc = csv_next(c, e)) == 1) {
		if (out->len)
			buf_puts(out, " / ");
		buf_printf(out, "%ld:", csv_line(c));
		for (size_t i = 0; i < csv_nfields(c); i++) {
			if (i)
				buf_putc(out, '|');
			dump_field(out, csv_field(c, i));
		}
	}
	csv_free(c);
	fclose(f);
	return rc;
}

#define S(lit) lit, sizeof(lit) - 1

static void test_table(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *records; /* what was read before the end */
		const char *error;   /* "" for a clean end */
	} cases[] = {
		{ S(""), "", "" },
		{ S("a,b,c\n1,2,3\n"), "1:a|b|c / 2:1|2|3", "" },
		{ S("a,b\n1,2"), "1:a|b / 2:1|2", "" },
		{ S("\"a,b\",\"say \"\"hi\"\"\",c\n"), "1:a,b|say \"hi\"|c", "" },
		{ S("id,note\n1,\"line one\nline two\"\n2,x\n"),
		  "1:id|note / 2:1|line one\\nline two / 4:2|x", "" },
		{ S("a,\"x\n\n\ny\"\nb\n"), "1:a|x\\n\\n\\ny / 5:b", "" },
		{ S("a,b\r\n1,2\r\n"), "1:a|b / 2:1|2", "" },
		{ S("\"x\r\ny\",z\r\nq\r\n"), "1:x\\r\\ny|z / 3:q", "" },
		{ S("a\rb\r"), "1:a / 2:b", "" },
		{ S("\"x\ry\"\rz\n"), "1:x\\ry / 3:z", "" },
		{ S("\xef\xbb\xbfname\nbob\n"), "1:name / 2:bob", "" },
		{ S("\xef\xbb\xbf"), "", "" },
		{ S("\xef\xbb"), "1:\xef\xbb", "" },
		{ S("x\xef\xbb\xbf\n"), "1:x\xef\xbb\xbf", "" },
		{ S("\n\na\n\r\n\nb\n\n"), "3:a / 6:b", "" },
		{ S(",,\n"), "1:||", "" },
		{ S("a,\n"), "1:a|", "" },
		{ S("\"\"\n"), "1:", "" },
		{ S("\"\",\"\"\n"), "1:|", "" },
		{ S(" a , b \n"), "1: a | b ", "" },
		{ S("na\xc3\xafve,\xe2\x82\xac 5\n"), "1:na\xc3\xafve|\xe2\x82\xac 5", "" },
		{ S("\"a\""), "1:a", "" },
		{ S("\"a\"\r\n"), "1:a", "" },
		{ S("\"\"\"\"\n"), "1:\"", "" },
		{ S("a,b\n1,2\n3,\"open\nmore\n"), "1:a|b / 2:1|2",
		  "t.csv:3: unterminated quoted field starting on this line" },
		{ S("\"a"), "", "t.csv:1: unterminated quoted field starting on this line" },
		{ S("a,b\nx,y\"z\n"), "1:a|b",
		  "t.csv:2: stray quote in unquoted field 2" },
		{ S("a\n\"x\n\ny\"\nb\"c\n"), "1:a / 2:x\\n\\ny",
		  "t.csv:5: stray quote in unquoted field 1" },
		{ S(" \"a\"\n"), "", "t.csv:1: stray quote in unquoted field 1" },
		{ S("\"a\"b,c\n"), "",
		  "t.csv:1: text after the closing quote of field 1; expected a comma or the end of the line" },
		{ S("1,\"a\" \n"), "",
		  "t.csv:1: text after the closing quote of field 2; expected a comma or the end of the line" },
		{ S("a\0b\n"), "", "t.csv:1: NUL byte in field 1" },
		{ S("x\n\0\n"), "1:x", "t.csv:2: NUL byte in field 1" },
		{ S("x\ny,\"a\n\0\"\n"), "1:x", "t.csv:3: NUL byte in field 2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		struct err e = { "" };
		int rc;

		buf_init(&out, DUMP_MAX);
		rc = read_all(cases[i].in, cases[i].len, &out, &e);
		if (strcmp(buf_cstr(&out), cases[i].records) != 0) {
			printf("  case %zu: read \"%s\", want \"%s\"\n", i,
			       buf_cstr(&out), cases[i].records);
			check_failed_here++;
		}
		if (cases[i].error[0] == '\0' && rc != 0) {
			printf("  case %zu: rc %d: %s\n", i, rc, e.msg);
			check_failed_here++;
		}
		if (cases[i].error[0] &&
		    (rc >= 0 || strcmp(e.msg, cases[i].error) != 0)) {
			printf("  case %zu: rc %d \"%s\", want \"%s\"\n", i, rc,
			       e.msg, cases[i].error);
			check_failed_here++;
		}
		buf_free(&out);
	}
}

/* A record of `n` fields "f0,f1,..." plus a newline. */
static char *fields_line(size_t n, size_t *ret_len)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%sf%zu", i ? "," : "", i);
	buf_putc(&b, '\n');
	*ret_len = b.len;
	return buf_detach(&b);
}

static void test_field_bound(void)
{
	struct buf out;
	struct err e = { "" };
	size_t len;
	char *in;

	in = fields_line(CSV_MAX_FIELDS, &len);
	buf_init(&out, DUMP_MAX);
	CHECK_INT(read_all(in, len, &out, &e), 0);
	CHECK(strstr(buf_cstr(&out), "|f63") != NULL);
	buf_free(&out);
	free(in);

	in = fields_line(CSV_MAX_FIELDS + 1, &len);
	buf_init(&out, DUMP_MAX);
	CHECK_INT(read_all(in, len, &out, &e), -ERR_TOOBIG);
	CHECK_STR(e.msg, "t.csv:1: more than 64 fields");
	buf_free(&out);
	free(in);
}

/* "head\n" then one record of exactly `raw` bytes built by `kind`, then
 * "tail\n". */
static char *long_record(int kind, size_t raw, size_t *ret_len)
{
	size_t len = 5 + raw + 1 + 5;
	char *s = xmalloc(len);
	char *r = s + 5;

	memcpy(s, "head\n", 5);
	switch (kind) {
	case 0: /* one unquoted field */
		memset(r, 'x', raw);
		break;
	case 1: /* one quoted field with "" at both ends */
		memset(r, 'q', raw);
		memcpy(r, "\"\"\"", 3);
		memcpy(r + raw - 3, "\"\"\"", 3);
		break;
	default: /* many short fields */
		for (size_t i = 0; i < raw; i++)
			r[i] = i % 2 ? ',' : 'a';
		r[raw - 1] = 'a';
		break;
	}
	r[raw] = '\n';
	memcpy(r + raw + 1, "tail\n", 5);
	*ret_len = len;
	return s;
}

static void test_record_bound(void)
{
	for (int kind = 0; kind < 2; kind++) {
		struct buf out;
		struct err e = { "" };
		size_t len;
		char *in;
		FILE *f;
		struct csv *c;

		/* Exactly at the bound: read whole. */
		in = long_record(kind, CSV_MAX_RECORD, &len);
		f = file_with(in, len);
		c = csv_open(f, "t.csv");
		CHECK_INT(csv_next(c, &e), 1);
		CHECK_INT(csv_next(c, &e), 1);
		CHECK_INT(csv_nfields(c), 1);
		CHECK_INT(strlen(csv_field(c, 0)),
			  kind == 0 ? CSV_MAX_RECORD : CSV_MAX_RECORD - 4);
		CHECK_INT(csv_line(c), 2);
		CHECK_INT(csv_next(c, &e), 1);
		CHECK_STR(csv_field(c, 0), "tail");
		CHECK_INT(csv_line(c), 3);
		CHECK_INT(csv_next(c, &e), 0);
		csv_free(c);
		fclose(f);
		free(in);

		/* One byte more: an error naming the record's line. */
		in = long_record(kind, CSV_MAX_RECORD + 1, &len);
		buf_init(&out, DUMP_MAX);
		CHECK_INT(read_all(in, len, &out, &e), -ERR_TOOBIG);
		CHECK_STR(e.msg, "t.csv:2: record longer than 65536 bytes");
		CHECK_STR(buf_cstr(&out), "1:head");
		buf_free(&out);
		free(in);
	}
	/* A record of 32768 one-letter fields also hits the field bound
	 * first; what matters is that it is refused, not how. */
	{
		struct buf out;
		struct err e = { "" };
		size_t len;
		char *in = long_record(2, CSV_MAX_RECORD + 1, &len);

		buf_init(&out, DUMP_MAX);
		CHECK(read_all(in, len, &out, &e) == -ERR_TOOBIG);
		buf_free(&out);
		free(in);
	}
}

/* Line ends and "" escapes that straddle the 64 KiB read buffer. */
static void test_buffer_boundaries(void)
{
	for (size_t pad = 65528; pad <= 65536; pad++) {
		struct buf b, out;
		struct err e = { "" };
		char *want;

		/* A CRLF at every position around the boundary. */
		buf_init(&b, DUMP_MAX);
		for (size_t i = 0; i < pad; i++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\r\ny\r\n");
		buf_init(&out, DUMP_MAX);
		CHECK_INT(read_all(b.data, b.len, &out, &e), 0);
		CHECK(out.len == 2 + pad + 6 &&
		      strcmp(buf_cstr(&out) + out.len - 6, " / 2:y") == 0);
		buf_free(&out);
		buf_free(&b);

		/* A "" escape and a closing quote at every position around
		 * the boundary, after a first record of `pad` bytes. */
		buf_init(&b, DUMP_MAX);
		for (size_t i = 0; i < pad; i++)
			buf_putc(&b, 'p');
		buf_puts(&b, "\n\"q\"\"r\"\nz\n");
		buf_init(&out, DUMP_MAX);
		CHECK_INT(read_all(b.data, b.len, &out, &e), 0);
		want = xmalloc(pad + 32);
		memcpy(want, "1:", 2);
		memset(want + 2, 'p', pad);
		memcpy(want + 2 + pad, " / 2:q\"r / 3:z", 15);
		CHECK_STR(buf_cstr(&out), want);
		free(want);
		buf_free(&out);
		buf_free(&b);
	}
}

static void test_header(void)
{
	static const char in[] =
		"\xef\xbb\xbf  id , name,email ,,name\n1,Bob,b@example.org\n";
	FILE *f = file_with(in, sizeof(in) - 1);
	struct err e = { "" };
	struct csv *c = csv_open(f, "customers.csv");

	CHECK_STR(csv_name(c), "customers.csv");
	CHECK_INT(csv_column(c, "id"), -1); /* no header taken yet */
	CHECK_INT(csv_next(c, &e), 1);
	csv_take_header(c);
	CHECK_INT(csv_next(c, &e), 1);
	CHECK_INT(csv_column(c, "id"), 0);
	CHECK_INT(csv_column(c, " id "), 0);
	CHECK_INT(csv_column(c, "name"), 1); /* the first of two */
	CHECK_INT(csv_column(c, "email"), 2);
	CHECK_INT(csv_column(c, ""), 3);
	CHECK_INT(csv_column(c, "Email"), -1);
	CHECK_INT(csv_column(c, "phone"), -1);
	CHECK_STR(csv_field(c, (size_t)csv_column(c, "email")),
		  "b@example.org");
	CHECK_STR(csv_field(c, 3), "");  /* past the record's fields */
	CHECK_STR(csv_field(c, 99), "");
	CHECK_INT(csv_next(c, &e), 0);
	CHECK_INT(csv_next(c, &e), 0); /* still at the end */
	csv_free(c);
	fclose(f);
	csv_free(NULL);
}

/* After an error the reader stays stopped with the same message. */
static void test_sticky_error(void)
{
	static const char in[] = "a\nb\"\nc\n";
	FILE *f = file_with(in, sizeof(in) - 1);
	struct err e = { "" };
	struct csv *c = csv_open(f, "t.csv");

	CHECK_INT(csv_next(c, &e), 1);
	CHECK_INT(csv_next(c, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "t.csv:2: stray quote in unquoted field 1");
	CHECK_INT(csv_nfields(c), 0);
	err_clear(&e);
	CHECK_INT(csv_next(c, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "t.csv:2: stray quote in unquoted field 1");
	CHECK_INT(csv_next(c, NULL), -ERR_INVALID);
	csv_free(c);
	fclose(f);
}

/* A million lines, some with quoted multi-line fields: every record is
 * read, in order, with the right line numbers. (Speed is measured by hand
 * or under bench/, never by a test.) */
static void test_million_lines(void)
{
	FILE *f = tmpfile();
	struct err e = { "" };
	struct csv *c;
	long records = 0, lines = 0, bad = 0;
	int rc;

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("id,name,amount,note\n", f);
	lines = 1;
	for (long i = 1; lines < 1000000; i++) {
		if (i % 1000 == 0) {
			fprintf(f, "%ld,\"Name, %ld\",%ld.00,\"two\nlines\"\r\n",
				i, i, i % 977);
			lines += 2;
		} else {
			fprintf(f, "%ld,Customer %ld,%ld.50,\n", i, i, i % 977);
			lines++;
		}
	}
	rewind(f);
	c = csv_open(f, "big.csv");
	CHECK_INT(csv_next(c, &e), 1);
	csv_take_header(c);
	long want_line = 2;
	while ((rc = csv_next(c, &e)) == 1) {
		records++;
		if (csv_line(c) != want_line || csv_nfields(c) != 4)
			bad++;
		want_line += records % 1000 == 0 ? 2 : 1;
	}
	CHECK_INT(rc, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(want_line - 1, lines);
	CHECK(records > 990000);
	csv_free(c);
	fclose(f);
}

int main(void)
{
	RUN(test_table);
	RUN(test_field_bound);
	RUN(test_record_bound);
	RUN(test_buffer_boundaries);
	RUN(test_header);
	RUN(test_sticky_error);
	RUN(test_million_lines);
	return CHECK_DONE();
}
