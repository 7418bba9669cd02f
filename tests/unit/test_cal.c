/*
 * test_cal: holiday rules, the built-in calendars against the official
 * lists for 2025 and 2026, weekend substitution, business-day arithmetic
 * and calendar parse errors.
 */
#include "cal.h"

#include <stdlib.h>

#include "check.h"
#include "embed.h"

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static struct cal *builtin(const char *cc)
{
	struct cal *c = NULL;
	struct err e;

	err_clear(&e);
	if (cal_builtin(cc, &c, &e) != 0)
		printf("  cal_builtin(%s): %s\n", cc, e.msg);
	return c;
}

static struct cal *parse(const char *text)
{
	struct cal *c = NULL;
	struct err e;

	err_clear(&e);
	if (cal_parse("test.txt", text, strlen(text), &c, &e) != 0)
		printf("  cal_parse: %s\n", e.msg);
	return c;
}

/* A holiday as the tests expect it: "MM-DD" and its name. */
struct want {
	const char *md;
	const char *name;
};

/* The holidays of `year` are exactly `want` (in date order), names too;
 * differences are listed one by one. */
static void check_year(const char *what, const struct cal *c, int year,
		       const struct want *want, size_t nwant)
{
	date_t d = ymd(year, 1, 1), last = ymd(year, 12, 31);
	size_t k = 0;

	if (!c) {
		CHECK(c != NULL);
		return;
	}
	while (d <= last || k < nwant) {
		const char *name = NULL;
		char s[DATE_FMT_MAX];
		int cmp;

		while (d <= last && !cal_is_holiday(c, d, &name))
			d++;
		if (d > last && k == nwant)
			break;
		if (d <= last)
			date_format(d, s);
		if (d > last)
			cmp = 1;
		else if (k == nwant)
			cmp = -1;
		else
			cmp = strcmp(s + 5, want[k].md);
		if (cmp < 0) {
			printf("  %s: unexpected holiday %s %s\n", what, s,
			       name);
			check_failed_here++;
			d++;
		} else if (cmp > 0) {
			printf("  %s: missing holiday %d-%s %s\n", what, year,
			       want[k].md, want[k].name);
			check_failed_here++;
			k++;
		} else {
			if (strcmp(name, want[k].name) != 0) {
				printf("  %s %s: name \"%s\", want \"%s\"\n",
				       what, s, name, want[k].name);
				check_failed_here++;
			}
			d++;
			k++;
		}
	}
}

