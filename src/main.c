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

#include "api.h"
#include "buf.h"
#include "charge_run.h"
#include "date.h"
#include "deliver.h"
#include "demo.h"
#include "dispatch.h"
#include "err.h"
#include "compose.h"
#include "http_client.h"
#include "import.h"
#include "money.h"
#include "mem.h"
#include "operator.h"
#include "preview.h"
#include "profile.h"
#include "render_letter.h"
#include "render_voice.h"
#include "plan_run.h"
#include "report.h"
#include "portal.h"
#include "run.h"
#include "secrets.h"
#include "serve.h"
#include "statement.h"
#include "store.h"
#include "strategy.h"
#include "token.h"
#include "webhook.h"

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
	const char *reports;  /* --reports yes|no (run: refresh the console's
				 reports afterwards; default yes) */
	const char *name;     /* --name TEXT */
	const char *timezone; /* --timezone ZONE */
	const char *locale;   /* --locale TAG */
	const char *to;       /* --to DATE (simulate) or URL (migrate) */
	const char *customer; /* --customer ID (preview) */
	const char *step;     /* --step ID|N (preview) */
	const char *channel;  /* --channel NAME (preview) */
	const char *out;      /* --out DIR (preview) */
	const char *outbox;   /* --outbox DIR (dispatch: write, do not send) */
	const char *lease;    /* --lease SECONDS (dispatch) */
	const char *dispatch_every; /* --dispatch-every SECONDS (serve) */
	const char *listen;   /* --listen ADDR:PORT (serve) */
	const char *threads;  /* --threads N (serve) */
	const char *scopes;   /* --scopes read,write,admin (apikey create) */
	const char *events;   /* --events "case.opened ..." (webhook add) */
	const char *role;     /* --role agent|manager|admin (operator add) */
	const char *secrets;  /* --secrets FILE, else $DUNWELL_SECRETS
				 (dispatch, serve) */
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

static void print_dispatch(const struct dispatch_stats *st, const char *tenant)
{
	printf("tenant %s: %ld queued into the outbox, %ld claimed: %ld sent,"
	       " %ld waiting (quiet hours, contact policy), %ld to retry,"
	       " %ld failed (%ld to another channel), %ld cancelled, %ld"
	       " given up\n",
	       tenant, st->moved, st->claimed, st->sent, st->delayed,
	       st->retried, st->failed, st->fallbacks, st->cancelled,
	       st->dead);
}

static int cmd_dispatch(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	struct dispatch_options opt = { 0 };
	struct dispatch_stats st;
	struct tenant_rec *list = NULL;
	size_t n = 0;
	long v;
	int r = 0;

	if (cli->batch) {
		r = parse_count("--batch", cli->batch, DELIVER_BATCH_MAX, &v, e);
		if (r < 0)
			return r;
		opt.batch = (int)v;
	}
	if (cli->lease) {
		r = parse_count("--lease", cli->lease, 86400, &v, e);
		if (r < 0)
			return r;
		opt.lease_seconds = (int)v;
	}
	opt.file_dir = cli->outbox;
	if (t)
		return (r = dispatch_tenant(s, t, cli->now, &opt, &st, e)) < 0
			       ? r
			       : (print_dispatch(&st, t->slug), 0);
	r = store_tenant_list(s, &list, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = dispatch_tenant(s, &list[i], cli->now, &opt, &st, e);
		if (r == 0)
			print_dispatch(&st, list[i].slug);
	}
	tenant_list_free(list, n);
	return r;
}

