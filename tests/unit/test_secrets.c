/*
 * test_secrets: the secrets file (who may read it, its NAME=VALUE lines),
 * ${NAME} expansion from it and from the environment, and that no message
 * ever holds a value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "profile.h"
#include "secrets.h"

static char dir[64];

static const char *write_file(const char *name, const char *text,
			      mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

TEST(refuses_readable_file)
{
	struct err e;
	const char *p = write_file("open", "PW=hunter2\n", 0644);

	err_clear(&e);
	CHECK_INT(secrets_load(p, &e), -ERR_IO);
	CHECK(strstr(e.msg, p) != NULL);
	CHECK(strstr(e.msg, "0644") != NULL);
	CHECK(strstr(e.msg, "hunter2") == NULL);
	p = write_file("group", "PW=hunter2\n", 0640);
	CHECK_INT(secrets_load(p, &e), -ERR_IO);
	CHECK(strstr(e.msg, "0640") != NULL);
	CHECK_INT(secrets_load(dir, &e), -ERR_IO); /* a directory */
	CHECK(strstr(e.msg, "not a regular file") != NULL);
	CHECK_INT(secrets_load("/nonexistent/dw-secrets", &e), -ERR_IO);
	CHECK(strstr(e.msg, "/nonexistent/dw-secrets") != NULL);
}

TEST(refuses_symlink)
{
	struct err e;
	char link[128];
	const char *p = write_file("real", "PW=x\n", 0600);

	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK_INT(symlink(p, link), 0);
	CHECK_INT(secrets_load(link, &e), -ERR_IO);
	CHECK(strstr(e.msg, "symbolic link") != NULL);
}

TEST(bad_lines)
{
	struct err e;
	const char *p = write_file("bad", "# c\nPW=hunter2\nlower=hunter3\n",
				   0600);

	CHECK_INT(secrets_load(p, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, ":3:") != NULL);
	CHECK(strstr(e.msg, "hunter") == NULL);
	p = write_file("twice", "PW=hunter2\nPW=hunter3\n", 0600);
	CHECK_INT(secrets_load(p, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "PW given twice") != NULL);
	CHECK(strstr(e.msg, "hunter") == NULL);
	/* a failed load leaves nothing behind */
	CHECK_INT(secrets_expand("${PW}", (char[16]){ 0 }, 16, &e),
		  -ERR_NOTFOUND);
}

TEST(load_and_expand)
{
	struct err e;
	char out[256];
	const char *p = write_file("good",
				   "# provider credentials\n"
				   "\n"
				   "SMTP_PW=s3cret%pw\r\n"
				   "  TOKEN_1=abc=def&x\n"
				   "EMPTY=\n"
				   "SHARED=from-file\n",
				   0600);

	setenv("DW_TEST_ENV", "env value", 1);
	setenv("SHARED", "from-env", 1);
	CHECK_INT(secrets_load(p, &e), 0);
	CHECK_INT(secrets_load(p, &e), -ERR_INVALID); /* once only */
	CHECK_INT(secrets_expand("smtp://u:${SMTP_PW}@h:587?x=1", out,
				 sizeof(out), &e), 0);
	CHECK_STR(out, "smtp://u:s3cret%25pw@h:587?x=1");
	CHECK_INT(secrets_expand("t:u?token=${TOKEN_1}&e=${EMPTY}&v=${SHARED}",
				 out, sizeof(out), &e), 0);
	CHECK_STR(out, "t:u?token=abc%3Ddef%26x&e=&v=from-file");
	CHECK_INT(secrets_expand("a?k=${DW_TEST_ENV}", out, sizeof(out), &e),
		  0);
	CHECK_STR(out, "a?k=env%20value");
	CHECK_INT(secrets_expand("no placeholders $HOME {x}", out, sizeof(out),
				 &e), 0);
	CHECK_STR(out, "no placeholders $HOME {x}");

	CHECK_INT(secrets_expand("a?k=${DW_NOT_SET_ANYWHERE}", out,
				 sizeof(out), &e), -ERR_NOTFOUND);
	CHECK(strstr(e.msg, "${DW_NOT_SET_ANYWHERE}") != NULL);
	CHECK_INT(secrets_expand("a?k=${lower}", out, sizeof(out), &e),
		  -ERR_INVALID);
	CHECK_INT(secrets_expand("a?k=${SMTP_PW", out, sizeof(out), &e),
		  -ERR_INVALID);
	CHECK_INT(secrets_expand("a?k=${SMTP_PW}", out, 12, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "s3cret") == NULL);

	/* an adapter's message quoting the expanded setting */
	char msg[128];
	snprintf(msg, sizeof(msg), "bad user:s3cret%%25pw and s3cret%%pw");
	secrets_scrub("smtp://u:${SMTP_PW}@h", msg, sizeof(msg));
	CHECK_STR(msg, "bad user:${SMTP_PW} and ${SMTP_PW}");

	secrets_reset();
	CHECK_INT(secrets_expand("${SMTP_PW}", out, sizeof(out), &e),
		  -ERR_NOTFOUND);
	CHECK_INT(secrets_expand("${SHARED}", out, sizeof(out), &e), 0);
	CHECK_STR(out, "from-env");
}

TEST(inline_secrets_refused)
{
	struct err e;

	CHECK_INT(profile_check("deliver_email",
				"smtp://dw:hunter2@h:587?from=a@b.example",
				&e), -ERR_INVALID);
	CHECK(strstr(e.msg, "deliver_email") != NULL);
	CHECK(strstr(e.msg, "${NAME}") != NULL);
	CHECK(strstr(e.msg, "hunter2") == NULL);
	CHECK_INT(profile_check("deliver_email",
				"smtp://dw:${PW}@h:587?from=a@b.example", &e),
		  0);
	CHECK_INT(profile_check("deliver_email", "smtp://h:587?from=a@b.ex",
				&e), 0);
	CHECK_INT(profile_check("deliver_sms",
				"twilio:https://x?account=AC1&token=hunter2",
				&e), -ERR_INVALID);
	CHECK(strstr(e.msg, "token") != NULL);
	CHECK(strstr(e.msg, "hunter2") == NULL);
	CHECK_INT(profile_check("deliver_sms",
				"twilio:https://x?account=AC1&token=${T}x",
				&e), -ERR_INVALID);
	CHECK_INT(profile_check("deliver_sms",
				"twilio:https://x?account=AC1&token=${T}", &e),
		  0);
	CHECK_INT(profile_check("deliver_whatsapp",
				"whatsapp:https://g?token=${A}&verify_token=${"
				"B}&app_secret=s3", &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "app_secret") != NULL);
	CHECK(strstr(e.msg, "s3") == NULL || strstr(e.msg, "s3") ==
		  strstr(e.msg, "secrets"));
	CHECK_INT(profile_check("deliver_push", "webhook:https://a?secret=x",
				&e), -ERR_INVALID);
	CHECK_INT(profile_check("deliver_push", "file:/tmp/a?secret=x", &e), 0);
	CHECK_INT(profile_check("deliver_letter", "letters:/tmp/k?key=v", &e),
		  0);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dw-secrets-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(refuses_readable_file);
	RUN(refuses_symlink);
	RUN(bad_lines);
	RUN(load_and_expand);
	RUN(inline_secrets_refused);
	secrets_reset();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return CHECK_DONE();
}