#define CHECK_YEAR(cal, year, list) \
	check_year(#list, cal, year, list, sizeof(list) / sizeof(list[0]))

static void test_nl(void)
{
	static const struct want nl2025[] = {
		{ "01-01", "Nieuwjaarsdag" },
		{ "04-20", "Eerste Paasdag" },
		{ "04-21", "Tweede Paasdag" },
		{ "04-26", "Koningsdag" }, /* 27 April is a Sunday */
		{ "05-05", "Bevrijdingsdag" }, /* lustrum year */
		{ "05-29", "Hemelvaartsdag" },
		{ "06-08", "Eerste Pinksterdag" },
		{ "06-09", "Tweede Pinksterdag" },
		{ "12-25", "Eerste Kerstdag" },
		{ "12-26", "Tweede Kerstdag" },
	};
	static const struct want nl2026[] = {
		{ "01-01", "Nieuwjaarsdag" },
		{ "04-05", "Eerste Paasdag" },
		{ "04-06", "Tweede Paasdag" },
		{ "04-27", "Koningsdag" },
		{ "05-14", "Hemelvaartsdag" },
		{ "05-24", "Eerste Pinksterdag" },
		{ "05-25", "Tweede Pinksterdag" },
		{ "12-25", "Eerste Kerstdag" },
		{ "12-26", "Tweede Kerstdag" },
	};
	struct cal *c = builtin("NL");

	CHECK_YEAR(c, 2025, nl2025);
	CHECK_YEAR(c, 2026, nl2026);
	/* King's Day moves to Saturday only when 27 April is a Sunday. */
	CHECK(!cal_is_holiday(c, ymd(2025, 4, 27), NULL));
	CHECK(cal_is_holiday(c, ymd(2014, 4, 26), NULL));
	CHECK(cal_is_holiday(c, ymd(2013, 4, 30), NULL)); /* Queen's Day */
	CHECK(!cal_is_holiday(c, ymd(2013, 4, 27), NULL));
	CHECK(!cal_is_holiday(c, ymd(2014, 4, 30), NULL));
	/* Liberation Day every fifth year only. */
	CHECK(cal_is_holiday(c, ymd(2020, 5, 5), NULL));
	CHECK(cal_is_holiday(c, ymd(2030, 5, 5), NULL));
	CHECK(!cal_is_holiday(c, ymd(2024, 5, 5), NULL));
	CHECK(!cal_is_holiday(c, ymd(2026, 5, 5), NULL));
	CHECK(!cal_is_holiday(c, ymd(1985, 5, 5), NULL)); /* before since= */
	/* Good Friday is a working day. */
	CHECK(cal_is_business_day(c, ymd(2026, 4, 3)));
	cal_free(c);
}

static void test_de(void)
{
	static const struct want de2025[] = {
		{ "01-01", "Neujahr" },
		{ "04-18", "Karfreitag" },
		{ "04-21", "Ostermontag" },
		{ "05-01", "Tag der Arbeit" },
		{ "05-29", "Christi Himmelfahrt" },
		{ "06-09", "Pfingstmontag" },
		{ "10-03", "Tag der Deutschen Einheit" },
		{ "12-25", "Erster Weihnachtsfeiertag" },
		{ "12-26", "Zweiter Weihnachtsfeiertag" },
	};
	static const struct want de2026[] = {
		{ "01-01", "Neujahr" },
		{ "04-03", "Karfreitag" },
		{ "04-06", "Ostermontag" },
		{ "05-01", "Tag der Arbeit" },
		{ "05-14", "Christi Himmelfahrt" },
		{ "05-25", "Pfingstmontag" },
		{ "10-03", "Tag der Deutschen Einheit" },
		{ "12-25", "Erster Weihnachtsfeiertag" },
		{ "12-26", "Zweiter Weihnachtsfeiertag" },
	};
	struct cal *c = builtin("DE");

	CHECK_YEAR(c, 2025, de2025);
	CHECK_YEAR(c, 2026, de2026);
	CHECK(cal_is_holiday(c, ymd(2017, 10, 31), NULL));
	CHECK(!cal_is_holiday(c, ymd(2018, 10, 31), NULL));
	CHECK(!cal_is_holiday(c, ymd(1989, 10, 3), NULL));
	cal_free(c);
}

static void test_be(void)
{
	static const struct want be2025[] = {
		{ "01-01", "Nieuwjaar / Jour de l'An" },
		{ "04-21", "Paasmaandag / Lundi de Pâques" },
		{ "05-01", "Dag van de Arbeid / Fête du Travail" },
		{ "05-29", "O.L.H. Hemelvaart / Ascension" },
		{ "06-09", "Pinkstermaandag / Lundi de Pentecôte" },
		{ "07-21", "Nationale feestdag / Fête nationale" },
		{ "08-15", "O.L.V. Hemelvaart / Assomption" },
		{ "11-01", "Allerheiligen / Toussaint" },
		{ "11-11", "Wapenstilstand / Armistice" },
		{ "12-25", "Kerstmis / Noël" },
	};
	static const struct want be2026[] = {
		{ "01-01", "Nieuwjaar / Jour de l'An" },
		{ "04-06", "Paasmaandag / Lundi de Pâques" },
		{ "05-01", "Dag van de Arbeid / Fête du Travail" },
		{ "05-14", "O.L.H. Hemelvaart / Ascension" },
		{ "05-25", "Pinkstermaandag / Lundi de Pentecôte" },
		{ "07-21", "Nationale feestdag / Fête nationale" },
		{ "08-15", "O.L.V. Hemelvaart / Assomption" },
		{ "11-01", "Allerheiligen / Toussaint" },
		{ "11-11", "Wapenstilstand / Armistice" },
		{ "12-25", "Kerstmis / Noël" },
	};
	struct cal *c = builtin("BE");

	CHECK_YEAR(c, 2025, be2025);
	CHECK_YEAR(c, 2026, be2026);
	cal_free(c);
}

static void test_fr(void)
{
	static const struct want fr2025[] = {
		{ "01-01", "Jour de l'an" },
		{ "04-21", "Lundi de Pâques" },
		{ "05-01", "Fête du Travail" },
		{ "05-08", "Victoire 1945" },
		{ "05-29", "Ascension" },
		{ "06-09", "Lundi de Pentecôte" },
		{ "07-14", "Fête nationale" },
		{ "08-15", "Assomption" },
		{ "11-01", "Toussaint" },
		{ "11-11", "Armistice 1918" },
		{ "12-25", "Noël" },
	};
	static const struct want fr2026[] = {
		{ "01-01", "Jour de l'an" },
		{ "04-06", "Lundi de Pâques" },
		{ "05-01", "Fête du Travail" },
		{ "05-08", "Victoire 1945" },
		{ "05-14", "Ascension" },
		{ "05-25", "Lundi de Pentecôte" },
		{ "07-14", "Fête nationale" },
		{ "08-15", "Assomption" },
		{ "11-01", "Toussaint" },
		{ "11-11", "Armistice 1918" },
		{ "12-25", "Noël" },
	};
	struct cal *c = builtin("FR");

	CHECK_YEAR(c, 2025, fr2025);
	CHECK_YEAR(c, 2026, fr2026);
	cal_free(c);
}

static void test_gb(void)
{
	/* https://www.gov.uk/bank-holidays (England and Wales) */
	static const struct want gb2025[] = {
		{ "01-01", "New Year's Day" },
		{ "04-18", "Good Friday" },
		{ "04-21", "Easter Monday" },
		{ "05-05", "Early May bank holiday" },
		{ "05-26", "Spring bank holiday" },
		{ "08-25", "Summer bank holiday" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" },
	};
	static const struct want gb2026[] = {
		{ "01-01", "New Year's Day" },
		{ "04-03", "Good Friday" },
		{ "04-06", "Easter Monday" },
		{ "05-04", "Early May bank holiday" },
		{ "05-25", "Spring bank holiday" },
		{ "08-31", "Summer bank holiday" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" }, /* a Saturday */
		{ "12-28", "Boxing Day (substitute day)" },
	};
	/* Christmas on Saturday, Boxing Day on Sunday. */
	static const struct want gb2021[] = {
		{ "01-01", "New Year's Day" },
		{ "04-02", "Good Friday" },
		{ "04-05", "Easter Monday" },
		{ "05-03", "Early May bank holiday" },
		{ "05-31", "Spring bank holiday" },
		{ "08-30", "Summer bank holiday" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" },
		{ "12-27", "Christmas Day (substitute day)" },
		{ "12-28", "Boxing Day (substitute day)" },
	};
	/* New Year's Day on Saturday, the Platinum Jubilee, the Queen's
	 * funeral, Christmas on Sunday. */
	static const struct want gb2022[] = {
		{ "01-01", "New Year's Day" },
		{ "01-03", "New Year's Day (substitute day)" },
		{ "04-15", "Good Friday" },
		{ "04-18", "Easter Monday" },
		{ "05-02", "Early May bank holiday" },
		{ "06-02", "Spring bank holiday" },
		{ "06-03", "Platinum Jubilee bank holiday" },
		{ "08-29", "Summer bank holiday" },
		{ "09-19", "Bank Holiday for the State Funeral of Queen "
			   "Elizabeth II" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" },
		{ "12-27", "Christmas Day (substitute day)" },
	};
	static const struct want gb2020[] = {
		{ "01-01", "New Year's Day" },
		{ "04-10", "Good Friday" },
		{ "04-13", "Easter Monday" },
		{ "05-08", "Early May bank holiday (VE day)" },
		{ "05-25", "Spring bank holiday" },
		{ "08-31", "Summer bank holiday" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" },
		{ "12-28", "Boxing Day (substitute day)" },
	};
	static const struct want gb2023[] = {
		{ "01-01", "New Year's Day" },
		{ "01-02", "New Year's Day (substitute day)" },
		{ "04-07", "Good Friday" },
		{ "04-10", "Easter Monday" },
		{ "05-01", "Early May bank holiday" },
		{ "05-08", "Bank holiday for the coronation of King Charles "
			   "III" },
		{ "05-29", "Spring bank holiday" },
		{ "08-28", "Summer bank holiday" },
		{ "12-25", "Christmas Day" },
		{ "12-26", "Boxing Day" },
	};
	struct cal *c = builtin("GB");

	CHECK_YEAR(c, 2025, gb2025);
	CHECK_YEAR(c, 2026, gb2026);
	CHECK_YEAR(c, 2021, gb2021);
	CHECK_YEAR(c, 2022, gb2022);
	CHECK_YEAR(c, 2020, gb2020);
	CHECK_YEAR(c, 2023, gb2023);
	cal_free(c);
}

/* The substitution rule checked independently over many years, inside the
 * precomputed range and outside it (computed on the fly). */
static void test_gb_substitution_all_years(void)
{
	struct cal *c = builtin("GB");
	int bad = 0;

	if (!c) {
		CHECK(c != NULL);
		return;
	}
	for (int y = 1900; y <= 2400 && bad < 5; y++) {
		date_t xmas = ymd(y, 12, 25), nyd = ymd(y, 1, 1);
		int wx = date_weekday(xmas), wn = date_weekday(nyd);
		date_t want_x = xmas, want_b = xmas + 1, want_n = nyd;

		if (wx == 5) /* Boxing Day on Saturday -> Monday 28 */
			want_b = xmas + 3;
		else if (wx == 6) { /* -> Monday 27, Tuesday 28 */
			want_x = xmas + 2;
			want_b = xmas + 3;
		} else if (wx == 7) /* Boxing Day Monday 26, Christmas Tue 27 */
			want_x = xmas + 2;
		if (wn == 6)
			want_n = nyd + 2;
		else if (wn == 7)
			want_n = nyd + 1;
		if (!cal_is_holiday(c, want_x, NULL) ||
		    !cal_is_holiday(c, want_b, NULL) ||
		    (y >= 1974 && !cal_is_holiday(c, want_n, NULL)) ||
		    (y < 1974 && cal_is_holiday(c, want_n, NULL)) ||
		    cal_is_holiday(c, ymd(y, 12, 29), NULL) ||
		    cal_is_holiday(c, ymd(y, 1, 4), NULL) ||
		    !cal_is_holiday(c, date_easter(y) - 2, NULL) ||
		    !cal_is_holiday(c, date_easter(y) + 1, NULL)) {
			printf("  GB %d wrong\n", y);
			bad++;
		}
		/* Business days in the last week of the year. */
		int nbiz = 0;
		for (date_t d = ymd(y, 12, 24); d <= ymd(y, 12, 31); d++)
			nbiz += cal_is_business_day(c, d);
		int want_biz = 0;
		for (date_t d = ymd(y, 12, 24); d <= ymd(y, 12, 31); d++)
			want_biz += date_weekday(d) < 6 && d != want_x &&
				    d != want_b && d != xmas && d != xmas + 1 &&
				    d != ymd(1999, 12, 31); /* Millennium */
		if (nbiz != want_biz) {
			printf("  GB %d: %d business days at Christmas, want "
			       "%d\n", y, nbiz, want_biz);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
	cal_free(c);
}

static void test_business_days(void)
{
	struct cal *nl = builtin("NL"), *gb = builtin("GB");

	/* Weekends only. */
	CHECK(cal_is_business_day(NULL, ymd(2026, 4, 3)));
	CHECK(!cal_is_business_day(NULL, ymd(2026, 4, 4)));
	CHECK_INT(cal_add_business_days(NULL, ymd(2026, 4, 3), 1),
		  ymd(2026, 4, 6));
	CHECK_INT(cal_is_holiday(NULL, ymd(2026, 12, 25), NULL), 0);

	/* Easter 2026 (5 April): GB has Good Friday and Easter Monday, NL
	 * only Easter Monday. */
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 4, 2), 1),
		  ymd(2026, 4, 7));
	CHECK_INT(cal_add_business_days(nl, ymd(2026, 4, 2), 1),
		  ymd(2026, 4, 3));
	CHECK_INT(cal_add_business_days(nl, ymd(2026, 4, 3), 1),
		  ymd(2026, 4, 7));
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 4, 7), -1),
		  ymd(2026, 4, 2));
	CHECK_INT(cal_add_business_days(nl, ymd(2026, 4, 7), -1),
		  ymd(2026, 4, 3));
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 3, 30), 5),
		  ymd(2026, 4, 8));
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 4, 8), -5),
		  ymd(2026, 3, 30));
	/* n = 0: the first business day on or after d. */
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 4, 3), 0),
		  ymd(2026, 4, 7));
	CHECK_INT(cal_add_business_days(gb, ymd(2026, 4, 2), 0),
		  ymd(2026, 4, 2));
	CHECK_INT(cal_add_business_days(nl, ymd(2026, 4, 4), 0),
		  ymd(2026, 4, 7));
	/* Christmas 2021 in England: Fri 24 -> Wed 29. */
	CHECK_INT(cal_add_business_days(gb, ymd(2021, 12, 24), 1),
		  ymd(2021, 12, 29));
	/* A year of business days: 2026 in NL has 261 weekdays, of which
	 * 1 Jan, 6 Apr, 27 Apr, 14 May, 25 May, 25 Dec are holidays. */
	CHECK_INT(cal_add_business_days(nl, ymd(2025, 12, 31), 255),
		  ymd(2026, 12, 31));
	CHECK_INT(cal_add_business_days(nl, ymd(2026, 12, 31), -255),
		  ymd(2025, 12, 31));
	cal_free(nl);
	cal_free(gb);
}

