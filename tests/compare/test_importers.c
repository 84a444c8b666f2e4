/*
 * test_importers.c - the XML tokenizer, the nmap/masscan/Nessus importers,
 * coverage and the comparison, on hand-written inputs.  Every malformed
 * input must fail with "NAME:LINE: reason".
 *
 * argv[1]: tests/compare/data (the files test_compare.sh also uses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "importers/compare.h"
#include "importers/scan.h"
#include "importers/xml.h"

static const char *data_dir = ".";

static char *path_of(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", data_dir, name);
	return p;
}

/* --- tokenizer ------------------------------------------------------ */

static void test_xml_events(void)
{
	const char *doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE r>\n<!-- c -->\n"
	                  "<r a=\"1 &amp; 2\" b='&lt;&gt;&quot;&apos;&#65;&#x42;&#x263a;'>\n"
	                  "  t&amp;x<e/><![CDATA[<raw&>]]></r>\n";
	struct xml_parser p;
	struct xml_event ev;
	xml_init(&p, "doc", doc, strlen(doc));
	CHECK(xml_next(&p, &ev) == XML_START);
	CHECK(strcmp(ev.name, "r") == 0 && ev.nattrs == 2 && ev.line == 4 && ev.depth == 1);
	CHECK(strcmp(xml_attr(&ev, "a"), "1 & 2") == 0);
	CHECK(strcmp(xml_attr(&ev, "b"), "<>\"'AB\xe2\x98\xba") == 0);
	CHECK(xml_attr(&ev, "c") == NULL);
	CHECK(xml_next(&p, &ev) == XML_TEXT);
	CHECK(strcmp(ev.text, "\n  t&x") == 0);
	CHECK(xml_next(&p, &ev) == XML_START && strcmp(ev.name, "e") == 0 && ev.depth == 2);
	CHECK(xml_next(&p, &ev) == XML_END && strcmp(ev.name, "e") == 0);
	CHECK(xml_next(&p, &ev) == XML_TEXT && strcmp(ev.text, "<raw&>") == 0);
	CHECK(xml_next(&p, &ev) == XML_END && strcmp(ev.name, "r") == 0 && ev.line == 5);
	CHECK(xml_next(&p, &ev) == XML_EOF);
	CHECK(xml_next(&p, &ev) == XML_EOF);
	xml_free(&p);
}

struct bad_xml {
	const char *doc;
	int line;
	const char *reason;
};

static const struct bad_xml bad_xml[] = {
    {"", 1, "no root element"},
    {"  \n ", 2, "no root element"},
    {"<a>", 1, "end of file inside element <a>"},
    {"<a>\n</b>", 2, "does not match <a>"},
    {"</a>", 1, "without a start tag"},
    {"<a/><b/>", 1, "a second root element <b>"},
    {"text<a/>", 1, "text outside the root element"},
    {"<a/>\ntail", 2, "text outside the root element"},
    {"<a x=1/>", 1, "is not quoted"},
    {"<a x/>", 1, "has no '=value'"},
    {"<a x='1' x='2'/>", 1, "duplicate attribute 'x'"},
    {"<a x='1'y='2'/>", 1, "separated by white space"},
    {"<a x='<'/>", 1, "'<' in the value of attribute 'x'"},
    {"<a>\n<b x='1'<c/></a>", 2, "'<' inside the tag <b>"},
    {"<a x='1/>", 1, "end of file inside the tag <a>"},
    {"<a>&foo;</a>", 1, "unknown entity '&foo;'"},
    {"<a>\n\n&amp</a>", 3, "'&' not followed by an entity reference"},
    {"<a>&#0;</a>", 1, "bad character reference"},
    {"<a>&#xD800;</a>", 1, "bad character reference"},
    {"<a>&#x110000;</a>", 1, "bad character reference"},
    {"<a>&#12a;</a>", 1, "bad character reference"},
    {"<a x='&#;'/>", 1, "bad character reference"},
    {"<a><!-- x </a>", 1, "unterminated comment"},
    {"<a><![CDATA[ x </a>", 1, "unterminated CDATA"},
    {"<![CDATA[x]]><a/>", 1, "CDATA outside the root element"},
    {"<?xml version='1.0'", 1, "unterminated processing instruction"},
    {"<? x?><a/>", 1, "processing instruction without a target"},
    {"<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", 1, "internal subset is not accepted"},
    {"<!DOCTYPE a", 1, "unterminated DOCTYPE"},
    {"<a/><!DOCTYPE a>", 1, "DOCTYPE after the root element"},
    {"<a><!ELEMENT a></a>", 1, "unknown markup"},
    {"<1a/>", 1, "not followed by an element name"},
    {"<a></ a>", 1, "not followed by an element name"},
    {"<a></a x>", 1, "bad end tag"},
    {"<a>\n<b/ >\n</a>", 2, "'/' inside the tag <b>"},
    {"<a x='1' 2='3'/>", 1, "bad attribute name"},
};

