/*
 * main: the dunwell command line — a table of commands, global options,
 * and the one place that reads the clock (--as-of defaults to now) and
 * prints errors.
 *
 * Every command gets a struct cli with the parsed options; library code
 * returns errors in a struct err and this file prints them once, prefixed
 * with "dunwell: ". Exit status: 0 success, 1 failure, 2 bad usage.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "date.h"
#include "demo.h"
#include "err.h"
#include "import.h"
#include "mem.h"
#include "run.h"
#include "store.h"
#include "strategy.h"

#define MAX_POSITIONAL 8

/* Options, as given on the command line (NULL when absent). */
struct cli {
	const char *db;       /* --db PATH|URL, else $DUNWELL_DB, else dunwell.db */
	const char *as_of;    /* --as-of instant or date */
	const char *tenant;   /* --tenant SLUG, else $DUNWELL_TENANT, else default */
	const char *strategy; /* --strategy FILE */
	const char *from;     /* --from DATE */
	const char *horizon;  /* --horizon DAYS */
	const char *batch;    /* --batch N */
	const char *name;     /* --name TEXT */
	const char *timezone; /* --timezone ZONE */
	const char *locale;   /* --locale TAG */
	const char *to;       /* --to DATE (simulate) or URL (migrate) */
	const char *pos[MAX_POSITIONAL]; /* positional arguments */
	int npos;
	instant_t now;        /* --as-of resolved */
};

/* Command flags. */
enum {
	NEEDS_STORE = 1 << 0,  /* open (and migrate) the store first */
	NEEDS_TENANT = 1 << 1, /* resolve --tenant (implies NEEDS_STORE) */
};

struct command {
	const char *name;     /* first word on the command line */
	int (*fn)(struct cli *cli, struct store *s, const struct tenant_rec *t,
		  struct err *e);
	int flags;            /* NEEDS_* */
	const char *options;  /* options it accepts, space-separated */
	const char *usage;    /* arguments, for help */
	const char *summary;  /* one line for `dunwell help` */
};

static const struct command *find_command(const char *name);

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "dunwell: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see 'dunwell help')\n");
	return 2;
}

/* Parse a positive decimal integer with an upper bound. */
static int parse_count(const char *opt, const char *v, long max, long *ret,
		       struct err *e)
{
	long n = 0;
	if (!v || !*v)
		return err_set(e, ERR_INVALID, "%s needs a number", opt);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, ERR_INVALID,
				       "%s: '%s' is not a whole number", opt, v);
		n = n * 10 + (*p - '0');
		if (n > max)
			return err_set(e, ERR_RANGE, "%s: '%s' is larger than %ld",
				       opt, v, max);
	}
	*ret = n;
	return 0;
}

static void print_stats(const struct run_stats *st, const char *tenant)
{
	printf("tenant %s: %ld customers looked at, %ld cases opened, %ld"
	       " closed, %ld open (%ld paused)\n",
	       tenant, st->customers, st->cases_opened, st->cases_closed,
	       st->cases_open, st->paused);
	printf("  actions: %ld contacts, %ld fees, %ld end actions,"
	       " %ld skipped steps, %ld hand-offs to a person\n",
	       st->contacts, st->fees, st->ends, st->skips, st->agents);
}

static int cmd_run(struct cli *cli, struct store *s, const struct tenant_rec *t,
		   struct err *e)
{
	struct run_options opt = { 0 };
	struct run_stats st;
	long batch = 0;
	int r;

	if (cli->batch) {
		r = parse_count("--batch", cli->batch, 10000000, &batch, e);
		if (r < 0)
			return r;
		opt.batch_customers = batch;
	}
	if (t) {
		r = run_tenant(s, t, cli->now, &opt, &st, e);
		if (r < 0)
			return r;
		print_stats(&st, t->slug);
		return 0;
	}
	/* No --tenant: every tenant with an active strategy. */
	struct tenant_rec *list;
	size_t n;
	r = store_tenant_list(s, &list, &n, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct strategy_version_rec sv;
		if (store_strategy_get(s, list[i].id, 0, &sv, NULL) < 0) {
			printf("tenant %s: no active strategy, skipped\n",
			       list[i].slug);
			continue;
		}
		strategy_version_rec_clear(&sv);
		r = run_tenant(s, &list[i], cli->now, &opt, &st, e);
		if (r == 0)
			print_stats(&st, list[i].slug);
	}
	tenant_list_free(list, n);
	return r;
}

