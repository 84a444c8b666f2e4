/*
 * xml.h - a small, strict, bounded XML tokenizer (pull parser) for the
 * active-scan formats (nmap, masscan -oX, Nessus v2).
 *
 * It reads a document held in memory and hands back one event at a time:
 * an element start (name and attributes), an element end, or character data.
 * It checks well-formedness as far as these formats need: one root element,
 * matching end tags, quoted attributes without '<', no duplicate
 * attributes, the five predefined entities and character references
 * (&#N; &#xH;), comments, CDATA sections, processing instructions and a
 * DOCTYPE without an internal subset (an internal subset could define
 * entities; it is refused).  Limits: nesting depth, attributes per element,
 * name length.  Errors name the file, the line and the reason.
 *
 * Names are compared byte for byte; there are no namespaces.
 */
#ifndef SYNACK_XML_H
#define SYNACK_XML_H

#include <stddef.h>

enum {
	XML_MAX_DEPTH = 64,
	XML_MAX_ATTRS = 64,
	XML_MAX_NAME = 256,
};

enum xml_event_type {
	XML_ERROR = -1,
	XML_EOF = 0,
	XML_START, /* name, attrs */
	XML_END,   /* name */
	XML_TEXT,  /* text (decoded; CDATA included), text_len */
};

struct xml_attr {
	const char *name;
	const char *value; /* decoded, NUL-terminated */
};

struct xml_event {
	enum xml_event_type type;
	const char *name;
	const struct xml_attr *attrs;
	int nattrs;
	const char *text;
	size_t text_len;
	int depth; /* depth of the element (root = 1); text: of its parent */
	int line;  /* line where the event starts */
};

struct xml_parser {
	const char *file; /* for error messages */
	const char *buf;
	size_t len, pos;
	int line;        /* line of buf[line_pos] */
	size_t line_pos; /* newlines counted up to here */
	int depth;
	int seen_root;
	int pending_end; /* an empty element <x/> owes its end event */
	struct xml_open_elem {
		size_t off, len; /* open element names, as offsets into buf */
	} stack[XML_MAX_DEPTH];
	char *scratch;
	size_t scratch_cap;
	struct xml_attr attrs[XML_MAX_ATTRS];
	char err[512];
};

/* The parser keeps pointers into buf (which must stay valid) and owns
 * its scratch memory; event pointers stay valid until the next call. */
void xml_init(struct xml_parser *p, const char *file, const char *buf, size_t len);
int xml_next(struct xml_parser *p, struct xml_event *ev); /* returns ev->type */
void xml_free(struct xml_parser *p);
const char *xml_error(const struct xml_parser *p); /* "FILE:LINE: reason" */

/* Value of an attribute of a start event, or NULL. */
const char *xml_attr(const struct xml_event *ev, const char *name);

/* Reads a whole file into memory (NUL-terminated), refusing files larger
 * than max bytes.  Returns NULL with a message in err. */
char *xml_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif /* SYNACK_XML_H */