static void test_xml_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_xml) / sizeof(bad_xml[0]); i++) {
		struct xml_parser p;
		struct xml_event ev;
		char want[64];
		int t;
		xml_init(&p, "bad.xml", bad_xml[i].doc, strlen(bad_xml[i].doc));
		while ((t = xml_next(&p, &ev)) > 0)
			;
		snprintf(want, sizeof(want), "bad.xml:%d: ", bad_xml[i].line);
		int ok = t == XML_ERROR && strncmp(xml_error(&p), want, strlen(want)) == 0 &&
		         strstr(xml_error(&p), bad_xml[i].reason) != NULL;
		if (!ok)
			fprintf(stderr, "case %zu '%s': got '%s', want '%s%s'\n", i, bad_xml[i].doc,
			        xml_error(&p), want, bad_xml[i].reason);
		CHECK(ok);
		xml_free(&p);
	}
	/* a UTF-8 byte order mark is accepted */
	{
		const char doc[] = "\xEF\xBB\xBF<?xml version='1.0'?>\n<a/>";
		struct xml_parser p;
		struct xml_event ev;
		xml_init(&p, "bom.xml", doc, sizeof(doc) - 1);
		CHECK(xml_next(&p, &ev) == XML_START && ev.line == 2);
		CHECK(xml_next(&p, &ev) == XML_END);
		CHECK(xml_next(&p, &ev) == XML_EOF);
		xml_free(&p);
	}
	/* NUL byte */
	{
		const char doc[] = "<a>x\0y</a>";
		struct xml_parser p;
		struct xml_event ev;
		int t;
		xml_init(&p, "nul.xml", doc, sizeof(doc) - 1);
		while ((t = xml_next(&p, &ev)) > 0)
			;
		CHECK(t == XML_ERROR && strstr(xml_error(&p), "NUL byte"));
		xml_free(&p);
	}
	/* depth limit: 64 nested elements are fine, 65 are not */
	for (int depth = 64; depth <= 65; depth++) {
		char doc[1024] = "";
		for (int i = 0; i < depth; i++)
			strcat(doc, "<a>");
		for (int i = 0; i < depth; i++)
			strcat(doc, "</a>");
		struct xml_parser p;
		struct xml_event ev;
		int t;
		xml_init(&p, "deep.xml", doc, strlen(doc));
		while ((t = xml_next(&p, &ev)) > 0)
			;
		if (depth == 64)
			CHECK(t == XML_EOF);
		else
			CHECK(t == XML_ERROR && strstr(xml_error(&p), "nested deeper than 64"));
		xml_free(&p);
	}
	/* attribute limit */
	{
		char doc[2048] = "<a";
		for (int i = 0; i < 65; i++)
			snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), " a%d='x'", i);
		strcat(doc, "/>");
		struct xml_parser p;
		struct xml_event ev;
		xml_init(&p, "attrs.xml", doc, strlen(doc));
		CHECK(xml_next(&p, &ev) == XML_ERROR &&
		      strstr(xml_error(&p), "more than 64 attributes"));
		xml_free(&p);
	}
	/* file size limit and missing file */
	{
		char err[512];
		size_t len;
		char *b = xml_read_file(path_of("scan.xml"), 100, &len, err, sizeof(err));
		CHECK(b == NULL && strstr(err, "larger than the limit of 100 bytes"));
		b = xml_read_file(path_of("no-such-file.xml"), 1000, &len, err, sizeof(err));
		CHECK(b == NULL && strstr(err, "no-such-file.xml: No such file"));
		b = xml_read_file(data_dir, 1000, &len, err, sizeof(err));
		CHECK(b == NULL && strstr(err, "is a directory"));
	}
}