/* The engine, then the day's pass over instalment plans. */
static int run_one(struct store *s, const struct tenant_rec *t, instant_t now,
		   const struct run_options *opt, int reports, struct err *e)
{
	struct run_stats st;
	struct plan_run_stats ps;
	struct charge_run_stats cs;
	int r = run_tenant(s, t, now, opt, &st, e);

	if (r < 0)
		return r;
	print_stats(&st, t->slug);
	r = plan_run_tenant(s, t, now, &ps, e);
	if (r == 0 && ps.plans > 0)
		printf("  plans: %ld active, %ld instalment reminders queued, "
		       "%ld completed, %ld broken\n",
		       ps.plans, ps.reminded, ps.completed, ps.broken);
	if (r == 0)
		r = charge_run_tenant(s, t, now, &cs, e);
	if (r == 0 && (cs.looked > 0 || cs.errors > 0))
		printf("  charges: %ld due, %ld retried (%ld paid, %ld declined, "
		       "%ld pending), %ld given up, %ld not reached%s%s\n",
		       cs.looked, cs.retried, cs.succeeded, cs.failed,
		       cs.pending, cs.given_up, cs.errors,
		       cs.errors ? ": " : "", cs.last_error);
	/* The console's reports, rebuilt from what the day changed (in a
	 * transaction of their own): a failure is reported, and the run's
	 * own work stands. */
	if (r == 0 && reports) {
		struct err re;
		err_clear(&re);
		if (report_refresh(s, t->id, now, &re) < 0)
			fprintf(stderr, "dunwell: tenant %s: reports not "
				"refreshed: %s\n", t->slug, re.msg);
	}
	return r;
}

static int cmd_run(struct cli *cli, struct store *s, const struct tenant_rec *t,
		   struct err *e)
{
	struct run_options opt = { 0 };
	long batch = 0;
	int reports = 1, r;

	if (cli->batch) {
		r = parse_count("--batch", cli->batch, 10000000, &batch, e);
		if (r < 0)
			return r;
		opt.batch_customers = batch;
	}
	if (cli->reports) {
		if (strcmp(cli->reports, "no") != 0 &&
		    strcmp(cli->reports, "yes") != 0)
			return err_set(e, ERR_INVALID, "--reports: '%.20s': yes "
				       "or no expected", cli->reports);
		reports = strcmp(cli->reports, "yes") == 0;
	}
	if (t)
		return run_one(s, t, cli->now, &opt, reports, e);
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
		r = run_one(s, &list[i], cli->now, &opt, reports, e);
	}
	tenant_list_free(list, n);
	return r;
}

/* dunwell report refresh: rebuild the console's report figures now. */
static int cmd_report(struct cli *cli, struct store *s,
		      const struct tenant_rec *t, struct err *e)
{
	char day[DATE_FMT_MAX];
	size_t rows = 0;
	int r = report_command(s, t, cli->npos, cli->pos, cli->now, &rows, e);

	if (r < 0)
		return r;
	date_format(instant_date(cli->now), day);
	printf("tenant %s: reports refreshed as of %s (%zu rows)\n", t->slug,
	       day, rows);
	return 0;
}

