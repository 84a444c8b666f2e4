/*
 * test_ftp_filter.c - FTP data exclusion rules (doc/ftp.md) on sessions
 * generated here: active and passive, inbound and outbound, timeout edges,
 * the service-port list, port-20 scans, IPv6, the table bound.
 *
 * Direction: the sensor records only SYN+ACKs sent by internal hosts.
 *  - inbound session (external client, internal server): the server answers
 *    the control connection from 21; in passive mode it also answers the
 *    data connections from a high port (PASSIVE); in active mode the server
 *    opens the data connection itself from port 20, so the SYN+ACK comes
 *    from the external client and is never recorded.
 *  - outbound session (internal client, external server): in active mode the
 *    external server connects from port 20 to the client's high port, so the
 *    internal client sends a SYN+ACK from a high port to port 20 (ACTIVE);
 *    in passive mode all SYN+ACKs come from the external server.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ftp/ftp_filter.h"

#define S 1000000000ull

static struct synack_record rec4(const char *in, uint16_t sport, const char *ex, uint16_t dport,
                                 uint64_t t)
{
	struct synack_record r;
	memset(&r, 0, sizeof(r));
	r.family = SYNACK_FAMILY_IPV4;
	inet_pton(AF_INET, in, r.saddr);
	inet_pton(AF_INET, ex, r.daddr);
	r.sport = sport;
	r.dport = dport;
	r.flags = 0x12;
	r.time_ns = t;
	r.ftp = 0xee; /* must be overwritten */
	return r;
}

static struct synack_record rec6(const char *in, uint16_t sport, const char *ex, uint16_t dport,
                                 uint64_t t)
{
	struct synack_record r;
	memset(&r, 0, sizeof(r));
	r.family = SYNACK_FAMILY_IPV6;
	inet_pton(AF_INET6, in, r.saddr);
	inet_pton(AF_INET6, ex, r.daddr);
	r.sport = sport;
	r.dport = dport;
	r.flags = 0x12;
	r.time_ns = t;
	return r;
}

static int mark(struct ftp_filter *f, struct synack_record r)
{
	int m = ftp_filter_mark(f, &r);
	CHECK(m == r.ftp);
	return m;
}

static void test_active(void)
{
	struct ftp_filter *f = ftp_filter_new(NULL);
	uint64_t t = 1700000000 * S;
	/* outbound active session: internal client 10.0.0.5 -> external server */
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 20, t)), SYNACK_FTP_ACTIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 1024, "192.0.2.9", 20, t)), SYNACK_FTP_ACTIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 65535, "192.0.2.9", 20, t)), SYNACK_FTP_ACTIVE);
	/* port-20 scan from low ports: never excluded */
	CHECK_EQ(mark(f, rec4("10.0.0.5", 80, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 1023, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 22, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	/* service ports from the default list: a scan from source port 20 */
	static const uint16_t svc[] = {1433, 1521, 2049, 3306, 3389, 5432, 5900, 5985, 5986,
	                               6379, 8000, 8080, 8443, 8888, 9000, 9200, 27017};
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		CHECK_EQ(mark(f, rec4("10.0.0.5", svc[i], "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	/* other external ports are not active FTP */
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 21, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 2020, t)), SYNACK_FTP_NONE);
	/* IPv6 */
	CHECK_EQ(mark(f, rec6("2001:db8:1::5", 50001, "2001:db8:ff::9", 20, t)), SYNACK_FTP_ACTIVE);
	CHECK_EQ(mark(f, rec6("2001:db8:1::5", 3389, "2001:db8:ff::9", 20, t)), SYNACK_FTP_NONE);
	CHECK_EQ(ftp_filter_sessions(f), 0);
	ftp_filter_free(f);
}

static void test_configured_ports(void)
{
	struct ftp_options o;
	char err[256];
	ftp_options_default(&o);
	CHECK(ftp_options_parse_ports(&o, "5000, 40001\n 50000", err, sizeof(err)) == 0);
	CHECK_EQ(o.n_service_ports, 3);
	struct ftp_filter *f = ftp_filter_new(&o);
	uint64_t t = 1700000000 * S;
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 50000, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	/* 3389 is no longer in the (replaced) list */
	CHECK_EQ(mark(f, rec4("10.0.0.5", 3389, "192.0.2.9", 20, t)), SYNACK_FTP_ACTIVE);
	ftp_filter_free(f);
	ftp_options_free_ports(&o);

	ftp_options_default(&o);
	CHECK(ftp_options_parse_ports(&o, "80, x", err, sizeof(err)) == -1);
	CHECK(strstr(err, "'x'") != NULL);
	CHECK(ftp_options_parse_ports(&o, "70000", err, sizeof(err)) == -1);
	CHECK(ftp_options_parse_ports(&o, "12a", err, sizeof(err)) == -1);
	CHECK(ftp_options_parse_ports(&o, "", err, sizeof(err)) == 0);
	CHECK_EQ(o.n_service_ports, 0);
	ftp_options_free_ports(&o);

	/* disabled: nothing is marked */
	ftp_options_default(&o);
	o.enabled = false;
	f = ftp_filter_new(&o);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 20, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 21, "192.0.2.9", 5000, t)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 40001, "192.0.2.9", 5001, t)), SYNACK_FTP_NONE);
	ftp_filter_free(f);
}