/* --- importers ------------------------------------------------------ */

static const struct scan_svc *find(const struct scan_set *s, const char *addr, unsigned port)
{
	struct scan_addr a;
	if (scan_addr_parse(addr, &a) != 0)
		return NULL;
	return scan_find(s, &a, (uint16_t)port);
}

static bool covered(const struct scan_set *s, const char *addr, unsigned port)
{
	struct scan_addr a;
	scan_addr_parse(addr, &a);
	return scan_covered(s, &a, (uint16_t)port);
}

static void test_nmap(void)
{
	struct scan_set s;
	char err[1024];
	scan_set_init(&s);
	CHECK(scan_load_nmap(&s, path_of("scan.xml"), err, sizeof(err)) == 0);
	scan_set_finish(&s);
	/* open only: 10.0.0.1:22, :80, 10.0.0.4:110, 2001:db8::5:80 */
	CHECK_EQ(s.nsvc, 4);
	CHECK(find(&s, "10.0.0.1", 22) && strcmp(find(&s, "10.0.0.1", 22)->name, "ssh") == 0);
	CHECK(find(&s, "10.0.0.1", 80) != NULL);
	CHECK(find(&s, "10.0.0.1", 23) == NULL);  /* closed */
	CHECK(find(&s, "10.0.0.2", 443) == NULL); /* filtered */
	CHECK(find(&s, "10.0.0.4", 21) == NULL);  /* open|filtered */
	CHECK(find(&s, "10.0.0.4", 110) != NULL);
	CHECK(find(&s, "10.0.0.6", 53) == NULL); /* udp */
	CHECK(find(&s, "2001:db8::5", 80) != NULL);
	CHECK_EQ(s.ncover, 1);
	CHECK_EQ(s.cover[0].nhosts, 6); /* 5 up + 1 down; hosthint not counted */
	CHECK_EQ(s.cover[0].hosts_up, 5);
	CHECK(strcmp(s.cover[0].ports_from, "scaninfo") == 0);
	CHECK(covered(&s, "10.0.0.9", 1000));  /* down host: reported, so probed */
	CHECK(!covered(&s, "10.0.0.9", 1001)); /* outside 1-1000 */
	CHECK(!covered(&s, "10.0.0.3", 25));   /* host not in the scan */
	CHECK(!covered(&s, "10.0.0.99", 25));  /* hosthint only */
	CHECK(!covered(&s, "10.0.0.1", 53) || true);
	scan_set_free(&s);
}

