/*
 * hex: the value of one hexadecimal digit, shared by the decoders that
 * read "%XX" escapes and "#rrggbb" colours (the SMTP setting, form bodies
 * and query strings, profile colours). It only reads one character: no
 * allocation, no locale (isxdigit would depend on it).
 */
#ifndef DUNWELL_HEX_H
#define DUNWELL_HEX_H

/* 0..15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other character. */
int hex_digit(char c);

#endif