static void test_builtin_list(void)
{
	const char *const *cc = cal_builtin_countries();
	size_t n = 0;

	for (; cc[n]; n++) {
		struct cal *c = builtin(cc[n]);
		CHECK(c != NULL);
		CHECK(cal_is_holiday(c, ymd(2026, 12, 25), NULL));
		cal_free(c);
	}
	CHECK_INT(n, 5);
	/* Every embedded data/holidays/XX.txt is in the list, and back. */
	size_t files = 0;
	for (unsigned long i = 0; i < embedded_count; i++) {
		const char *name = embedded_files[i].name;
		int found = 0;

		if (strncmp(name, "data/holidays/", 14) != 0)
			continue;
		files++;
		for (size_t k = 0; k < n; k++)
			if (strncmp(name + 14, cc[k], 2) == 0 &&
			    strcmp(name + 16, ".txt") == 0)
				found = 1;
		if (!found)
			printf("  %s is not in cal_builtin_countries()\n",
			       name);
		CHECK(found);
	}
	CHECK_INT(files, n);
}

static void test_builtin_rejects(void)
{
	static const struct {
		const char *cc;
		int rc;
		const char *msg;
	} cases[] = {
		{ "nl", -ERR_INVALID, "invalid country code 'nl', expected two "
		  "upper-case letters (ISO 3166-1 alpha-2, e.g. NL)" },
		{ "NLD", -ERR_INVALID, "invalid country code 'NLD', expected "
		  "two upper-case letters (ISO 3166-1 alpha-2, e.g. NL)" },
		{ "", -ERR_INVALID, "invalid country code '', expected two "
		  "upper-case letters (ISO 3166-1 alpha-2, e.g. NL)" },
		{ "../../etc/passwd", -ERR_INVALID, "invalid country code "
		  "'../../et...', expected two upper-case letters (ISO 3166-1 "
		  "alpha-2, e.g. NL)" },
		{ "N\n", -ERR_INVALID, "invalid country code 'N?', expected "
		  "two upper-case letters (ISO 3166-1 alpha-2, e.g. NL)" },
		{ "XX", -ERR_NOTFOUND, "no built-in holiday calendar for "
		  "country 'XX', expected one of: BE DE FR GB NL" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cal *c = NULL;
		struct err e;

		err_clear(&e);
		CHECK_INT(cal_builtin(cases[i].cc, &c, &e), cases[i].rc);
		CHECK(c == NULL);
		CHECK_STR(e.msg, cases[i].msg);
	}
	struct cal *c = NULL;
	struct err e;
	CHECK_INT(cal_builtin(NULL, &c, &e), -ERR_INVALID);
}

/* Every rule kind and option, in the cached range and outside it. */
static void test_rules(void)
{
	struct cal *c = parse(
		"# a test calendar\n"
		"\n"
		"fixed 02-29                       Leap Day\n"
		"easter -48 since=2000             Carnival Monday  # comment\n"
		"weekday fourth thu 11             Thanksgiving\n"
		"weekday last fri 03               Last Friday of March\n"
		"weekday first sun 06 until=2025   First Sunday of June\n"
		"fixed 07-04 if-sat=-1 if-sun=+1   Independence Day\n"
		"fixed 03-15 every=3 since=2024 skip=2030,2033  Every third\n"
		"date 2026-06-15                   One-off = day\r\n"
		"fixed 12-31 substitute=next-weekday  Old Year\n"
		"fixed 01-01 substitute=next-weekday  New Year\n"
		"\t fixed 01-02   Second January\t \n");
	const char *name = NULL;

	if (!c) {
		CHECK(c != NULL);
		return;
	}
	CHECK(cal_is_holiday(c, ymd(2024, 2, 29), &name));
	CHECK_STR(name, "Leap Day");
	CHECK(!cal_is_holiday(c, ymd(2025, 2, 28), NULL));
	CHECK(!cal_is_holiday(c, ymd(2025, 3, 1), NULL));
	CHECK(cal_is_holiday(c, ymd(2104, 2, 29), NULL));
	CHECK(!cal_is_holiday(c, ymd(2100, 2, 28), NULL));

	CHECK(cal_is_holiday(c, date_easter(2026) - 48, &name));
	CHECK_STR(name, "Carnival Monday");
	CHECK_INT(date_weekday(date_easter(2026) - 48), 1);
	CHECK(!cal_is_holiday(c, date_easter(1999) - 48, NULL));
	CHECK(cal_is_holiday(c, date_easter(2200) - 48, NULL));

	CHECK(cal_is_holiday(c, ymd(2026, 11, 26), NULL)); /* Thanksgiving */
	CHECK(cal_is_holiday(c, ymd(2025, 11, 27), NULL));
	CHECK(!cal_is_holiday(c, ymd(2025, 11, 20), NULL));
	CHECK(cal_is_holiday(c, ymd(2026, 3, 27), NULL)); /* last Friday */
	CHECK(cal_is_holiday(c, ymd(2024, 3, 29), NULL));
	CHECK(cal_is_holiday(c, ymd(2023, 3, 31), NULL));
	CHECK(cal_is_holiday(c, ymd(2025, 6, 1), NULL)); /* first Sunday */
	CHECK(!cal_is_holiday(c, ymd(2026, 6, 7), NULL)); /* until=2025 */

	/* if-sat / if-sun move the day itself. */
	CHECK(cal_is_holiday(c, ymd(2026, 7, 3), NULL)); /* 4th a Saturday */
	CHECK(!cal_is_holiday(c, ymd(2026, 7, 4), NULL));
	CHECK(cal_is_holiday(c, ymd(2027, 7, 5), NULL)); /* 4th a Sunday */
	CHECK(!cal_is_holiday(c, ymd(2027, 7, 4), NULL));
	CHECK(cal_is_holiday(c, ymd(2025, 7, 4), NULL)); /* a Friday */

	/* every=3 since=2024, skipping 2030 and 2033. */
	for (int y = 2020; y <= 2040; y++) {
		int want = y >= 2024 && (y - 2024) % 3 == 0 && y != 2030 &&
			   y != 2033;
		CHECK_INT(cal_is_holiday(c, ymd(y, 3, 15), NULL), want);
	}

	CHECK(cal_is_holiday(c, ymd(2026, 6, 15), &name));
	CHECK_STR(name, "One-off = day");
	CHECK(!cal_is_holiday(c, ymd(2027, 6, 15), NULL));

	/* Substitutes across New Year: 31 Dec 2022 a Saturday, 1 Jan 2023 a
	 * Sunday, 2 Jan a plain holiday: the old year's substitute is
	 * placed first (Tue 3), the new year's next (Wed 4). */
	CHECK(cal_is_holiday(c, ymd(2023, 1, 2), &name));
	CHECK_STR(name, "Second January");
	CHECK(cal_is_holiday(c, ymd(2023, 1, 3), &name));
	CHECK_STR(name, "Old Year (substitute day)");
	CHECK(cal_is_holiday(c, ymd(2023, 1, 4), &name));
	CHECK_STR(name, "New Year (substitute day)");
	CHECK(!cal_is_holiday(c, ymd(2023, 1, 5), NULL));
	/* The same beyond the cached range: find such a year after 2100. */
	int y = 2101;
	while (date_weekday(ymd(y, 12, 31)) != 6)
		y++;
	CHECK(cal_is_holiday(c, ymd(y + 1, 1, 3), &name));
	CHECK_STR(name, "Old Year (substitute day)");
	CHECK(cal_is_holiday(c, ymd(y + 1, 1, 4), &name));
	CHECK_STR(name, "New Year (substitute day)");
	CHECK(cal_is_holiday(c, ymd(y, 12, 31), &name));
	CHECK_STR(name, "Old Year");

	/* Outside years 1..9999 only weekends count. */
	CHECK(!cal_is_holiday(c, ymd(10000, 1, 1), NULL));
	cal_free(c);
}

/* Two rules on one day: one holiday, named by the first rule. */
static void test_same_day(void)
{
	struct cal *c = parse("easter +39 Ascension\nfixed 05-01 Labour\n");
	const char *name = NULL;

	/* 1 May 2008 was Ascension Day. */
	CHECK(cal_is_holiday(c, ymd(2008, 5, 1), &name));
	CHECK_STR(name, "Ascension");
	CHECK(cal_is_holiday(c, ymd(2026, 5, 1), &name));
	CHECK_STR(name, "Labour");
	cal_free(c);

	c = parse("");
	CHECK(c != NULL);
	cal_free(c);
	c = NULL;
	CHECK_INT(cal_parse("empty", NULL, 0, &c, NULL), 0);
	CHECK(c != NULL);
	CHECK(!cal_is_holiday(c, ymd(2026, 1, 1), NULL));
	cal_free(c);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "# header\nfixd 01-01 X\n", "t.txt:2: unknown rule 'fixd', "
		  "expected fixed, easter, weekday or date" },
		{ "fixed 13-01 X\n", "t.txt:1: bad month in '13-01', expected "
		  "MM-DD with MM 01..12" },
		{ "fixed 04-31 X\n", "t.txt:1: bad day in '04-31', expected "
		  "MM-DD with DD 01..30" },
		{ "fixed 4-1 X\n", "t.txt:1: bad date '4-1', expected MM-DD" },
		{ "fixed\n", "t.txt:1: missing date, expected 'fixed MM-DD'" },
		{ "\n\n\nfixed 01-01\n", "t.txt:4: missing holiday name, "
		  "expected it after the rule and its options" },
		{ "fixed 01-01 # only a comment\n", "t.txt:1: missing holiday "
		  "name, expected it after the rule and its options" },
		{ "easter X\n", "t.txt:1: bad Easter offset 'X', expected days "
		  "from Easter Sunday, -80..+250" },
		{ "easter +251 X\n", "t.txt:1: bad Easter offset '+251', "
		  "expected days from Easter Sunday, -80..+250" },
		{ "easter\n", "t.txt:1: bad Easter offset '', expected days "
		  "from Easter Sunday, -80..+250" },
		{ "weekday first mo 05 X\n", "t.txt:1: unknown weekday 'mo', "
		  "expected mon, tue, wed, thu, fri, sat or sun" },
		{ "weekday fifth mon 05 X\n", "t.txt:1: unknown position "
		  "'fifth', expected first, second, third, fourth or last" },
		{ "weekday last mon 5 X\n", "t.txt:1: bad month '5', expected "
		  "MM (01..12)" },
		{ "weekday last mon\n", "t.txt:1: incomplete weekday rule, "
		  "expected 'weekday first|second|third|fourth|last mon..sun "
		  "MM'" },
		{ "date 2026-02-30 X\n", "t.txt:1: invalid date '2026-02-30': "
		  "day out of range for February" },
		{ "fixed 01-01 sinec=2000 X\n", "t.txt:1: unknown option "
		  "'sinec', expected since, until, every, skip, if-sat, if-sun "
		  "or substitute" },
		{ "fixed 01-01 since=20x0 X\n", "t.txt:1: bad year '20x0' in "
		  "since=, expected YYYY (1..9999)" },
		{ "fixed 01-01 since=2000 since=2001 X\n", "t.txt:1: option "
		  "'since' given twice, expected it once" },
		{ "fixed 01-01 every=5 X\n", "t.txt:1: every=5 needs "
		  "since=YEAR to count from, expected both" },
		{ "fixed 01-01 every=0 since=2000 X\n", "t.txt:1: bad interval "
		  "'0' in every=, expected a number of years 1..100" },
		{ "fixed 01-01 since=2030 until=2020 X\n", "t.txt:1: "
		  "since=2030 is after until=2020, expected a non-empty range "
		  "of years" },
		{ "fixed 01-01 skip=2020,,2021 X\n", "t.txt:1: bad year '' in "
		  "skip=, expected YYYY[,YYYY...]" },
		{ "fixed 01-01 skip=1,2,3,4,5,6,7,8,9 X\n", "t.txt:1: too many "
		  "years in skip=, expected at most 8" },
		{ "fixed 01-01 if-sun=0 X\n", "t.txt:1: bad move '0' in "
		  "if-sun=, expected days -6..+6, not 0" },
		{ "fixed 01-01 if-sat=+7 X\n", "t.txt:1: bad move '+7' in "
		  "if-sat=, expected days -6..+6, not 0" },
		{ "fixed 01-01 substitute=monday X\n", "t.txt:1: bad value "
		  "'monday' in substitute=, expected next-weekday" },
		{ "fixed 01-01 substitute=next-weekday if-sun=1 X\n", "t.txt:1:"
		  " substitute= cannot be combined with if-sat=/if-sun=, "
		  "expected one way to handle weekends" },
		{ "fixed 01-01 A\vB\n", "t.txt:1: control character in holiday "
		  "name, expected printable text" },
		{ "fixed 01-01 \xff\xfe\n", "t.txt:1: holiday name is not valid "
		  "UTF-8, expected UTF-8 text" },
		{ "fixed 01-01 "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaa\n", "t.txt:1: holiday name too long (81 "
		  "bytes), expected at most 80" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cal *c = NULL;
		struct err e;

		err_clear(&e);
		CHECK_INT(cal_parse("t.txt", cases[i].text,
				    strlen(cases[i].text), &c, &e),
			  -ERR_INVALID);
		CHECK(c == NULL);
		CHECK_STR(e.msg, cases[i].msg);
	}
}

static void test_parse_limits(void)
{
	struct cal *c = NULL;
	struct err e;
	char *big;
	size_t n = 0;

	/* A line longer than 512 bytes. */
	big = malloc(70 * 1024);
	memcpy(big, "fixed 01-01 X\n", 14);
	memset(big + 14, 'x', 600);
	n = 14 + 600;
	CHECK_INT(cal_parse("t.txt", big, n, &c, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "t.txt:2: line is 600 bytes, expected at most 512");

	/* 65 rules. */
	n = 0;
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(big + n, 64, "fixed 01-01 R%d\n", i);
	CHECK_INT(cal_parse("t.txt", big, n, &c, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "t.txt:65: too many rules, expected at most 64");
	CHECK(c == NULL);

	/* Too big as a whole. */
	memset(big, '#', 70 * 1024);
	CHECK_INT(cal_parse("t.txt", big, 70 * 1024, &c, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "expected at most 65536") != NULL);

	/* A NUL byte, and text without a final newline. */
	CHECK_INT(cal_parse("t.txt", "fixed 01-01 A\0B", 15, &c, &e),
		  -ERR_INVALID);
	CHECK_STR(e.msg, "t.txt: NUL byte in calendar, expected text");
	const char *nofinal = "fixed 01-01 A\nfixed 01-02 B";
	CHECK_INT(cal_parse("t.txt", nofinal, strlen(nofinal), &c, &e), 0);
	CHECK(cal_is_holiday(c, ymd(2026, 1, 2), NULL));
	cal_free(c);
	free(big);
	cal_free(NULL);
}

int main(void)
{
	RUN(test_nl);
	RUN(test_de);
	RUN(test_be);
	RUN(test_fr);
	RUN(test_gb);
	RUN(test_gb_substitution_all_years);
	RUN(test_business_days);
	RUN(test_builtin_list);
	RUN(test_builtin_rejects);
	RUN(test_rules);
	RUN(test_same_day);
	RUN(test_parse_errors);
	RUN(test_parse_limits);
	return CHECK_DONE();
}