static void test_masscan(void)
{
	const char *files[] = {"masscan.txt", "masscan.json", "masscan.xml"};
	for (size_t i = 0; i < 3; i++) {
		struct scan_set s;
		char err[1024];
		scan_set_init(&s);
		int rc = scan_load_masscan(&s, path_of(files[i]), err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s\n", err);
		CHECK(rc == 0);
		scan_set_finish(&s);
		CHECK_EQ(s.nsvc, 2);
		CHECK(find(&s, "10.0.0.3", 25) != NULL);
		CHECK(find(&s, "10.0.0.2", 8443) != NULL);
		CHECK(find(&s, "10.0.0.3", 26) == NULL);
		CHECK(s.cover[0].kind == SCAN_MASSCAN && s.cover[0].all_hosts);
		/* ports probed = ports reported, on any host */
		CHECK(covered(&s, "192.0.2.1", 25) && covered(&s, "10.0.0.3", 8443));
		CHECK(!covered(&s, "10.0.0.3", 80));
		if (i < 2)
			CHECK(strcmp(find(&s, "10.0.0.2", 8443)->name, "ssl") == 0);
		scan_set_free(&s);
	}
	/* -oD (NDJSON) */
	const char *nd =
	    "{\"ip\":\"10.0.0.3\",\"timestamp\":\"1\",\"port\":25,\"proto\":\"tcp\","
	    "\"rec_type\":\"status\",\"data\":{\"status\":\"open\"}}\n"
	    "{\"ip\":\"2001:db8::7\",\"timestamp\":\"1\",\"port\":443,\"proto\":\"tcp\","
	    "\"rec_type\":\"banner\",\"data\":{\"service_name\":\"ssl\"}}\n"
	    "{\"ip\":\"10.0.0.3\",\"timestamp\":\"1\",\"port\":53,\"proto\":\"udp\","
	    "\"rec_type\":\"status\",\"data\":{\"status\":\"open\"}}\n";
	struct scan_set s;
	char err[1024];
	scan_set_init(&s);
	CHECK(scan_parse_masscan(&s, "nd.json", nd, strlen(nd), err, sizeof(err)) == 0);
	scan_set_finish(&s);
	CHECK_EQ(s.nsvc, 2);
	CHECK(find(&s, "2001:db8::7", 443) != NULL);
	scan_set_free(&s);
}

static void test_nessus(void)
{
	struct scan_set s;
	char err[1024];
	scan_set_init(&s);
	CHECK(scan_load_nessus(&s, path_of("scan.nessus"), err, sizeof(err)) == 0);
	scan_set_finish(&s);
	CHECK_EQ(s.nsvc, 2); /* 10.0.0.2:443 www, 10.0.0.7:3389 msrdp; port 0 and udp not */
	CHECK(find(&s, "10.0.0.2", 443) && strcmp(find(&s, "10.0.0.2", 443)->name, "www") == 0);
	CHECK(find(&s, "10.0.0.7", 3389) != NULL);
	CHECK_EQ(s.cover[0].nhosts, 2);
	CHECK(strcmp(s.cover[0].ports_from, "port_range") == 0);
	CHECK(covered(&s, "10.0.0.2", 1024) && !covered(&s, "10.0.0.2", 1025));
	CHECK(covered(&s, "10.0.0.7", 22) && !covered(&s, "10.0.0.1", 22));
	scan_set_free(&s);
}

struct bad_scan {
	int kind; /* 1 nmap, 2 masscan, 3 nessus */
	const char *doc;
	int line; /* 0: only the reason is checked */
	const char *reason;
};

static const struct bad_scan bad_scans[] = {
    {1, "<nessus/>", 1, "not an nmap/masscan XML file (root element <nessus>"},
    {1, "<nmaprun>\n<host><status state='up'/></host></nmaprun>", 2,
     "<host> without an IP <address>"},
    {1, "<nmaprun><host><address addr='10.0.0.300' addrtype='ipv4'/></host></nmaprun>", 1,
     "bad address '10.0.0.300'"},
    {1, "<nmaprun><host><address addrtype='ipv4'/></host></nmaprun>", 1, "<address> without addr"},
    {1,
     "<nmaprun><host><address addr='10.0.0.1'/><ports>\n<port protocol='tcp' "
     "portid='70000'/></ports></host></nmaprun>",
     2, "bad portid '70000'"},
    {1,
     "<nmaprun><host><address addr='10.0.0.1'/><ports><port portid='7'/></ports></host>"
     "</nmaprun>",
     1, "<port> without protocol or portid"},
    {1,
     "<nmaprun><host><address addr='10.0.0.1'/><ports><port protocol='tcp' portid='7'>"
     "<state/></port></ports></host></nmaprun>",
     1, "<state> without state"},
    {1, "<nmaprun>\n<scaninfo protocol='tcp' services='1-x'/></nmaprun>", 2,
     "bad port list in scaninfo"},
    {1, "<nmaprun><scaninfo protocol='tcp' services='10-1'/></nmaprun>", 1,
     "bad port list in scaninfo"},
    {1, "<nmaprun><host>", 1, "end of file inside element <host>"},
    {1, "", 1, "no root element"},
    {2, "<nmaprun scanner='nmap'/>", 1, "an nmap XML file given as masscan output"},
    {2, "#masscan\nopen tcp 80 10.0.0.1\n", 2, "expected 'STATUS PROTO PORT ADDRESS TIME', got 4"},
    {2, "#masscan\nopen tcp 80 10.0.0.1 1\nfoo tcp 80 10.0.0.1 1\n", 3, "unknown status 'foo'"},
    {2, "open tcp 65536 10.0.0.1 1\n", 1, "bad port '65536'"},
    {2, "open tcp 80 host.example 1\n", 1, "bad address 'host.example'"},
    {2, "open tcp 80 10.0.0.1 -5\n", 1, "bad timestamp '-5'"},
    {2, "[\n{\"ip\": \"10.0.0.1\", \"ports\": [ {\"port\": 80, }]}\n]", 2, "bad JSON"},
    {2, "[\n{\"ports\": []}\n]", 0, "result 1: result without \"ip\""},
    {2, "[{\"ip\":\"10.0.0.1\",\"ports\":[]},{\"ip\":\"10.0.0.300\",\"ports\":[]}]", 0,
     "result 2: bad address '10.0.0.300'"},
    {2, "[{\"ip\":\"10.0.0.1\",\"ports\":{}}]", 0, "\"ports\" is not an array"},
    {2, "[{\"ip\":\"10.0.0.1\",\"ports\":[{\"port\":\"x\"}]}]", 0,
     "a port without a valid \"port\""},
    {2, "[1]", 0, "expected a JSON object per result"},
    {2, "{\"a\":1}\n{\"ip\":\"10.0.0.1\",\"port\":99999}\n", 1, "result without \"ip\""},
    {2,
     "{\"ip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\"}\n{\"ip\":\"10.0.0.1\",\"port\":99999}\n",
     2, "without \"ports\" or a valid \"port\""},
    {2, "{\"ip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\"}\n{\"ip\":\n", 2, "bad JSON"},
    {3, "<NessusClientData/>", 1, "not a Nessus v2 file (root element <NessusClientData>"},
    {3,
     "<NessusClientData_v2><Report>\n<ReportHost name='srv.example'><HostProperties/>"
     "</ReportHost></Report></NessusClientData_v2>",
     2, "ReportHost 'srv.example' has no host-ip tag"},
    {3,
     "<NessusClientData_v2><Report><ReportHost name='10.0.0.1'>\n<ReportItem port='x' "
     "protocol='tcp'/></ReportHost></Report></NessusClientData_v2>",
     2, "bad ReportItem port 'x'"},
    {3,
     "<NessusClientData_v2><Report><ReportHost name='10.0.0.1'><ReportItem port='1'/>"
     "</ReportHost></Report></NessusClientData_v2>",
     1, "<ReportItem> without port or protocol"},
    {3,
     "<NessusClientData_v2><Policy><Preferences><ServerPreferences><preference>"
     "<name>port_range</name><value>1-x</value>\n</preference></ServerPreferences>"
     "</Preferences></Policy></NessusClientData_v2>",
     2, "bad port_range '1-x'"},
    {3, "<NessusClientData_v2><Report>&bogus;</Report></NessusClientData_v2>", 1, "unknown entity"},
};

static void test_bad_scans(void)
{
	for (size_t i = 0; i < sizeof(bad_scans) / sizeof(bad_scans[0]); i++) {
		const struct bad_scan *b = &bad_scans[i];
		struct scan_set s;
		char err[1024] = "", want[64];
		int rc;
		scan_set_init(&s);
		size_t len = strlen(b->doc);
		if (b->kind == 1)
			rc = scan_parse_nmap(&s, "f", b->doc, len, err, sizeof(err));
		else if (b->kind == 2)
			rc = scan_parse_masscan(&s, "f", b->doc, len, err, sizeof(err));
		else
			rc = scan_parse_nessus(&s, "f", b->doc, len, err, sizeof(err));
		if (b->line)
			snprintf(want, sizeof(want), "f:%d: ", b->line);
		else
			snprintf(want, sizeof(want), "f: ");
		int ok =
		    rc == -1 && strncmp(err, want, strlen(want)) == 0 && strstr(err, b->reason);
		if (!ok)
			fprintf(stderr, "bad scan %zu: rc %d, got '%s', want '%s...%s'\n", i, rc,
			        err, want, b->reason);
		CHECK(ok);
		scan_set_free(&s);
	}
}

static void test_ports(void)
{
	uint8_t bm[8192];
	memset(bm, 0, sizeof(bm));
	CHECK(scan_parse_ports("1-3,80,8000-8001,T:443,U:53,1000", bm) == 0);
	CHECK(bm[0] == 0x0E); /* 1,2,3 */
	CHECK((bm[80 / 8] >> (80 % 8)) & 1);
	CHECK((bm[443 / 8] >> (443 % 8)) & 1);
	CHECK(!((bm[53 / 8] >> (53 % 8)) & 1));
	CHECK((bm[8001 / 8] >> (8001 % 8)) & 1);
	CHECK(!((bm[1000 / 8] >> (1000 % 8)) & 1)); /* after U:, entries are UDP */
	CHECK(scan_parse_ports("", bm) == 0);
	CHECK(scan_parse_ports("65536", bm) == -1);
	CHECK(scan_parse_ports("5-", bm) == -1);
	CHECK(scan_parse_ports("a", bm) == -1);
}

/* --- comparison ----------------------------------------------------- */

static struct cmp_passive pas(const char *addr, unsigned port)
{
	struct cmp_passive p;
	memset(&p, 0, sizeof(p));
	scan_addr_parse(addr, &p.addr);
	p.port = (uint16_t)port;
	p.first_seen = 1547100000;
	p.last_seen = 1547200000;
	p.packets = 1;
	return p;
}

static enum cmp_status status_of(const struct cmp_result *r, const char *addr, unsigned port)
{
	struct scan_addr a;
	scan_addr_parse(addr, &a);
	for (size_t i = 0; i < r->nrows; i++)
		if (scan_addr_cmp(&r->rows[i].addr, &a) == 0 && r->rows[i].port == port)
			return r->rows[i].status;
	return CMP_NSTATUS;
}

static void test_compare(void)
{
	struct scan_set s;
	char err[1024];
	scan_set_init(&s);
	CHECK(scan_load_nmap(&s, path_of("scan.xml"), err, sizeof(err)) == 0);
	scan_set_finish(&s);
	/* the passive side of data/records.txt, with a duplicate */
	struct cmp_passive p[] = {
	    pas("10.0.0.2", 8443),  pas("10.0.0.1", 22), pas("10.0.0.1", 80),
	    pas("10.0.0.2", 443),   pas("10.0.0.3", 25), pas("10.0.0.4", 21),
	    pas("2001:db8::5", 80), pas("10.0.0.1", 80),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	cmp_sort_passive(p, &n);
	CHECK_EQ(n, 7);
	struct cmp_result r;
	CHECK(cmp_run(p, n, &s, &r) == 0);
	CHECK(status_of(&r, "10.0.0.1", 22) == CMP_BOTH);
	CHECK(status_of(&r, "10.0.0.1", 80) == CMP_BOTH);
	CHECK(status_of(&r, "10.0.0.2", 443) == CMP_PASSIVE_ONLY); /* filtered to nmap */
	CHECK(status_of(&r, "10.0.0.2", 8443) == CMP_NOT_SCANNED); /* port outside 1-1000 */
	CHECK(status_of(&r, "10.0.0.3", 25) == CMP_NOT_SCANNED);   /* host not scanned */
	CHECK(status_of(&r, "10.0.0.4", 21) == CMP_PASSIVE_ONLY);  /* open|filtered */
	CHECK(status_of(&r, "10.0.0.4", 110) == CMP_ACTIVE_ONLY);
	CHECK(status_of(&r, "2001:db8::5", 80) == CMP_BOTH);
	CHECK_EQ(r.services.passive, 7);
	CHECK_EQ(r.services.active, 4);
	CHECK_EQ(r.services.n[CMP_BOTH], 3);
	CHECK_EQ(r.services.n[CMP_PASSIVE_ONLY], 2);
	CHECK_EQ(r.services.n[CMP_NOT_SCANNED], 2);
	CHECK_EQ(r.services.n[CMP_ACTIVE_ONLY], 1);
	/* hosts: .1 both, .2 passive_only, .3 not_scanned, .4 both (21 vs 110), ::5 both */
	CHECK_EQ(r.nhosts, 5);
	CHECK_EQ(r.host_counts.passive, 5);
	CHECK_EQ(r.host_counts.active, 3);
	CHECK_EQ(r.host_counts.n[CMP_BOTH], 3);
	CHECK_EQ(r.host_counts.n[CMP_PASSIVE_ONLY], 1);
	CHECK_EQ(r.host_counts.n[CMP_NOT_SCANNED], 1);
	/* ports: 21 25 443 passive_only (probed), 8443 not_scanned, 22 80 both, 110 active */
	CHECK_EQ(r.nports, 7);
	CHECK_EQ(r.port_counts.n[CMP_BOTH], 2);
	CHECK_EQ(r.port_counts.n[CMP_PASSIVE_ONLY], 3);
	CHECK_EQ(r.port_counts.n[CMP_NOT_SCANNED], 1);
	CHECK_EQ(r.port_counts.n[CMP_ACTIVE_ONLY], 1);
	for (size_t i = 0; i < r.nports; i++)
		if (r.ports[i].port == 80)
			CHECK(r.ports[i].passive == 2 && r.ports[i].active == 2 &&
			      r.ports[i].both == 2);
	cmp_free(&r);

	/* no passive data at all, and no scans at all */
	CHECK(cmp_run(p, 0, &s, &r) == 0);
	CHECK_EQ(r.services.n[CMP_ACTIVE_ONLY], 4);
	cmp_free(&r);
	scan_set_free(&s);
	scan_set_init(&s);
	CHECK(cmp_run(p, n, &s, &r) == 0);
	CHECK_EQ(r.services.n[CMP_NOT_SCANNED], 7);
	cmp_free(&r);
	scan_set_free(&s);
}

/* Damaged copies of every sample file (random bytes, cuts): each parse
 * succeeds or fails with "NAME:" first; run under ASan this is a small fuzz. */
static void test_damage(void)
{
	const char *files[] = {"scan.xml", "scan.nessus", "masscan.txt", "masscan.json",
	                       "masscan.xml"};
	const char junk[] = "<>&;\"'/![]-?x0 \n\0";
	unsigned seed = 12345;
	int failures = 0, runs = 0;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char err[1024];
		size_t len;
		char *orig = xml_read_file(path_of(files[f]), 1 << 20, &len, err, sizeof(err));
		CHECK(orig != NULL);
		if (!orig)
			continue;
		char *buf = malloc(len + 1);
		for (int i = 0; i < 3000; i++) {
			memcpy(buf, orig, len);
			size_t n = len;
			int edits = 1 + (int)(rand_r(&seed) % 4);
			for (int e = 0; e < edits; e++) {
				size_t at = (size_t)rand_r(&seed) % len;
				if (rand_r(&seed) % 3 == 0)
					buf[at] = (char)rand_r(&seed);
				else
					buf[at] = junk[(size_t)rand_r(&seed) % (sizeof(junk) - 1)];
			}
			if (rand_r(&seed) % 4 == 0)
				n = (size_t)rand_r(&seed) % len;
			/* exact size, no terminator: the parsers must stay inside */
			char *exact = malloc(n ? n : 1);
			memcpy(exact, buf, n);
			struct scan_set s;
			scan_set_init(&s);
			int rc;
			if (strstr(files[f], "nessus"))
				rc = scan_parse_nessus(&s, "dmg", exact, n, err, sizeof(err));
			else if (strstr(files[f], "masscan"))
				rc = scan_parse_masscan(&s, "dmg", exact, n, err, sizeof(err));
			else
				rc = scan_parse_nmap(&s, "dmg", exact, n, err, sizeof(err));
			if (rc != 0 && strncmp(err, "dmg", 3) != 0) {
				failures++;
				fprintf(stderr, "damaged %s: error without the file name: %s\n",
				        files[f], err);
			}
			if (rc == 0)
				scan_set_finish(&s);
			scan_set_free(&s);
			free(exact);
			runs++;
		}
		free(buf);
		free(orig);
	}
	CHECK_EQ(failures, 0);
	CHECK_EQ(runs, 15000);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		data_dir = argv[1];
	test_xml_events();
	test_xml_errors();
	test_ports();
	test_nmap();
	test_masscan();
	test_nessus();
	test_bad_scans();
	test_compare();
	test_damage();
	return check_done("test_importers");
}
