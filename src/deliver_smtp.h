/*
 * deliver_smtp: the e-mail adapter — hands composed messages (.eml, CRLF,
 * made by render_email) to an SMTP server, several at once, over reused
 * connections (libcurl's multi interface).
 *
 * It carries and reports; it never decides whether a message may go, never
 * changes a message's bytes (curl only dot-stuffs them on the wire), and
 * never prints. Passwords from the setting are kept out of every error
 * message.
 *
 * The setting:
 *
 *   smtp://[user:password@]host[:port][/][?param=value&...]
 *   smtps://[user:password@]host[:port][/][?param=value&...]
 *
 * smtp:// speaks plain SMTP and upgrades with STARTTLS (port 25 when none
 * is given; 587 is the usual submission port); smtps:// is TLS from the
 * first byte (implicit TLS, port 465 by default). user and password are
 * percent-decoded ("%40" for '@', "%3A" for ':') and sent with AUTH (PLAIN
 * or LOGIN, whichever the server offers; curl picks). The host is a name,
 * an IPv4 address or an IPv6 address in brackets. Parameters (values are
 * percent-decoded; '+' stays '+', as in addresses):
 *
 *   starttls=required|optional|no  smtp:// only. required (the default):
 *                   refuse to send unless the server offers STARTTLS — the
 *                   messages hold personal and financial data. optional:
 *                   use it when offered (open to a downgrade by anyone on
 *                   the path). no: never (a relay on the same machine).
 *   from=ADDR       the envelope sender (MAIL FROM); by default the address
 *                   of each message's From header.
 *   timeout=SECONDS for one message, connecting included: 1..3600,
 *                   default 60.
 *   inflight=N      messages in flight at once (one connection each, reused
 *                   from message to message): 1..64, default 8.
 *   helo=NAME       the name given in EHLO (a domain name or an address
 *                   literal "[192.0.2.1]"); default: this machine's name.
 *   insecure=1      FOR TESTS ONLY: accept any TLS certificate (a test
 *                   server's self-signed one). Never in production: it
 *                   lets anyone on the path read the mail and the password.
 *
 * Outcomes: a 2xx to the whole transaction is SENT, provider_id being the
 * server's queue id from its final reply ("queued as X", "id=X") or else
 * the message's Message-ID; a 5xx to RCPT or DATA is HARD_FAIL (a bounce:
 * the server's reply is the error); a 4xx, a failed connection, TLS or
 * timeout is RETRY; so are failed authentication, a refused sender or
 * greeting, and a RCPT refused for a policy reason (enhanced code 5.7.x
 * such as "Relay access denied", or 530) — problems of the setting or the
 * server, not of the customer's address, which the error says. An address
 * that cannot be an envelope address is HARD_FAIL without contacting the
 * server.
 *
 * One handle per thread: send() is not reentrant.
 */
#ifndef DUNWELL_DELIVER_SMTP_H
#define DUNWELL_DELIVER_SMTP_H

#include "deliver.h"

/* Both accept either scheme in open(); deliver_find picks by scheme. */
extern const struct deliver_backend deliver_smtp;  /* "smtp://..." */
extern const struct deliver_backend deliver_smtps; /* "smtps://..." */

#endif
