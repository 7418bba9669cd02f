/*
 * test_hex: hex_digit over every char value — the 22 hexadecimal digits
 * and nothing else.
 */
#include <limits.h>

#include "check.h"
#include "hex.h"

TEST(test_digits)
{
	CHECK_INT(hex_digit('0'), 0);
	CHECK_INT(hex_digit('9'), 9);
	CHECK_INT(hex_digit('a'), 10);
	CHECK_INT(hex_digit('f'), 15);
	CHECK_INT(hex_digit('A'), 10);
	CHECK_INT(hex_digit('F'), 15);
	CHECK_INT(hex_digit('c'), 12);
	CHECK_INT(hex_digit('D'), 13);
}

TEST(test_others)
{
	static const char lower[] = "0123456789abcdef", upper[] = "ABCDEF";
	int want[UCHAR_MAX + 1], n = 0;

	for (int v = 0; v <= UCHAR_MAX; v++)
		want[v] = -1;
	for (int i = 0; i < 16; i++)
		want[(unsigned char)lower[i]] = i;
	for (int i = 0; i < 6; i++)
		want[(unsigned char)upper[i]] = 10 + i;
	for (int v = 0; v <= UCHAR_MAX; v++) {
		CHECK_INT(hex_digit((char)v), want[v]);
		n += hex_digit((char)v) >= 0;
	}
	CHECK_INT(n, 22);
	CHECK_INT(hex_digit('g'), -1);
	CHECK_INT(hex_digit('G'), -1);
	CHECK_INT(hex_digit('/'), -1); /* just below '0' */
	CHECK_INT(hex_digit(':'), -1); /* just above '9' */
	CHECK_INT(hex_digit('@'), -1); /* just below 'A' */
	CHECK_INT(hex_digit('`'), -1); /* just below 'a' */
	CHECK_INT(hex_digit('\xb0'), -1);
}

int main(void)
{
	RUN(test_digits);
	RUN(test_others);
	return CHECK_DONE();
}