static int cmd_migrate(struct cli *cli, struct store *s,
		       const struct tenant_rec *t, struct err *e)
{
	int applied, version, r;
	(void)t;
	r = store_migrate(s, &applied, &version, e);
	if (r < 0)
		return r;
	if (cli->to) {
		/* Copy everything into another (empty) store, e.g. from the
		 * SQLite file to a PostgreSQL database. */
		struct store *dst;
		r = store_open(cli->to, &dst, e);
		if (r < 0)
			return r;
		printf("copying %s (%s) to %s (%s)\n", cli->db,
		       store_backend_name(s), cli->to, store_backend_name(dst));
		r = store_copy_all(s, dst, stdout, e);
		store_close(dst);
		if (r < 0)
			return r;
		printf("done: every row copied\n");
		return 0;
	}
	printf("%s: schema version %d (%d migration%s applied)\n", cli->db,
	       version, applied, applied == 1 ? "" : "s");
	return 0;
}

static int cmd_tenant(struct cli *cli, struct store *s,
		      const struct tenant_rec *t, struct err *e)
{
	(void)t;
	if (cli->npos == 1 && strcmp(cli->pos[0], "list") == 0) {
		struct tenant_rec *list;
		size_t n;
		int r = store_tenant_list(s, &list, &n, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-30s %-20s %s\n", list[i].slug,
			       list[i].name, list[i].timezone, list[i].locale);
		tenant_list_free(list, n);
		return 0;
	}
	if (cli->npos == 2 && strcmp(cli->pos[0], "add") == 0) {
		const char *slug = cli->pos[1];
		int64_t id;
		size_t len = strlen(slug);
		if (len == 0 || len > 64 ||
		    strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-_") != len)
			return err_set(e, ERR_INVALID,
				       "tenant name '%s': expected 1 to 64 of"
				       " a-z, 0-9, '-', '_'",
				       slug);
		const char *zone = cli->timezone ? cli->timezone : "UTC";
		const char *locale = cli->locale ? cli->locale : "en";
		int r = store_tenant_ensure(s, slug, cli->name ? cli->name : slug,
					    zone, locale, &id, e);
		if (r < 0)
			return r;
		printf("tenant %s ready (id %lld)\n", slug, (long long)id);
		return 0;
	}
	return err_set(e, ERR_INVALID,
		       "usage: dunwell tenant add SLUG [--name N] [--timezone Z]"
		       " [--locale L] | dunwell tenant list");
}

static int cmd_strategy(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	struct strategy_set *set;
	const char *verb = cli->npos > 0 ? cli->pos[0] : "";
	int r;

	if (cli->npos == 2 && strcmp(verb, "check") == 0) {
		r = strategy_set_load(cli->pos[1], &set, e);
		if (r < 0)
			return r;
		printf("%s: ok: %zu strategies, %zu rules\n", cli->pos[1],
		       set->n_strategies, set->n_rules);
		for (size_t i = 0; i < set->n_strategies; i++)
			printf("  %-16s %zu steps\n", set->strategies[i].name,
			       set->strategies[i].n_steps);
		strategy_set_free(set);
		return 0;
	}
	if (cli->npos == 2 && strcmp(verb, "load") == 0) {
		FILE *f;
		struct buf text;
		char chunk[8192];
		size_t n;
		int version;

		if (!s || !t)
			return err_set(e, ERR_INVALID, "strategy load needs a"
				       " store and a tenant");
		r = strategy_set_load(cli->pos[1], &set, e);
		if (r < 0)
			return r;
		strategy_set_free(set);
		f = fopen(cli->pos[1], "rb");
		if (!f)
			return err_set(e, ERR_IO, "cannot open '%s': %s",
				       cli->pos[1], strerror(errno));
		buf_init(&text, 1 << 20);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (buf_append(&text, chunk, n) < 0)
				break;
		fclose(f);
		const char *base = strrchr(cli->pos[1], '/');
		base = base ? base + 1 : cli->pos[1];
		r = store_begin(s, e);
		if (r == 0)
			r = store_strategy_add(s, t->id, base, buf_cstr(&text), 1,
					       &version, e);
		if (r == 0)
			r = store_commit(s, e);
		if (r < 0)
			store_rollback(s);
		buf_free(&text);
		if (r < 0)
			return r;
		printf("tenant %s: strategy version %d active (%s)\n", t->slug,
		       version, base);
		return 0;
	}
	if ((cli->npos == 1 || cli->npos == 2) && strcmp(verb, "show") == 0) {
		struct strategy_version_rec sv;
		long v = 0;
		if (!s || !t)
			return err_set(e, ERR_INVALID, "strategy show needs a"
				       " store and a tenant");
		if (cli->npos == 2) {
			r = parse_count("version", cli->pos[1], 1000000, &v, e);
			if (r < 0)
				return r;
		}
		r = store_strategy_get(s, t->id, (int)v, &sv, e);
		if (r < 0)
			return r;
		printf("# tenant %s, version %d%s, from %s\n%s", t->slug,
		       sv.version, sv.active ? " (active)" : "", sv.source,
		       sv.yaml);
		strategy_version_rec_clear(&sv);
		return 0;
	}
	return err_set(e, ERR_INVALID,
		       "usage: dunwell strategy check FILE | load FILE |"
		       " show [VERSION]");
}

static int cmd_import(struct cli *cli, struct store *s,
		      const struct tenant_rec *t, struct err *e)
{
	enum import_kind kind;
	struct import_result res;
	int r;

	if (cli->npos != 2 || import_kind_parse(cli->pos[0], &kind) < 0)
		return err_set(e, ERR_INVALID,
			       "usage: dunwell import customers|invoices|payments"
			       " FILE.csv");
	r = import_file(s, t, kind, cli->pos[1], stderr, &res, e);
	if (r < 0)
		return r;
	printf("%s: %ld rows, %ld written", cli->pos[1], res.rows, res.written);
	if (res.unchanged)
		printf(", %ld already recorded", res.unchanged);
	printf("\n");
	return 0;
}

static int cmd_timeline(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	long horizon = 120;
	int r;
	if (cli->npos != 1)
		return err_set(e, ERR_INVALID,
			       "usage: dunwell timeline CUSTOMER-EXTERNAL-ID");
	if (cli->horizon) {
		r = parse_count("--horizon", cli->horizon, 3650, &horizon, e);
		if (r < 0)
			return r;
	}
	return run_timeline(s, t, cli->pos[0], cli->now, (int)horizon, stdout,
			    e);
}

static int cmd_simulate(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	struct strategy_set *set;
	date_t from, to;
	int r;

	if (!cli->strategy || !cli->from || !cli->to || cli->npos)
		return err_set(e, ERR_INVALID,
			       "usage: dunwell simulate --strategy FILE --from"
			       " DATE --to DATE");
	r = date_parse(cli->from, &from, e);
	if (r < 0) {
		err_prefix(e, "--from: ");
		return r;
	}
	r = date_parse(cli->to, &to, e);
	if (r < 0) {
		err_prefix(e, "--to: ");
		return r;
	}
	r = strategy_set_load(cli->strategy, &set, e);
	if (r < 0)
		return r;
	r = run_simulate(s, t, set, from, to, stdout, e);
	strategy_set_free(set);
	return r;
}

static int cmd_demo(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e)
{
	(void)t;
	return demo_run(s, cli->db, cli->now, stdout, e);
}

static int cmd_help(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e);

/* The commands. Options every command accepts: --db, --as-of, --tenant. */
static const struct command commands[] = {
	{ "help", cmd_help, 0, "", "[COMMAND]", "list the commands, or explain one" },
	{ "run", cmd_run, NEEDS_STORE, "batch", "",
	  "decide and record what is due today for every open case" },
	{ "timeline", cmd_timeline, NEEDS_TENANT, "horizon", "CUSTOMER",
	  "what happened to a customer, and what happens next" },
	{ "simulate", cmd_simulate, NEEDS_TENANT, "strategy from to", "",
	  "replay days with a strategy file, writing nothing" },
	{ "import", cmd_import, NEEDS_TENANT, "",
	  "customers|invoices|payments FILE.csv",
	  "import a CSV file in one transaction (all or nothing)" },
	{ "strategy", cmd_strategy, 0, "", "check FILE | load FILE | show [V]",
	  "validate, load (new active version) or show a strategy file" },
	{ "tenant", cmd_tenant, NEEDS_STORE, "name timezone locale",
	  "add SLUG | list", "create or list tenants" },
	{ "migrate", cmd_migrate, NEEDS_STORE, "to", "[--to URL]",
	  "apply pending migrations; --to copies every row into another store" },
	{ "demo", cmd_demo, NEEDS_STORE, "", "",
	  "create a sample tenant with customers and run the engine" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e)
{
	(void)s;
	(void)t;
	(void)e;
	if (cli->npos == 1) {
		const struct command *c = find_command(cli->pos[0]);
		if (!c)
			return err_set(e, ERR_INVALID, "no command '%s'",
				       cli->pos[0]);
		printf("dunwell %s %s\n  %s\n", c->name, c->usage, c->summary);
		if (*c->options)
			printf("  options: --%s (each takes a value)\n",
			       c->options);
		return 0;
	}
	printf("dunwell: customer-centric dunning\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %-38s %s\n", commands[i].name, commands[i].usage,
		       commands[i].summary);
	printf("\nOptions for every command:\n"
	       "  --db PATH        the database (default $DUNWELL_DB or"
	       " dunwell.db)\n"
	       "  --as-of TIME     the moment to act at, RFC 3339 or"
	       " YYYY-MM-DD (default now, UTC)\n"
	       "  --tenant SLUG    the tenant (default $DUNWELL_TENANT or"
	       " 'default')\n");
	return 0;
}

/* Option name -> where it goes. */
static const char **option_slot(struct cli *cli, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} opts[] = {
		{ "db", offsetof(struct cli, db) },
		{ "as-of", offsetof(struct cli, as_of) },
		{ "tenant", offsetof(struct cli, tenant) },
		{ "strategy", offsetof(struct cli, strategy) },
		{ "from", offsetof(struct cli, from) },
		{ "to", offsetof(struct cli, to) },
		{ "horizon", offsetof(struct cli, horizon) },
		{ "batch", offsetof(struct cli, batch) },
		{ "name", offsetof(struct cli, name) },
		{ "timezone", offsetof(struct cli, timezone) },
		{ "locale", offsetof(struct cli, locale) },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(opts[i].name, name) == 0)
			return (const char **)((char *)cli + opts[i].off);
	return NULL;
}

/* Does the command accept option `name`? */
static int accepts_option(const struct command *c, const char *name)
{
	size_t len = strlen(name);
	const char *p = c->options;
	if (!strcmp(name, "db") || !strcmp(name, "as-of") ||
	    !strcmp(name, "tenant"))
		return 1;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *start = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - start) == len && !strncmp(start, name, len))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli;
	const struct command *cmd;
	struct store *s = NULL;
	struct tenant_rec tenant;
	struct err e;
	int r, have_tenant = 0, tenant_given;

	/* The run allocates and frees a large working set per batch; keeping
	 * freed memory in the heap instead of returning it to the kernel
	 * saves re-faulting (and zeroing) the same pages every batch. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	memset(&cli, 0, sizeof(cli));
	memset(&tenant, 0, sizeof(tenant));
	err_clear(&e);
	if (argc < 2) {
		cli.npos = 0;
		cmd_help(&cli, NULL, NULL, &e);
		return 2;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error("unknown command '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			char name[32];
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			const char **slot;
			if (len >= sizeof(name))
				return usage_error("unknown option '%s'", a);
			memcpy(name, a + 2, len);
			name[len] = '\0';
			slot = option_slot(&cli, name);
			if (!slot || !accepts_option(cmd, name))
				return usage_error("unknown option '%s'", a);
			if (eq) {
				*slot = eq + 1;
			} else {
				if (i + 1 >= argc)
					return usage_error("option '%s' needs a"
							   " value", a);
				*slot = argv[++i];
			}
		} else if (cli.npos < MAX_POSITIONAL) {
			cli.pos[cli.npos++] = a;
		} else {
			return usage_error("too many arguments at '%s'", a);
		}
	}
	if (!cli.db)
		cli.db = getenv("DUNWELL_DB");
	if (!cli.db || !*cli.db)
		cli.db = "dunwell.db";
	tenant_given = cli.tenant || getenv("DUNWELL_TENANT");
	if (!cli.tenant)
		cli.tenant = getenv("DUNWELL_TENANT");
	if (!cli.tenant || !*cli.tenant)
		cli.tenant = "default";
	/* The only clock read in dunwell: everything else is given `now`. */
	if (cli.as_of) {
		if (instant_parse(cli.as_of, &cli.now, &e) < 0) {
			fprintf(stderr, "dunwell: --as-of: %s\n", e.msg);
			return 2;
		}
	} else {
		cli.now = (instant_t)time(NULL);
	}

	if (cmd->flags & (NEEDS_STORE | NEEDS_TENANT) ||
	    (cmd->fn == cmd_strategy && cli.npos > 0 &&
	     strcmp(cli.pos[0], "check") != 0)) {
		r = store_open(cli.db, &s, &e);
		if (r < 0)
			goto fail;
	}
	/* `run` without a tenant named runs them all; `strategy load` and
	 * `show` need one. */
	if (cmd->flags & NEEDS_TENANT || (s && cmd->fn == cmd_strategy) ||
	    (cmd->fn == cmd_run && tenant_given)) {
		r = store_tenant_get(s, cli.tenant, &tenant, &e);
		if (r < 0) {
			if (r == -ERR_NOTFOUND)
				err_set(&e, ERR_NOTFOUND,
					"no tenant '%s' in %s; create it with"
					" 'dunwell tenant add %s'",
					cli.tenant, cli.db, cli.tenant);
			goto fail;
		}
		have_tenant = 1;
	}
	r = cmd->fn(&cli, s, have_tenant ? &tenant : NULL, &e);
	if (r < 0)
		goto fail;
	tenant_rec_clear(&tenant);
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "dunwell: %s\n", e.msg[0] ? e.msg : "failed");
	tenant_rec_clear(&tenant);
	store_close(s);
	return r == -ERR_INVALID && !e.msg[0] ? 2 : 1;
}