static int cmd_link(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e)
{
	char url[PROFILE_VALUE_MAX + 64];
	int r;

	if (cli->npos != 1)
		return err_set(e, ERR_INVALID, "usage: dunwell link CUSTOMER");
	r = store_begin(s, e);
	if (r == 0)
		r = portal_link_new(s, t, cli->pos[0], cli->now, url,
				    sizeof(url), e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	printf("%s\n", url);
	return 0;
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

/* `tenant set KEY VALUE` and `tenant show` for --tenant. */
static int tenant_profile(struct cli *cli, struct store *s, struct err *e)
{
	struct tenant_rec t;
	struct profile p;
	int r = store_tenant_get(s, cli->tenant, &t, e);
	if (r < 0)
		return r;
	if (strcmp(cli->pos[0], "set") == 0) {
		r = profile_set(s, t.id, cli->pos[1], cli->pos[2], e);
		if (r == 0)
			printf("tenant %s: %s %s\n", t.slug, cli->pos[1],
			       *cli->pos[2] ? "set" : "removed");
		tenant_rec_clear(&t);
		return r;
	}
	r = profile_load(s, t.id, t.name, &p, e);
	if (r == 0) {
		printf("tenant %s: %s (timezone %s, locale %s)\n", t.slug,
		       t.name, t.timezone, t.locale);
		for (const char *const *k = profile_keys(); *k; k++) {
			char v[PROFILE_VALUE_MAX + 1];
			profile_value(&p, *k, v, sizeof(v));
			printf("  %-18s %s\n", *k, v);
		}
		profile_clear(&p);
	}
	tenant_rec_clear(&t);
	return r;
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
	if (cli->npos == 1 && strcmp(cli->pos[0], "keys") == 0) {
		for (const char *const *k = profile_keys(); *k; k++)
			printf("%-18s %s\n", *k, profile_key_help(*k));
		return 0;
	}
	if ((cli->npos == 3 && strcmp(cli->pos[0], "set") == 0) ||
	    (cli->npos == 1 && strcmp(cli->pos[0], "show") == 0))
		return tenant_profile(cli, s, e);
	return err_set(e, ERR_INVALID,
		       "usage: dunwell tenant add SLUG [--name N] [--timezone Z]"
		       " [--locale L] | list | set KEY VALUE | show | keys");
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

/* `dunwell import statement FILE`: a camt.053/054 bank statement, one
 * count per line. */
static int import_statement(struct cli *cli, struct store *s,
			    const struct tenant_rec *t, struct err *e)
{
	struct statement_stats st;
	char amount[MONEY_FMT_MAX];
	const struct currency *cur;
	int r = statement_import(s, t, cli->pos[1], cli->now, &st, e);

	if (r < 0)
		return r;
	cur = st.currency[0] ? currency_find(st.currency) : NULL;
	if (cur)
		money_format(st.amount, cur, amount);
	else
		snprintf(amount, sizeof(amount), "%lld", (long long)st.amount);
	printf("entries %ld\n", st.entries);
	printf("payments %ld\n", st.payments);
	printf("amount %s%s%s\n", amount, cur ? " " : "",
	       cur ? cur->code : (st.mixed ? " (minor units, mixed currencies)"
					   : ""));
	printf("review %ld\n", st.review);
	printf("unmatched %ld\n", st.unmatched);
	printf("duplicates %ld\n", st.duplicates);
	printf("reversals %ld\n", st.reversals);
	printf("ignored %ld\n", st.ignored);
	return 0;
}

static int cmd_import(struct cli *cli, struct store *s,
		      const struct tenant_rec *t, struct err *e)
{
	enum import_kind kind;
	struct import_result res;
	int r;

	if (cli->npos == 2 && !strcmp(cli->pos[0], "statement"))
		return import_statement(cli, s, t, e);
	if (cli->npos != 2 || import_kind_parse(cli->pos[0], &kind) < 0)
		return err_set(e, ERR_INVALID,
			       "usage: dunwell import customers|invoices|payments"
			       " FILE.csv | statement FILE.xml");
	r = import_file(s, t, kind, cli->pos[1], cli->now, stderr, &res, e);
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

static int cmd_preview(struct cli *cli, struct store *s,
		       const struct tenant_rec *t, struct err *e)
{
	struct preview_options opt = { 0 };
	if (cli->npos == 1 && !cli->customer)
		cli->customer = cli->pos[0];
	else if (cli->npos != 0)
		return err_set(e, ERR_INVALID, "usage: dunwell preview"
			       " --customer ID [--step ID|N] [--channel C]"
			       " [--locale L] [--out DIR]");
	if (!cli->customer)
		return err_set(e, ERR_INVALID, "preview needs --customer ID");
	opt.customer = cli->customer;
	opt.step = cli->step;
	opt.channel = cli->channel;
	opt.locale = cli->locale;
	opt.out_dir = cli->out;
	return preview_run(s, t, &opt, cli->now, stdout, e);
}

/* Read a whole file (at most `max` bytes) into `b`. */
static int read_file(const char *path, struct buf *b, struct err *e)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");
	int r = 0;
	if (!f)
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
			       strerror(errno));
	while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = buf_append(b, chunk, n);
	fclose(f);
	if (r < 0)
		return err_set(e, ERR_TOOBIG, "%s: larger than %zu bytes", path,
			       b->max);
	return 0;
}

/* `template check [FILE]` and `template load FILE --locale L`. A file's
 * name says what it is: ID.tmpl or ID.plain.tmpl. */
static int cmd_template(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	const char *verb = cli->npos > 0 ? cli->pos[0] : "";
	struct compose *c;
	struct buf text;
	int r, n = 0;

	if (cli->npos == 1 && strcmp(verb, "check") == 0) {
		c = compose_new(NULL);
		r = compose_check_all(c, &n, e);
		compose_free(c);
		if (r == 0)
			printf("built-in templates: ok: %d files\n", n);
		return r;
	}
	if (cli->npos != 2 || (strcmp(verb, "check") != 0 &&
			       strcmp(verb, "load") != 0))
		return err_set(e, ERR_INVALID, "usage: dunwell template check"
			       " [FILE] | load FILE --locale L");
	buf_init(&text, 256 * 1024);
	r = read_file(cli->pos[1], &text, e);
	c = compose_new(NULL);
	if (r == 0)
		r = compose_check_source(c, cli->pos[1], text.data, text.len, e);
	compose_free(c);
	if (r == 0 && strcmp(verb, "check") == 0)
		printf("%s: ok\n", cli->pos[1]);
	if (r == 0 && strcmp(verb, "load") == 0) {
		const char *base = strrchr(cli->pos[1], '/');
		char id[128];
		size_t len;
		int plain = 0;
		base = base ? base + 1 : cli->pos[1];
		len = strlen(base);
		if (len < 6 || strcmp(base + len - 5, ".tmpl") != 0 ||
		    len - 5 >= sizeof(id)) {
			r = err_set(e, ERR_INVALID, "%s: expected a file named"
				    " ID.tmpl or ID.plain.tmpl", cli->pos[1]);
			goto out;
		}
		memcpy(id, base, len - 5);
		id[len - 5] = '\0';
		if (len > 11 && strcmp(id + strlen(id) - 6, ".plain") == 0) {
			id[strlen(id) - 6] = '\0';
			plain = 1;
		}
		if (!*id || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
				    strlen(id)) {
			r = err_set(e, ERR_INVALID, "%s: the template id '%s'"
				    " may hold a-z, 0-9, '_' and '-' only",
				    cli->pos[1], id);
			goto out;
		}
		if (!cli->locale) {
			r = err_set(e, ERR_INVALID, "template load needs"
				    " --locale (en, nl-BE, ...)");
			goto out;
		}
		r = store_template_put(s, t->id, cli->locale, id,
				       plain ? "plain" : "", text.data, e);
		if (r == 0)
			printf("tenant %s: template %s%s (%s) loaded\n",
			       t->slug, id, plain ? " (plain)" : "",
			       cli->locale);
	}
out:
	buf_free(&text);
	return r;
}

static int cmd_demo(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e)
{
	(void)t;
	return demo_run(s, cli->db, cli->now, stdout, e);
}

/* The clock `serve` answers with: --as-of when given (tests), else the
 * time of each request. */
static instant_t serve_clock(void *arg)
{
	const struct cli *cli = arg;
	return cli->as_of ? cli->now : (instant_t)time(NULL);
}

static int cmd_serve(struct cli *cli, struct store *s,
		     const struct tenant_rec *t, struct err *e)
{
	struct serve_options o = { 0 };
	long v;
	int r;

	(void)t;
	if (cli->threads) {
		r = parse_count("--threads", cli->threads, SERVE_THREADS_MAX, &v,
				e);
		if (r < 0)
			return r;
		if (v < 1)
			return err_set(e, ERR_INVALID, "--threads: at least 1");
		o.threads = (int)v;
	}
	o.listen = cli->listen ? cli->listen : SERVE_LISTEN_DEFAULT;
	o.clock = serve_clock;
	o.clock_arg = cli;
	o.log = stderr;
	if (!cli->dispatch_every)
		return serve_run(s, &o, e);
	/* Dispatch beside the server, on its own connection and thread. */
	struct dispatch_loop loop = { 0 };
	r = parse_count("--dispatch-every", cli->dispatch_every, 86400, &v, e);
	if (r < 0)
		return r;
	loop.target = cli->db;
	loop.every = (int)v;
	loop.clock = serve_clock;
	loop.clock_arg = cli;
	loop.log = stderr;
	r = dispatch_loop_start(&loop, e);
	if (r < 0)
		return r;
	r = serve_run(s, &o, e);
	dispatch_loop_stop(&loop);
	return r;
}

/* `apikey create [--scopes read,write]`, `apikey list`, `apikey revoke
 * PREFIX`: keys of the JSON API (docs/api.md). A key is printed once, at
 * creation; only its SHA-256 is stored. */
static int cmd_apikey(struct cli *cli, struct store *s,
		      const struct tenant_rec *t, struct err *e)
{
	const char *verb = cli->npos > 0 ? cli->pos[0] : "";
	int r;

	if (cli->npos == 1 && strcmp(verb, "create") == 0) {
		char key[API_KEY_BUF], prefix[API_KEY_SHOWN + 1];
		char hash[TOKEN_HASH_BUF], scopes[32];
		unsigned bits;
		r = api_scopes_parse(cli->scopes, &bits, scopes, e);
		if (r == 0)
			r = api_key_new(key, prefix, hash, e);
		if (r == 0)
			r = store_apikey_insert(s, t->id, prefix, hash, scopes,
						cli->now, e);
		if (r < 0)
			return r;
		printf("%s\n", key);
		fprintf(stderr, "tenant %s: API key dw_live_%s... (%s) created;"
			" it is shown only this once\n", t->slug, prefix,
			scopes);
		return 0;
	}
	if (cli->npos == 1 && strcmp(verb, "list") == 0) {
		struct apikey_rec *list;
		size_t n;
		r = store_apikey_list(s, t->id, &list, &n, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			char made[INSTANT_FMT_MAX], gone[INSTANT_FMT_MAX];
			instant_format(list[i].created_at, made);
			if (list[i].revoked_at)
				instant_format(list[i].revoked_at, gone);
			printf("dw_live_%-10s %-18s created %s%s%s\n",
			       list[i].prefix, list[i].scopes, made,
			       list[i].revoked_at ? " revoked " : "",
			       list[i].revoked_at ? gone : "");
		}
		apikey_list_free(list, n);
		return 0;
	}
	if (cli->npos == 2 && strcmp(verb, "revoke") == 0) {
		const char *arg = cli->pos[1];
		char p[API_KEY_SHOWN + 1];
		size_t len;
		int found = 0;
		/* "dw_live_XXXXXXXX" as listed, or its 8 characters, or the
		 * whole key */
		if (strncmp(arg, API_KEY_PREFIX, 8) == 0)
			arg += 8;
		len = strlen(arg);
		if (len > API_KEY_SHOWN)
			len = API_KEY_SHOWN;
		memcpy(p, arg, len);
		p[len] = '\0';
		r = store_apikey_revoke(s, t->id, p, cli->now, &found, e);
		if (r < 0)
			return r;
		if (!found)
			return err_set(e, ERR_NOTFOUND, "tenant %s has no working"
				       " API key dw_live_%s", t->slug, p);
		printf("tenant %s: API key dw_live_%s revoked\n", t->slug, p);
		return 0;
	}
	return err_set(e, ERR_INVALID, "usage: dunwell apikey create"
		       " [--scopes read,write,admin] | list | revoke PREFIX");
}

/* `webhook add URL [--events "a b"]`, `webhook list`, `webhook deliver`:
 * the tenant's signed webhooks (docs/webhooks.md). The secret is printed
 * once, at creation. */
static int cmd_webhook(struct cli *cli, struct store *s,
		       const struct tenant_rec *t, struct err *e)
{
	const char *verb = cli->npos > 0 ? cli->pos[0] : "";
	int r;

	if (cli->npos == 2 && strcmp(verb, "add") == 0) {
		char token[TOKEN_BUF], secret[TOKEN_BUF + 8];
		char events[WEBHOOK_EVENTS_MAX];
		int64_t id;
		r = http_client_check_url(cli->pos[1], "webhook URL", e);
		if (r == 0)
			r = webhook_events_parse(cli->events, events, e);
		if (r == 0)
			r = token_new(token, e);
		if (r < 0)
			return r;
		snprintf(secret, sizeof(secret), "%s%s", WEBHOOK_SECRET_PREFIX,
			 token);
		r = store_webhook_endpoint_add(s, t->id, cli->pos[1], secret,
					       events, cli->now, &id, e);
		if (r == 0) {
			printf("%s\n", secret);
			fprintf(stderr, "tenant %s: webhook endpoint %lld for"
				" %s (events: %s) added; its secret is shown"
				" only this once\n", t->slug, (long long)id,
				cli->pos[1], events);
		}
		explicit_bzero(secret, sizeof(secret));
		explicit_bzero(token, sizeof(token));
		return r;
	}
	if (cli->npos == 1 && strcmp(verb, "list") == 0) {
		struct webhook_endpoint_rec *list;
		size_t n;
		r = store_webhook_endpoint_list(s, t->id, &list, &n, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			char made[INSTANT_FMT_MAX];
			instant_format(list[i].created_at, made);
			printf("%lld %s events=%s%s created %s\n",
			       (long long)list[i].id, list[i].url,
			       list[i].events,
			       list[i].active ? "" : " (inactive)", made);
		}
		webhook_endpoint_list_free(list, n);
		return 0;
	}
	if (cli->npos == 1 && strcmp(verb, "deliver") == 0) {
		struct webhook_stats st;
		r = webhook_tenant(s, t, cli->now, NULL, &st, e);
		if (r < 0)
			return r;
		printf("tenant %s: %ld webhook deliveries queued, %ld claimed:"
		       " %ld delivered, %ld to retry, %ld failed, %ld dead\n",
		       t->slug, st.queued, st.claimed, st.delivered,
		       st.retried, st.failed, st.dead);
		return 0;
	}
	return err_set(e, ERR_INVALID, "usage: dunwell webhook add URL"
		       " [--events \"case.opened invoice.paid\"] | list |"
		       " deliver");
}

/* One line of standard input (the password of `operator add`), without
 * its line end: `printf '%s\n' "$PW" | dunwell operator add ...`. Read as
 * a plain line, echo and all: a person typing one at a terminal sees it,
 * so scripts and password managers are the intended way in. */
static int read_password(char *out, size_t size, struct err *e)
{
	size_t len;
	if (!fgets(out, (int)size, stdin))
		return err_set(e, ERR_INVALID, "operator add reads the password"
			       " from standard input: printf '%%s\\n' \"$PW\" |"
			       " dunwell operator add ...");
	len = strcspn(out, "\r\n");
	if (out[len] == '\0' && len == size - 1)
		return err_set(e, ERR_TOOBIG, "the password is longer than %d"
			       " bytes", OPERATOR_PASSWORD_MAX);
	out[len] = '\0';
	return 0;
}

/* `operator add EMAIL --name NAME --role ROLE` (password on stdin),
 * `operator list`, `operator disable EMAIL`: the console's operators. */
static int cmd_operator(struct cli *cli, struct store *s,
			const struct tenant_rec *t, struct err *e)
{
	const char *verb = cli->npos > 0 ? cli->pos[0] : "";
	int r;

	if (cli->npos == 2 && strcmp(verb, "add") == 0) {
		char pw[OPERATOR_PASSWORD_MAX + 2];
		enum operator_role role = OPERATOR_AGENT;
		int64_t id;
		r = cli->role ? operator_role_parse(cli->role, &role, e) : 0;
		if (r == 0)
			r = read_password(pw, sizeof(pw), e);
		if (r == 0)
			r = operator_add(s, t->id, cli->pos[1], cli->name, role,
					 pw, cli->now, &id, e);
		explicit_bzero(pw, sizeof(pw));
		if (r < 0)
			return r;
		printf("tenant %s: operator %lld %s (%s) added\n", t->slug,
		       (long long)id, cli->pos[1], operator_role_name(role));
		return 0;
	}
	if (cli->npos == 1 && strcmp(verb, "list") == 0) {
		struct operator_rec *list;
		size_t n;
		r = operator_list(s, t->id, &list, &n, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			char made[INSTANT_FMT_MAX];
			instant_format(list[i].created_at, made);
			printf("%-32s %-8s %-24s created %s%s\n", list[i].email,
			       list[i].role, list[i].name, made,
			       list[i].disabled ? " (disabled)" : "");
		}
		operator_list_free(list, n);
		return 0;
	}
	if (cli->npos == 2 && strcmp(verb, "disable") == 0) {
		r = operator_disable(s, t->id, cli->pos[1], e);
		if (r < 0)
			return r;
		printf("tenant %s: operator %s disabled, sessions ended\n",
		       t->slug, cli->pos[1]);
		return 0;
	}
	return err_set(e, ERR_INVALID, "usage: dunwell operator add EMAIL"
		       " --name NAME [--role agent|manager|admin] (password on"
		       " standard input) | list | disable EMAIL");
}

static int cmd_help(struct cli *cli, struct store *s, const struct tenant_rec *t,
		    struct err *e);

/* The commands. Options every command accepts: --db, --as-of, --tenant. */
static const struct command commands[] = {
	{ "help", cmd_help, 0, "", "[COMMAND]", "list the commands, or explain one" },
	{ "run", cmd_run, NEEDS_STORE, "batch reports", "",
	  "decide and record what is due today for every open case" },
	{ "dispatch", cmd_dispatch, NEEDS_STORE, "batch lease outbox secrets",
	  "[--outbox DIR] [--secrets FILE]",
	  "hand queued messages to the channels (--outbox: write, not send)" },
	{ "timeline", cmd_timeline, NEEDS_TENANT, "horizon", "CUSTOMER",
	  "what happened to a customer, and what happens next" },
	{ "simulate", cmd_simulate, NEEDS_TENANT, "strategy from to", "",
	  "replay days with a strategy file, writing nothing" },
	{ "import", cmd_import, NEEDS_TENANT, "",
	  "customers|invoices|payments FILE.csv | statement FILE.xml",
	  "import a CSV file or a camt.053/054 bank statement in one"
	  " transaction (all or nothing)" },
	{ "strategy", cmd_strategy, 0, "", "check FILE | load FILE | show [V]",
	  "validate, load (new active version) or show a strategy file" },
	{ "tenant", cmd_tenant, NEEDS_STORE, "name timezone locale",
	  "add SLUG | list", "create or list tenants" },
	{ "migrate", cmd_migrate, NEEDS_STORE, "to", "[--to URL]",
	  "apply pending migrations; --to copies every row into another store" },
	{ "preview", cmd_preview, NEEDS_TENANT,
	  "customer step channel locale out",
	  "--customer ID [--step ID|N] [--channel C] [--locale L] [--out DIR]",
	  "write the exact message of a step to a file, sending nothing" },
	{ "template", cmd_template, 0, "locale",
	  "check [FILE] | load FILE --locale L",
	  "check the built-in templates or a file; load a tenant's own" },
	{ "report", cmd_report, NEEDS_TENANT, "", "refresh",
	  "rebuild the figures of the console's reports now" },
	{ "link", cmd_link, NEEDS_TENANT, "", "CUSTOMER",
	  "make a new personal link to the customer's page (shown once)" },
	{ "demo", cmd_demo, NEEDS_STORE, "", "",
	  "create a sample tenant with customers and run the engine" },
	{ "apikey", cmd_apikey, NEEDS_TENANT, "scopes",
	  "create [--scopes read,write,admin] | list | revoke PREFIX",
	  "create, list or revoke the tenant's JSON API keys" },
	{ "webhook", cmd_webhook, NEEDS_TENANT, "events",
	  "add URL [--events \"case.opened ...\"] | list | deliver",
	  "signed webhooks to the tenant: add an endpoint, list, send due" },
	{ "operator", cmd_operator, NEEDS_TENANT, "name role",
	  "add EMAIL --name N [--role R] | list | disable EMAIL",
	  "the console's operators (add reads the password from stdin)" },
	{ "serve", cmd_serve, NEEDS_STORE,
	  "listen threads dispatch-every secrets",
	  "[--listen ADDR:PORT] [--threads N] [--dispatch-every SECONDS]"
	  " [--secrets FILE]",
	  "answer HTTP: health, metrics, providers' delivery reports" },
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
		{ "reports", offsetof(struct cli, reports) },
		{ "name", offsetof(struct cli, name) },
		{ "timezone", offsetof(struct cli, timezone) },
		{ "locale", offsetof(struct cli, locale) },
		{ "customer", offsetof(struct cli, customer) },
		{ "step", offsetof(struct cli, step) },
		{ "channel", offsetof(struct cli, channel) },
		{ "out", offsetof(struct cli, out) },
		{ "outbox", offsetof(struct cli, outbox) },
		{ "lease", offsetof(struct cli, lease) },
		{ "listen", offsetof(struct cli, listen) },
		{ "threads", offsetof(struct cli, threads) },
		{ "dispatch-every", offsetof(struct cli, dispatch_every) },
		{ "scopes", offsetof(struct cli, scopes) },
		{ "events", offsetof(struct cli, events) },
		{ "role", offsetof(struct cli, role) },
		{ "secrets", offsetof(struct cli, secrets) },
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

/* Let go of the process-wide caches of the rendering libraries, so a leak
 * checker sees only what is ours. */
static void shutdown_libraries(void)
{
	render_letter_shutdown();
	voice_shutdown();
	secrets_reset();
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

	/* Provider secrets (docs/delivery.md, "Secrets"): loaded before
	 * anything starts; a file others may read stops the start. */
	if (cmd->fn == cmd_dispatch || cmd->fn == cmd_serve) {
		if (!cli.secrets)
			cli.secrets = getenv("DUNWELL_SECRETS");
		if (cli.secrets && *cli.secrets &&
		    secrets_load(cli.secrets, &e) < 0) {
			fprintf(stderr, "dunwell: %s\n", e.msg);
			return 1;
		}
	}
	if (cmd->flags & (NEEDS_STORE | NEEDS_TENANT) ||
	    ((cmd->fn == cmd_strategy || cmd->fn == cmd_template) &&
	     cli.npos > 0 && strcmp(cli.pos[0], "check") != 0)) {
		r = store_open(cli.db, &s, &e);
		if (r < 0)
			goto fail;
	}
	/* `run` without a tenant named runs them all; `strategy load` and
	 * `show` need one. */
	if (cmd->flags & NEEDS_TENANT ||
	    (s && (cmd->fn == cmd_strategy || cmd->fn == cmd_template)) ||
	    ((cmd->fn == cmd_run || cmd->fn == cmd_dispatch) &&
	     tenant_given)) {
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
	shutdown_libraries();
	return 0;
fail:
	fprintf(stderr, "dunwell: %s\n", e.msg[0] ? e.msg : "failed");
	tenant_rec_clear(&tenant);
	store_close(s);
	shutdown_libraries();
	return r == -ERR_INVALID && !e.msg[0] ? 2 : 1;
}