static void test_passive(void)
{
	struct ftp_filter *f = ftp_filter_new(NULL);
	uint64_t t0 = 1700000000 * S, to = 600 * S;
	/* before any control connection: an ordinary service */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50001, "198.51.100.3", 40000, t0 - S)), SYNACK_FTP_NONE);
	/* inbound passive session: control SYN+ACK from 21 */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 21, "198.51.100.3", 40000, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(ftp_filter_sessions(f), 1);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50001, "198.51.100.3", 40001, t0 + S)),
	         SYNACK_FTP_PASSIVE);
	/* a listed service port is still passive data when negotiated (list is active-only) */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 8080, "198.51.100.3", 40002, t0 + 2 * S)),
	         SYNACK_FTP_PASSIVE);
	/* low ports are never data */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 443, "198.51.100.3", 40003, t0 + 3 * S)),
	         SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 1023, "198.51.100.3", 40003, t0 + 3 * S)),
	         SYNACK_FTP_NONE);
	/* another external host, another internal host: not data */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50002, "198.51.100.4", 40004, t0 + S)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.8", 50002, "198.51.100.3", 40004, t0 + S)), SYNACK_FTP_NONE);
	/* timeout edges: exactly at last + timeout is data, one ns later is not */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50003, "198.51.100.3", 40005, t0 + to)),
	         SYNACK_FTP_PASSIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50003, "198.51.100.3", 40005, t0 + to + 1)),
	         SYNACK_FTP_NONE);
	/* a later control SYN+ACK (a new session or a reconnect) refreshes the pair */
	CHECK_EQ(mark(f, rec4("10.0.0.7", 21, "198.51.100.3", 40010, t0 + 900 * S)),
	         SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50004, "198.51.100.3", 40011, t0 + 900 * S + to)),
	         SYNACK_FTP_PASSIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50004, "198.51.100.3", 40011, t0 + 900 * S + to + S)),
	         SYNACK_FTP_NONE);
	/* FTPS (990) */
	CHECK_EQ(mark(f, rec4("10.0.0.9", 990, "198.51.100.5", 40000, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.9", 60000, "198.51.100.5", 40001, t0 + 10 * S)),
	         SYNACK_FTP_PASSIVE);
	/* active rule wins for port 20 even inside a passive window */
	CHECK_EQ(mark(f, rec4("10.0.0.9", 60001, "198.51.100.5", 20, t0 + 11 * S)),
	         SYNACK_FTP_ACTIVE);
	/* outbound passive session: the SYN+ACKs come from the external server and
	 * are never recorded; the internal client's own SYN+ACKs (none) stay clean.
	 * A control SYN+ACK from an *external* port 21 would not be a record. */

	/* IPv6 passive */
	CHECK_EQ(mark(f, rec6("2001:db8:1::21", 21, "2001:db8:ff::1", 50000, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec6("2001:db8:1::21", 30000, "2001:db8:ff::1", 50001, t0 + S)),
	         SYNACK_FTP_PASSIVE);
	CHECK_EQ(mark(f, rec6("2001:db8:1::21", 30000, "2001:db8:ff::2", 50001, t0 + S)),
	         SYNACK_FTP_NONE);
	/* an IPv4 pair with the same leading bytes as an IPv6 one does not match */
	struct synack_record r = rec6("2001:db8:1::21", 30000, "2001:db8:ff::1", 1, t0 + S);
	r.family = SYNACK_FAMILY_IPV4;
	CHECK_EQ(mark(f, r), SYNACK_FTP_NONE);
	/* custom timeout */
	ftp_filter_free(f);
	struct ftp_options o;
	ftp_options_default(&o);
	o.passive_timeout_ns = 5 * S;
	f = ftp_filter_new(&o);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 21, "198.51.100.3", 40000, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50001, "198.51.100.3", 40001, t0 + 5 * S)),
	         SYNACK_FTP_PASSIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.7", 50001, "198.51.100.3", 40001, t0 + 6 * S)),
	         SYNACK_FTP_NONE);
	ftp_filter_free(f);
}

