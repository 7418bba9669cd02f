#!/usr/bin/env python3
"""mime_parse: a MIME message read by a real parser, summarised as JSON.

The unit test of src/render_email.c writes each message it renders to a
file and runs `python3 tests/tools/mime_parse.py FILE`; this script parses
it with Python's standard `email` package (policy=email.policy.default, the
RFC 5322 / 2045-2047 conforming parser) and prints one JSON object:

  structure  the content types as a tree, e.g.
             "multipart/alternative(text/plain,multipart/related(text/html,image/png))"
  subject    the decoded Subject
  from, to   {"name": display name, "addr": addr-spec, "name_rfc2047": the
             display name decoded by the legacy RFC 2047 decoder, or null
             when it is a quoted string}. Python before gh-128110 keeps
             the whitespace between adjacent encoded words of a display
             name, against RFC 2047 6.2; the legacy decoder drops it, so
             it is the reference for names long enough to need several
             encoded words in a row.
  reply_to   the Reply-To addr-spec, or null
  message_id the Message-ID field as written ("<id>")
  date       the Date as seconds since the epoch (UTC)
  headers    every top-level field as [name, decoded value]
  text, html the decoded text/plain and text/html bodies, CRLF turned back
             into "\n" (MIME's canonical line end to the local one), or null
  charsets   the charset parameter of every text part
  images     [{cid, content_type, filename, disposition, len, sha256}]
  defects    every defect the parser reported, on the message, on any part
             or on any header field, as "where: DefectName"

It exits 2 when the file cannot be read; a message the parser rejects shows
up as defects, not as an exit status.
"""
import email
import email.policy
from email.header import decode_header, make_header
import hashlib
import json
import sys


def structure(part):
    """The content types of part and its children, as one string."""
    if part.is_multipart():
        inner = ",".join(structure(p) for p in part.iter_parts())
        return f"{part.get_content_type()}({inner})"
    return part.get_content_type()


def header_defects(where, part, out):
    for name, value in part.items():
        for d in getattr(value, "defects", ()):
            out.append(f"{where} {name}: {type(d).__name__}")


def mailbox(msg, field):
    """The first address of an address header as {name, addr, name_rfc2047}."""
    header = msg[field]
    if header is None or not header.addresses:
        return None
    a = header.addresses[0]
    raw = next((v for k, v in msg.raw_items() if k.lower() == field.lower()), "")
    display = raw.rsplit("<", 1)[0].strip() if "<" in raw else ""
    if display.startswith('"'):
        rfc2047 = None
    else:
        rfc2047 = str(make_header(decode_header(display)))
    return {"name": a.display_name, "addr": a.addr_spec, "name_rfc2047": rfc2047}


def main():
    if len(sys.argv) != 2:
        print("usage: mime_parse.py FILE", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
    except OSError as exc:
        print(f"mime_parse: {exc}", file=sys.stderr)
        return 2

    defects = []
    text = html = None
    charsets = []
    images = []
    for i, part in enumerate(msg.walk()):
        where = f"part {i} ({part.get_content_type()})"
        defects.extend(f"{where}: {type(d).__name__}" for d in part.defects)
        header_defects(where, part, defects)
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if part.get_content_maintype() == "text":
            charsets.append(part.get_content_charset())
            body = part.get_content().replace("\r\n", "\n")
            if ctype == "text/plain" and text is None:
                text = body
            elif ctype == "text/html" and html is None:
                html = body
        elif part.get_content_maintype() == "image":
            data = part.get_content()
            images.append({
                "cid": part.get("Content-ID"),
                "content_type": ctype,
                "filename": part.get_filename(),
                "disposition": part.get_content_disposition(),
                "len": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })

    date = msg["Date"]
    out = {
        "structure": structure(msg),
        "subject": str(msg["Subject"]) if msg["Subject"] is not None else None,
        "from": mailbox(msg, "From"),
        "to": mailbox(msg, "To"),
        "reply_to": (mailbox(msg, "Reply-To") or {}).get("addr"),
        "message_id": msg["Message-ID"],
        "date": int(date.datetime.timestamp()) if date is not None and date.datetime else None,
        "headers": [[k, str(v)] for k, v in msg.items()],
        "text": text,
        "html": html,
        "charsets": charsets,
        "images": images,
        "defects": defects,
    }
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