static void test_bound(void)
{
	struct ftp_options o;
	ftp_options_default(&o);
	o.max_sessions = 100;
	struct ftp_filter *f = ftp_filter_new(&o);
	uint64_t t0 = 1700000000 * S;
	char ex[32];
	/* 5000 control pairs; only the 100 most recent stay */
	for (int i = 0; i < 5000; i++) {
		snprintf(ex, sizeof(ex), "203.0.%d.%d", i / 250, i % 250 + 1);
		CHECK_EQ(mark(f, rec4("10.1.0.1", 21, ex, 40000, t0 + (uint64_t)i * 1000)),
		         SYNACK_FTP_NONE);
		CHECK(ftp_filter_sessions(f) <= 100);
	}
	CHECK_EQ(ftp_filter_sessions(f), 100);
	int passive = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(ex, sizeof(ex), "203.0.%d.%d", i / 250, i % 250 + 1);
		struct synack_record r = rec4("10.1.0.1", 50000, ex, 40001, t0 + 10 * S);
		int m = ftp_filter_mark(f, &r);
		if (i >= 4900)
			CHECK_EQ(m, SYNACK_FTP_PASSIVE);
		passive += m == SYNACK_FTP_PASSIVE;
	}
	CHECK_EQ(passive, 100);
	/* refreshing an old pair keeps it: refresh #4900, add one more, #4901 goes */
	CHECK_EQ(mark(f, rec4("10.1.0.1", 21, "203.0.19.151", 1, t0 + 20 * S)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 21, "203.0.99.1", 1, t0 + 21 * S)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 5000, "203.0.19.151", 1, t0 + 22 * S)),
	         SYNACK_FTP_PASSIVE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 5000, "203.0.19.152", 1, t0 + 22 * S)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 5000, "203.0.99.1", 1, t0 + 22 * S)), SYNACK_FTP_PASSIVE);
	CHECK_EQ(ftp_filter_sessions(f), 100);
	ftp_filter_free(f);

	/* a bound of 1 */
	o.max_sessions = 1;
	f = ftp_filter_new(&o);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 21, "203.0.0.1", 1, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 21, "203.0.0.2", 1, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 5000, "203.0.0.1", 1, t0)), SYNACK_FTP_NONE);
	CHECK_EQ(mark(f, rec4("10.1.0.1", 5000, "203.0.0.2", 1, t0)), SYNACK_FTP_PASSIVE);
	ftp_filter_free(f);
}

/* A generated mix compared with a brute-force reference of the rules. */
static void test_random_against_reference(void)
{
	enum { N = 20000, HOSTS = 4, PEERS = 8 };
	struct ftp_filter *f = ftp_filter_new(NULL);
	uint64_t last_ctl[HOSTS][PEERS];
	uint16_t ports[] = {20, 21, 990, 22, 80, 1023, 1024, 3389, 8080, 40000, 50000};
	memset(last_ctl, 0, sizeof(last_ctl));
	srand(7);
	uint64_t t = 1700000000 * S;
	for (int i = 0; i < N; i++) {
		t += (uint64_t)(rand() % 120) * S;
		int h = rand() % HOSTS, p = rand() % PEERS;
		uint16_t sp = ports[rand() % 11], dp = ports[rand() % 11];
		char in[32], ex[32];
		snprintf(in, sizeof(in), "10.0.0.%d", h + 1);
		snprintf(ex, sizeof(ex), "192.0.2.%d", p + 1);
		struct synack_record r = rec4(in, sp, ex, dp, t);
		int want = SYNACK_FTP_NONE;
		if (sp == 21 || sp == 990)
			last_ctl[h][p] = t;
		else if (sp >= 1024 && dp == 20 && sp != 3389 && sp != 8080 && sp != 50000)
			want = SYNACK_FTP_ACTIVE;
		else if (sp >= 1024 && last_ctl[h][p] && t - last_ctl[h][p] <= 600 * S)
			want = SYNACK_FTP_PASSIVE;
		CHECK_EQ(ftp_filter_mark(f, &r), want);
	}
	ftp_filter_free(f);
}

/* A running filter takes new rules (reload) and keeps its sessions. */
static void test_configure(void)
{
	struct ftp_options o;
	char err[256];
	uint64_t t = 1700000000 * S;
	ftp_options_default(&o);
	struct ftp_filter *f = ftp_filter_new(&o);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 44444, "192.0.2.9", 20, t)), SYNACK_FTP_ACTIVE);
	CHECK_EQ(mark(f, rec4("10.0.0.6", 21, "192.0.2.7", 5000, t)), SYNACK_FTP_NONE);

	CHECK(ftp_options_parse_ports(&o, "44444", err, sizeof(err)) == 0);
	ftp_filter_configure(f, &o);
	ftp_options_free_ports(&o);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 44444, "192.0.2.9", 20, t + S)), SYNACK_FTP_NONE);
	/* the list was replaced: 3389 is data now */
	CHECK_EQ(mark(f, rec4("10.0.0.5", 3389, "192.0.2.9", 20, t + S)), SYNACK_FTP_ACTIVE);
	/* the passive session opened before the change is still known */
	CHECK_EQ(mark(f, rec4("10.0.0.6", 40000, "192.0.2.7", 5001, t + 2 * S)),
	         SYNACK_FTP_PASSIVE);

	ftp_options_default(&o);
	o.enabled = false;
	ftp_filter_configure(f, &o);
	CHECK_EQ(mark(f, rec4("10.0.0.5", 3389, "192.0.2.9", 20, t + 3 * S)), SYNACK_FTP_NONE);
	ftp_filter_free(f);
}

int main(void)
{
	test_configure();
	test_active();
	test_configured_ports();
	test_passive();
	test_bound();
	test_random_against_reference();
	return check_done("test_ftp_filter");
}
