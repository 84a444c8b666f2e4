/*
 * gencap.c - synack-gencap: writes a synthetic capture with a known mix of
 * SYN+ACKs and background traffic, and an answers file with the numbers a
 * correct classifier must produce on it.  The answers are derived from what
 * the generator generated (its own prefix matching and flag rules), never by
 * running the classifier.  See --help and doc/capture-files.md.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "frame_builder.h"

static const char usage[] =
    "usage: synack-gencap -o CAPTURE [options]\n"
    "\n"
    "Writes a synthetic capture with a known mix of TCP SYN+ACKs and background\n"
    "traffic, and an answers file (key=value lines) with the counts a correct\n"
    "classifier must give on it.\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE        capture to write ('-' = stdout)\n"
    "  -a, --answers FILE       answers file (default: CAPTURE with its .pcap/.pcapng\n"
    "                           extension replaced by .answers; none for stdout)\n"
    "      --format F           pcap (µs, default) | pcap-ns | pcapng\n"
    "      --linktype T         ethernet (default) | raw | sll | sll2 | null | loop |\n"
    "                           ipv4 | ipv6 (or the LINKTYPE number).  Non-Ethernet\n"
    "                           types carry no VLAN tags and no ARP.\n"
    "      --snaplen N          cut frames to N bytes (34..262144, default 65535);\n"
    "                           frames cut inside the IP or TCP base header count\n"
    "                           as malformed in the answers\n"
    "      --frame-size N       make every frame N bytes long where possible (payload\n"
    "                           or padding; IPv6 frames need at least 74+ bytes)\n"
    "Amount and time:\n"
    "      --seed N             random seed (default 1); same seed, same output\n"
    "      --synacks N          number of SYN+ACK events (default 1000)\n"
    "      --frames N           stop after exactly N frames instead\n"
    "      --background R       background frames per SYN+ACK event, on average\n"
    "                           (default 10; 30 gives ~3% internal->external matches)\n"
    "      --start TIME         start of the time span, UTC: 2025-01-06T00:00:00Z, '2025-01-06\n"
    "                           00:00:00' or seconds since the epoch (default\n"
    "                           2025-01-06T00:00:00Z)\n"
    "      --duration D         time span: N[s|m|h|d] (default 1h); arrivals are\n"
    "                           Poisson-like, timestamps never decrease, the last\n"
    "                           frame falls at the end of the span\n"
    "      --diurnal A          day/night cycle: arrival rate 1 + A cos(2 pi (hour -\n"
    "                           14:00 UTC) / 24 h), 0 <= A < 1 (default 0: flat)\n"
    "Network:\n"
    "      --internal PREFIXES  internal networks, hosts are drawn from them\n"
    "                           (default '198.18.0.0/16, 2001:db8:1::/48')\n"
    "      --external PREFIXES  where peers come from (default '198.19.0.0/16,\n"
    "                           2001:db8:2::/48'); must lie outside --internal\n"
    "      --exclude PREFIXES   excluded internal networks (honeypots); ~10% of the\n"
    "                           hosts are drawn from them (default: none)\n"
    "      --hosts N            internal hosts (default 40)\n"
    "      --peers N            external peers (default 300)\n"
    "      --ipv6-share F       share of hosts and peers that are IPv6 (default 0.2)\n"
    "      --vlan-share F       share of internal hosts behind 802.1Q tags, a fifth of\n"
    "                           them QinQ (802.1ad + 802.1Q) (default 0.1)\n"
    "      --ecn-share F        share of SYN+ACKs with ECE (0x052) (default 0.05)\n"
    "      --odd-share F        share with other flags: AccECN 0x092/0x0d2/0x112,\n"
    "                           PSH 0x01a, and non-SYN+ACKs 0x013/0x016 (default 0.03)\n"
    "      --ftp-sessions N     FTP sessions, alternately active (internal client answers\n"
    "                           data connections from external port 20 on its port\n"
    "                           >= 1024) and passive (internal server answers its port 21,\n"
    "                           then data ports >= 1024 from the same client) (default 0)\n"
    "      --scan[=N]           a port-20-sourced SYN scan of N probes (default 200) from\n"
    "                           an external host to internal ports < 1024; open ports answer\n"
    "                           SYN+ACK to port 20 (not FTP data), closed ones RST\n"
    "  -h, --help               this text\n"
    "\n"
    "Background (non-matching) frames: handshake SYN and ACK, data, FIN, RST, UDP\n"
    "(DNS, NTP), ICMP, ARP, IPv4 non-first fragments, reverse SYN+ACKs (external\n"
    "server to internal client), internal-to-internal SYN+ACKs.\n"
    "\n"
    "Answers file: key=value lines.  Rules: default = (flags & 0x17) == 0x12,\n"
    "strict = TCP byte 13 == 0x12.  Peers: external = destination outside\n"
    "--internal, any = no destination condition.\n"
    "  frames, first_time_ns, last_time_ns, and the options used\n"
    "  synack.RULE[.ipv4|.ipv6|.vlan]     SYN+ACKs by rule, any addresses\n"
    "  synack.default.flags.0xNNN         SYN+ACKs (default rule) per flag value\n"
    "  RULE.PEERS.RESULT                  per classifier result: not_ip, not_tcp,\n"
    "                                     malformed, not_synack, wrong_direction,\n"
    "                                     excluded, match\n"
    "  RULE.PEERS.match.ipv4|ipv6|vlan    matches by family / VLAN-tagged\n"
    "  RULE.PEERS.match.flags.0xNNN       matches per flag value\n"
    "  ftp.sessions.active|passive, ftp.control (port-21 SYN+ACKs of internal\n"
    "  servers), ftp.active, ftp.passive (data-connection SYN+ACKs), scan.synacks\n"
    "  services, services.non_ftp         distinct (internal addr, port) among\n"
    "                                     default.external matches\n"
    "  service=ADDR PORT PACKETS PEERS KIND   one line per service (KIND: service,\n"
    "                                     ftp-active, ftp-passive, mixed)\n";

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static bool chance(double p)
{
	return rnd_unit() < p;
}

/* ------------------------------------------------------------ prefixes */

struct pfx {
	int family;
	uint8_t a[16];
	int len;
};

struct pfxlist {
	struct pfx *v;
	int n;
};

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("synack-gencap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void parse_pfx(const char *text, struct pfxlist *out)
{
	char *s = strdup(text);
	char *save = NULL;
	for (char *tok = strtok_r(s, ", \t\n", &save); tok; tok = strtok_r(NULL, ", \t\n", &save)) {
		struct pfx p = {0};
		char *slash = strchr(tok, '/');
		if (slash)
			*slash = 0;
		if (inet_pton(AF_INET, tok, p.a) == 1) {
			p.family = 4;
			p.len = 32;
		} else if (inet_pton(AF_INET6, tok, p.a) == 1) {
			p.family = 6;
			p.len = 128;
		} else
			die("bad address '%s'", tok);
		if (slash) {
			char *end;
			long l = strtol(slash + 1, &end, 10);
			if (*end || l < 0 || l > p.len)
				die("bad prefix length '%s'", slash + 1);
			p.len = (int)l;
		}
		out->v = realloc(out->v, (size_t)(out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = p;
	}
	free(s);
}

static bool pfx_match(const struct pfx *p, int family, const uint8_t *a)
{
	if (p->family != family)
		return false;
	int full = p->len / 8, rem = p->len % 8;
	if (memcmp(p->a, a, (size_t)full) != 0)
		return false;
	if (rem) {
		uint8_t m = (uint8_t)(0xff << (8 - rem));
		if ((p->a[full] & m) != (a[full] & m))
			return false;
	}
	return true;
}

static bool in_list(const struct pfxlist *l, int family, const uint8_t *a)
{
	for (int i = 0; i < l->n; i++)
		if (pfx_match(&l->v[i], family, a))
			return true;
	return false;
}

static bool list_has_family(const struct pfxlist *l, int family)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].family == family)
			return true;
	return false;
}

/* Random address inside a random prefix of the family; avoids all-zero and
 * all-ones host parts for IPv4. */
static bool rnd_addr(const struct pfxlist *l, int family, uint8_t out[16])
{
	int idx[256], n = 0;
	for (int i = 0; i < l->n && n < 256; i++)
		if (l->v[i].family == family)
			idx[n++] = i;
	if (!n)
		return false;
	const struct pfx *p = &l->v[idx[rnd_below((uint32_t)n)]];
	int bytes = family == 4 ? 4 : 16;
	memset(out, 0, 16);
	for (int tries = 0; tries < 64; tries++) {
		for (int b = 0; b < bytes; b++) {
			int bit0 = b * 8;
			uint8_t r = (uint8_t)rnd();
			if (bit0 + 8 <= p->len)
				out[b] = p->a[b];
			else if (bit0 >= p->len)
				out[b] = r;
			else {
				uint8_t m = (uint8_t)(0xff << (8 - (p->len - bit0)));
				out[b] = (uint8_t)((p->a[b] & m) | (r & ~m));
			}
		}
		if (family == 6 && p->len <= 64) {
			/* keep interface ids small and readable */
			memset(out + 8, 0, 6);
		}
		if (family == 4 && p->len < 31) {
			uint8_t last = out[3];
			if (last == 0 || last == 255)
				continue;
		}
		if (family == 6 && p->len < 127 && out[15] == 0 && out[14] == 0)
			continue;
		return true;
	}
	return true;
}

/* ------------------------------------------------------------ model */

struct host {
	int family;
	uint8_t addr[16];
	int vlan_count;
	uint16_t vlan_id[2];
	uint16_t ports[6];
	int nports;
	bool excluded;
};

static const struct {
	uint16_t port;
	int weight;
} port_mix[] = {
    {443, 30}, {80, 20}, {22, 10}, {25, 6},   {53, 6},   {587, 4},  {110, 3},
    {143, 3},  {993, 3}, {995, 2}, {3389, 4}, {3306, 2}, {5432, 2}, {8080, 3},
    {445, 2},  {465, 2}, {389, 1}, {636, 1},  {8443, 2}, {5060, 1}, {1194, 1},
};

static uint16_t rnd_service_port(void)
{
	int total = 0;
	for (size_t i = 0; i < sizeof(port_mix) / sizeof(port_mix[0]); i++)
		total += port_mix[i].weight;
	int r = (int)rnd_below((uint32_t)total);
	for (size_t i = 0; i < sizeof(port_mix) / sizeof(port_mix[0]); i++) {
		if (r < port_mix[i].weight)
			return port_mix[i].port;
		r -= port_mix[i].weight;
	}
	return 443;
}

static uint16_t ephemeral(void)
{
	return (uint16_t)(32768 + rnd_below(28232));
}

/* ------------------------------------------------------------ options */

static struct {
	const char *output, *answers;
	enum fb_format format;
	int linktype;
	uint32_t snaplen;
	size_t frame_size;
	uint64_t seed;
	uint64_t synacks, frames;
	double background;
	uint64_t start_ns, duration_ns;
	const char *internal_text, *external_text, *exclude_text;
	int hosts, peers;
	double ipv6_share, vlan_share, ecn_share, odd_share, diurnal;
	int ftp_sessions;
	int scan;
	const char *start_text, *duration_text, *format_text;
} opt = {
    .format = FB_PCAP_US,
    .linktype = 1,
    .snaplen = 65535,
    .seed = 1,
    .synacks = 1000,
    .background = 10,
    .internal_text = "198.18.0.0/16, 2001:db8:1::/48",
    .external_text = "198.19.0.0/16, 2001:db8:2::/48",
    .exclude_text = "",
    .hosts = 40,
    .peers = 300,
    .ipv6_share = 0.2,
    .vlan_share = 0.1,
    .ecn_share = 0.05,
    .odd_share = 0.03,
    .start_text = "2025-01-06T00:00:00Z",
    .duration_text = "1h",
    .format_text = "pcap",
};

static struct pfxlist internal, external, excluded;
static struct host *hosts;
static int nhosts;
static struct host *peers;
static int npeers;

/* ------------------------------------------------------------ counters */

enum res { R_NOT_IP, R_NOT_TCP, R_MALFORMED, R_NOT_SYNACK, R_WRONG_DIR, R_EXCLUDED, R_MATCH, R_N };
static const char *res_name[R_N] = {"not_ip",          "not_tcp",  "malformed", "not_synack",
                                    "wrong_direction", "excluded", "match"};

enum ftpmark { M_NONE, M_FTP_CONTROL, M_FTP_ACTIVE, M_FTP_PASSIVE, M_SCAN };

struct counts {
	uint64_t res[R_N];
	uint64_t match_v4, match_v6, match_vlan;
	uint64_t match_flags[4096];
};

static struct counts cnt[2][2]; /* [strict][peers_any] */
static uint64_t synack_rule[2], synack_v4, synack_v6, synack_vlan, synack_strict_v4,
    synack_strict_v6, synack_strict_vlan;
static uint64_t synack_flags[4096];
static uint64_t frames_written, first_ns, last_ns;
static uint64_t ftp_control, ftp_active, ftp_passive, scan_synacks, ftp_sess_active,
    ftp_sess_passive;

/* services: open-addressing hash of (family, addr, port) */
struct service {
	bool used;
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint64_t packets, peers, ftp_packets_active, ftp_packets_passive;
};
static struct service *svc;
static size_t svc_cap, svc_n;

struct peerkey {
	bool used;
	uint32_t svc;
	uint8_t addr[16];
};
static struct peerkey *pk;
static size_t pk_cap, pk_n;

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static size_t svc_find(uint8_t family, const uint8_t *addr, uint16_t port)
{
	if (svc_n * 2 >= svc_cap) {
		size_t ncap = svc_cap ? svc_cap * 2 : 1024;
		struct service *n = calloc(ncap, sizeof(*n));
		for (size_t i = 0; i < svc_cap; i++) {
			if (!svc[i].used)
				continue;
			uint64_t h =
			    hash_bytes(svc[i].addr, 16, 0xcbf29ce484222325ull ^ svc[i].port);
			size_t j = h & (ncap - 1);
			while (n[j].used)
				j = (j + 1) & (ncap - 1);
			n[j] = svc[i];
		}
		free(svc);
		svc = n;
		svc_cap = ncap;
	}
	uint64_t h = hash_bytes(addr, 16, 0xcbf29ce484222325ull ^ port);
	size_t j = h & (svc_cap - 1);
	while (svc[j].used) {
		if (svc[j].port == port && svc[j].family == family &&
		    !memcmp(svc[j].addr, addr, 16))
			return j;
		j = (j + 1) & (svc_cap - 1);
	}
	svc[j].used = true;
	svc[j].family = family;
	memcpy(svc[j].addr, addr, 16);
	svc[j].port = port;
	svc_n++;
	return j;
}

/* Distinct peers per service: keyed by the service's identity (addr, port),
 * not its slot, so growing the service table does not disturb it. */
static bool peer_new(const uint8_t *saddr, uint16_t sport, const uint8_t *peer)
{
	if (pk_n * 2 >= pk_cap) {
		size_t ncap = pk_cap ? pk_cap * 2 : 4096;
		struct peerkey *n = calloc(ncap, sizeof(*n));
		for (size_t i = 0; i < pk_cap; i++) {
			if (!pk[i].used)
				continue;
			uint64_t h = hash_bytes(pk[i].addr, 16, 0xcbf29ce484222325ull ^ pk[i].svc);
			size_t j = h & (ncap - 1);
			while (n[j].used)
				j = (j + 1) & (ncap - 1);
			n[j] = pk[i];
		}
		free(pk);
		pk = n;
		pk_cap = ncap;
	}
	/* key: 32-bit hash of the service identity + peer address; a
	 * collision would need equal hash and equal peer: make the hash of
	 * the service identity part of the peer key (xor into addr copy). */
	uint8_t key[16];
	uint64_t hs = hash_bytes(saddr, 16, 0xcbf29ce484222325ull ^ sport);
	memcpy(key, peer, 16);
	uint32_t sid = (uint32_t)(hs ^ (hs >> 32));
	uint64_t h = hash_bytes(key, 16, 0xcbf29ce484222325ull ^ sid);
	size_t j = h & (pk_cap - 1);
	while (pk[j].used) {
		if (pk[j].svc == sid && !memcmp(pk[j].addr, key, 16))
			return false;
		j = (j + 1) & (pk_cap - 1);
	}
	pk[j].used = true;
	pk[j].svc = sid;
	memcpy(pk[j].addr, key, 16);
	pk_n++;
	return true;
}

/* ------------------------------------------------------------ emitting */

static struct fb_writer *writer;
static uint64_t now_ns, end_ns;
static double gap_sum;
static bool counting_pass;
static int g_argc;
static char **g_argv;

struct frame {
	int kind; /* 0 IP, 1 ARP */
	struct fb_packet p;
	const struct host *vlan_host; /* VLAN tags from this host (NULL: none) */
	enum ftpmark mark;
};

/* Diurnal rate: lambda(t) = 1 + A cos(2 pi (time of day - 14:00) / 24 h).
 * cum[i] = integral of lambda over the first i minutes; arrival "unit time"
 * (the sum of exponential gaps) maps to wall time through its inverse. */
static double *cum;
static size_t ncum;
static double total_units; /* gap_sum of pass 1 */

static void diurnal_table(void)
{
	double minutes = (double)opt.duration_ns / 60e9;
	ncum = (size_t)ceil(minutes) + 1;
	if (ncum < 2)
		ncum = 2;
	if (ncum > 2000000)
		ncum = 2000000;
	cum = calloc(ncum, sizeof(*cum));
	double step_ns = (double)opt.duration_ns / (double)(ncum - 1);
	for (size_t i = 1; i < ncum; i++) {
		double t = (double)opt.start_ns + step_ns * ((double)i - 0.5);
		double tod = fmod(t / 1e9, 86400.0);
		double lambda = 1 + opt.diurnal * cos(2 * M_PI * (tod - 14 * 3600.0) / 86400.0);
		cum[i] = cum[i - 1] + lambda * step_ns;
	}
}

static uint64_t units_to_ns(double units)
{
	double phi = total_units > 0 ? units / total_units : 0;
	if (phi > 1)
		phi = 1;
	if (!cum)
		return opt.start_ns + (uint64_t)(phi * (double)opt.duration_ns);
	double target = phi * cum[ncum - 1];
	size_t lo = 0, hi = ncum - 1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (cum[mid] <= target)
			lo = mid;
		else
			hi = mid;
	}
	double seg = cum[hi] - cum[lo];
	double frac = seg > 0 ? (target - cum[lo]) / seg : 0;
	double step_ns = (double)opt.duration_ns / (double)(ncum - 1);
	return opt.start_ns + (uint64_t)(((double)lo + frac) * step_ns);
}

static void advance_time(void)
{
	double u = rnd_unit();
	if (u < 1e-12)
		u = 1e-12;
	gap_sum += -log(u);
	if (counting_pass)
		return;
	uint64_t next = units_to_ns(gap_sum);
	if (next >= end_ns && end_ns > opt.start_ns)
		next = end_ns - 1; /* the span is [start, start + duration) */
	if (opt.format == FB_PCAP_US)
		next -= next % 1000; /* the file keeps microseconds */
	if (next < now_ns)
		next = now_ns;
	now_ns = next;
}

static bool done(void)
{
	return opt.frames && frames_written >= opt.frames;
}

/* Bytes of link-layer header in front of the IP header. */
static size_t link_len(const struct fb_packet *p)
{
	switch (opt.linktype) {
	case 1:
		return 14 + 4 * (size_t)p->vlan_count;
	case 0:
	case 108:
		return 4;
	case 113:
		return 16;
	case 276:
		return 20;
	default:
		return 0;
	}
}

/* Length of the IP header including IPv4 options / IPv6 extension headers. */
static size_t ip_len(const struct fb_packet *p)
{
	if (p->family == 4)
		return 20 + (p->ip4_options_len & ~(size_t)3);
	size_t o = 40;
	for (int i = 0; i < p->ext6_count; i++) {
		const struct fb_ext6 *e = &p->ext6[i];
		o += e->type == 44   ? 8
		     : e->type == 51 ? ((size_t)e->len8 + 2) * 4
		                     : ((size_t)e->len8 + 1) * 8;
	}
	return o;
}

/* What a correct classifier says about the frame as captured (caplen bytes):
 * a cut IP header or a cut 20-byte TCP base header is MALFORMED. */
static enum res expect(const struct frame *f, size_t caplen, bool strict, bool peers_any,
                       bool *is_synack_rule)
{
	*is_synack_rule = false;
	if (f->kind == 1)
		return R_NOT_IP;
	const struct fb_packet *p = &f->p;
	size_t l3 = link_len(p), l4 = l3 + ip_len(p);
	if (caplen < l4)
		return R_MALFORMED;
	if (p->proto != FB_PROTO_TCP)
		return R_NOT_TCP;
	if (p->family == 4 && p->ip4_frag_offset != 0)
		return R_NOT_TCP;
	if (caplen < l4 + 20)
		return R_MALFORMED;
	bool ok = strict ? (p->flags & 0xff) == 0x12 : (p->flags & 0x17) == 0x12;
	if (!ok)
		return R_NOT_SYNACK;
	*is_synack_rule = true;
	int fam = p->family;
	if (!in_list(&internal, fam, p->src))
		return R_WRONG_DIR;
	if (in_list(&excluded, fam, p->src))
		return R_EXCLUDED;
	if (!peers_any && in_list(&internal, fam, p->dst))
		return R_WRONG_DIR;
	return R_MATCH;
}

static void emit(struct frame *f)
{
	if (done())
		return;
	struct fb_packet *p = &f->p;
	p->vlan_count = 0;
	if (opt.linktype == 1 && f->vlan_host && f->vlan_host->vlan_count) {
		const struct host *h = f->vlan_host;
		p->vlan_count = h->vlan_count;
		for (int i = 0; i < h->vlan_count; i++) {
			p->vlan_id[i] = h->vlan_id[i];
			p->vlan_tpid[i] = (h->vlan_count == 2 && i == 0) ? 0x88a8 : 0x8100;
		}
	}
	if (opt.frame_size) {
		p->pad_to = opt.frame_size;
	} else {
		p->pad_to = 0;
	}
	uint8_t buf[FB_MAX_FRAME];
	size_t n;
	if (f->kind == 1) {
		uint8_t sip[4], tip[4];
		memcpy(sip, p->src, 4);
		memcpy(tip, p->dst, 4);
		n = fb_build_arp(p, sip, tip, buf, sizeof(buf));
	} else {
		if (opt.frame_size) {
			/* grow the payload of payload-carrying frames to the size */
			struct fb_packet q = *p;
			q.payload_len = 0;
			q.pad_to = 0;
			size_t base = fb_build_linktype(&q, opt.linktype, buf, sizeof(buf));
			if (p->payload_len && base && base < opt.frame_size)
				p->payload_len = opt.frame_size - base;
			else if (p->payload_len)
				p->payload_len = 0;
		}
		n = fb_build_linktype(p, opt.linktype, buf, sizeof(buf));
	}
	if (!n)
		die("internal error: could not build a frame");
	advance_time();
	if (fb_write(writer, now_ns, buf, n) < 0)
		die("write error on %s", opt.output);
	if (!frames_written)
		first_ns = now_ns;
	last_ns = now_ns;
	frames_written++;

	bool tagged = p->vlan_count > 0;
	size_t caplen = n < opt.snaplen ? n : opt.snaplen;
	for (int s = 0; s < 2; s++)
		for (int a = 0; a < 2; a++) {
			bool syn;
			enum res r = expect(f, caplen, s, a, &syn);
			struct counts *c = &cnt[s][a];
			c->res[r]++;
			if (a == 0 && syn) {
				synack_rule[s]++;
				if (s == 0) {
					synack_flags[p->flags & 0xfff]++;
					synack_v4 += p->family == 4;
					synack_v6 += p->family == 6;
					synack_vlan += tagged;
				} else {
					synack_strict_v4 += p->family == 4;
					synack_strict_v6 += p->family == 6;
					synack_strict_vlan += tagged;
				}
			}
			if (r != R_MATCH)
				continue;
			c->match_v4 += p->family == 4;
			c->match_v6 += p->family == 6;
			c->match_vlan += tagged;
			c->match_flags[p->flags & 0xfff]++;
			if (s == 0 && a == 0) {
				size_t i = svc_find((uint8_t)p->family, p->src, p->sport);
				svc[i].packets++;
				if (peer_new(p->src, p->sport, p->dst))
					svc[i].peers++;
				switch (f->mark) {
				case M_FTP_CONTROL:
					ftp_control++;
					break;
				case M_FTP_ACTIVE:
					ftp_active++;
					svc[i].ftp_packets_active++;
					break;
				case M_FTP_PASSIVE:
					ftp_passive++;
					svc[i].ftp_packets_passive++;
					break;
				case M_SCAN:
					scan_synacks++;
					break;
				default:
					break;
				}
			}
		}
}

static void tcp_frame(struct frame *f, int family, const uint8_t *src, uint16_t sport,
                      const uint8_t *dst, uint16_t dport, uint16_t flags, size_t payload,
                      const struct host *vlan_host)
{
	memset(f, 0, sizeof(*f));
	fb_packet_init(&f->p, family);
	memcpy(f->p.src, src, 16);
	memcpy(f->p.dst, dst, 16);
	f->p.sport = sport;
	f->p.dport = dport;
	f->p.flags = flags;
	f->p.seq = (uint32_t)rnd();
	f->p.ack = (flags & 0x10) ? (uint32_t)rnd() : 0;
	f->p.payload_len = payload;
	f->p.payload_byte = 'x';
	f->p.ip_id = (uint16_t)rnd();
	if (flags & 0x02)
		f->p.tcp_options_len = 4 + 4 * rnd_below(4);
	f->vlan_host = vlan_host;
}

static const struct host *peer_for(int family)
{
	for (int tries = 0; tries < 1000; tries++) {
		const struct host *p = &peers[rnd_below((uint32_t)npeers)];
		if (p->family == family)
			return p;
	}
	return NULL;
}

static const struct host *host_any(bool allow_excluded)
{
	for (int tries = 0; tries < 1000; tries++) {
		const struct host *h = &hosts[rnd_below((uint32_t)nhosts)];
		if (allow_excluded || !h->excluded)
			return h;
	}
	return &hosts[0];
}

static uint16_t pick_flags(void)
{
	double u = rnd_unit();
	if (u < opt.ecn_share)
		return 0x052;
	u -= opt.ecn_share;
	if (u < opt.odd_share) {
		static const uint16_t odd[] = {0x092, 0x0d2, 0x112, 0x01a, 0x013, 0x016};
		return odd[rnd_below(6)];
	}
	return 0x012;
}

/* A client connects to a server: SYN, SYN+ACK (flags), ACK. */
static void handshake(const struct host *client, uint16_t cport, const struct host *server,
                      uint16_t sport, uint16_t sa_flags, const struct host *vlan_host,
                      enum ftpmark mark, bool with_ack)
{
	struct frame f;
	int fam = server->family;
	tcp_frame(&f, fam, client->addr, cport, server->addr, sport,
	          (sa_flags & 0x40) ? 0x0c2 : 0x002, 0, vlan_host);
	emit(&f);
	tcp_frame(&f, fam, server->addr, sport, client->addr, cport, sa_flags, 0, vlan_host);
	f.mark = mark;
	if (fam == 6 && chance(0.05)) {
		f.p.ext6_count = 1;
		f.p.ext6[0].type = 60;
		f.p.ext6[0].len8 = 0;
	} else if (fam == 4 && chance(0.02)) {
		f.p.ip4_options_len = 4 * (1 + rnd_below(3));
	}
	emit(&f);
	if (with_ack && (sa_flags & 0x17) == 0x12) {
		tcp_frame(&f, fam, client->addr, cport, server->addr, sport, 0x010, 0, vlan_host);
		emit(&f);
	}
}

static void service_event(void)
{
	const struct host *h = host_any(true);
	const struct host *peer = peer_for(h->family);
	if (!peer)
		return;
	uint16_t port = h->ports[rnd_below((uint32_t)h->nports)];
	handshake(peer, ephemeral(), h, port, pick_flags(), h, M_NONE, true);
}

static void background_frame(void)
{
	struct frame f;
	const struct host *h = host_any(true);
	const struct host *peer = peer_for(h->family);
	if (!peer)
		return;
	uint16_t port = h->ports[rnd_below((uint32_t)h->nports)];
	uint32_t k = rnd_below(100);
	if (k < 45) { /* data, either direction */
		size_t pl = 1 + rnd_below(1400);
		if (chance(0.5))
			tcp_frame(&f, h->family, h->addr, port, peer->addr, ephemeral(), 0x018, pl,
			          h);
		else
			tcp_frame(&f, h->family, peer->addr, ephemeral(), h->addr, port, 0x018, pl,
			          h);
	} else if (k < 67) { /* pure ACKs */
		if (chance(0.5))
			tcp_frame(&f, h->family, peer->addr, ephemeral(), h->addr, port, 0x010, 0,
			          h);
		else
			tcp_frame(&f, h->family, h->addr, port, peer->addr, ephemeral(), 0x010, 0,
			          h);
	} else if (k < 71) { /* FIN */
		tcp_frame(&f, h->family, h->addr, port, peer->addr, ephemeral(), 0x011, 0, h);
	} else if (k < 74) { /* RST from a closed port */
		tcp_frame(&f, h->family, h->addr, (uint16_t)(1 + rnd_below(65535)), peer->addr,
		          ephemeral(), 0x014, 0, h);
	} else if (k < 78) { /* unanswered SYN */
		tcp_frame(&f, h->family, peer->addr, ephemeral(), h->addr,
		          (uint16_t)(1 + rnd_below(65535)), 0x002, 0, h);
	} else if (k < 88) { /* UDP: DNS/NTP */
		tcp_frame(&f, h->family, h->addr, ephemeral(), peer->addr, chance(0.7) ? 53 : 123,
		          0, 20 + rnd_below(80), h);
		f.p.proto = FB_PROTO_UDP;
	} else if (k < 90 && h->family == 4) { /* ICMP echo */
		tcp_frame(&f, 4, peer->addr, 0, h->addr, 0, 0, 56, h);
		f.p.proto = FB_PROTO_ICMP;
	} else if (k < 92 && opt.linktype == 1 && h->family == 4) { /* ARP */
		memset(&f, 0, sizeof(f));
		fb_packet_init(&f.p, 4);
		memcpy(f.p.src, h->addr, 16);
		const struct host *o = host_any(true);
		memcpy(f.p.dst, o->family == 4 ? o->addr : h->addr, 16);
		f.kind = 1;
		f.vlan_host = h;
	} else if (k < 94) { /* IPv4 non-first fragment of a TCP packet */
		if (h->family == 6) {
			tcp_frame(&f, 6, h->addr, port, peer->addr, ephemeral(), 0x018, 40, h);
			emit(&f);
			return;
		}
		tcp_frame(&f, 4, h->addr, port, peer->addr, ephemeral(), 0x012, 200, h);
		f.p.ip4_frag_offset = (uint16_t)(185 + rnd_below(100));
		f.p.payload_byte = 0x12;
	} else if (k < 98) { /* reverse direction: internal client, external server */
		handshake(h, ephemeral(), peer, chance(0.5) ? 443 : 80, chance(0.1) ? 0x052 : 0x012,
		          h, M_NONE, false);
		return;
	} else { /* internal to internal */
		const struct host *o = NULL;
		for (int t = 0; t < 50; t++) {
			const struct host *c = host_any(false);
			if (c != h && c->family == h->family && !c->excluded) {
				o = c;
				break;
			}
		}
		if (!o || h->excluded) {
			tcp_frame(&f, h->family, peer->addr, ephemeral(), h->addr, port, 0x010, 0,
			          h);
		} else {
			handshake(o, ephemeral(), h, port, 0x012, h, M_NONE, false);
			return;
		}
	}
	emit(&f);
}

static void ftp_session(bool active)
{
	/* pick an internal non-excluded host */
	const struct host *h = host_any(false);
	if (h->excluded)
		return;
	const struct host *peer = peer_for(h->family);
	if (!peer)
		return;
	int ndata = 1 + (int)rnd_below(3);
	struct frame f;
	if (active) {
		/* internal client h -> external server peer:21 */
		ftp_sess_active++;
		handshake(h, ephemeral(), peer, 21, 0x012, h, M_NONE, true);
		for (int i = 0; i < 2; i++) {
			tcp_frame(&f, h->family, peer->addr, 21, h->addr, ephemeral(), 0x018,
			          30 + rnd_below(40), h);
			emit(&f);
		}
		for (int d = 0; d < ndata; d++) {
			/* PORT: the server connects from port 20 to the client's port */
			handshake(peer, 20, h, (uint16_t)(1024 + rnd_below(64511)), 0x012, h,
			          M_FTP_ACTIVE, true);
			tcp_frame(&f, h->family, peer->addr, 20, h->addr, ephemeral(), 0x018,
			          500 + rnd_below(900), h);
			emit(&f);
		}
	} else {
		/* external client peer -> internal server h:21, then PASV ports */
		ftp_sess_passive++;
		handshake(peer, ephemeral(), h, 21, 0x012, h, M_FTP_CONTROL, true);
		tcp_frame(&f, h->family, h->addr, 21, peer->addr, ephemeral(), 0x018,
		          30 + rnd_below(40), h);
		emit(&f);
		for (int d = 0; d < ndata; d++) {
			handshake(peer, ephemeral(), h, (uint16_t)(50000 + rnd_below(1000)), 0x012,
			          h, M_FTP_PASSIVE, true);
			tcp_frame(&f, h->family, h->addr, 50000, peer->addr, ephemeral(), 0x018,
			          500 + rnd_below(900), h);
			emit(&f);
		}
	}
}

static void scan(int probes)
{
	/* an external scanner probing from source port 20 */
	const struct host *z = peer_for(4);
	int fam = 4;
	if (!z) {
		z = peer_for(6);
		fam = 6;
	}
	if (!z)
		return;
	for (int i = 0; i < probes && !done(); i++) {
		const struct host *h = NULL;
		for (int t = 0; t < 100; t++) {
			const struct host *c = host_any(true);
			if (c->family == fam) {
				h = c;
				break;
			}
		}
		if (!h)
			return;
		uint16_t port;
		bool open = false;
		if (chance(0.3)) {
			port = h->ports[rnd_below((uint32_t)h->nports)];
			open = port < 1024;
		} else
			port = (uint16_t)(1 + rnd_below(1023));
		for (int j = 0; j < h->nports; j++)
			if (h->ports[j] == port && port < 1024)
				open = true;
		struct frame f;
		tcp_frame(&f, fam, z->addr, 20, h->addr, port, 0x002, 0, h);
		f.p.tcp_options_len = 4;
		emit(&f);
		if (open) {
			tcp_frame(&f, fam, h->addr, port, z->addr, 20, 0x012, 0, h);
			f.mark = M_SCAN;
			emit(&f);
			tcp_frame(&f, fam, z->addr, 20, h->addr, port, 0x004, 0, h);
			emit(&f);
		} else {
			tcp_frame(&f, fam, h->addr, port, z->addr, 20, 0x014, 0, h);
			emit(&f);
		}
	}
}

/* ------------------------------------------------------------ setup */

static uint64_t parse_u64(const char *name, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end)
		die("bad number for %s: '%s'", name, s);
	return v;
}

static double parse_share(const char *name, const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || v < 0 || v > 1)
		die("bad share for %s: '%s' (want 0..1)", name, s);
	return v;
}

static uint64_t parse_time(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s && !*end)
		return v * 1000000000ull;
	struct tm tm = {0};
	const char *r = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!r)
		r = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!r) {
		memset(&tm, 0, sizeof(tm));
		r = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!r || (*r && strcmp(r, "Z") != 0 && strcmp(r, "UTC") != 0 && strcmp(r, " UTC") != 0))
		die("bad --start time '%s' (want 2025-01-06T00:00:00Z or epoch seconds)", s);
	time_t t = timegm(&tm);
	return (uint64_t)t * 1000000000ull;
}

static uint64_t parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	double mult = 1;
	if (end == s || v < 0)
		die("bad --duration '%s'", s);
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else if (!strcmp(end, "ms"))
		mult = 1e-3;
	else
		die("bad --duration unit in '%s' (s, m, h, d)", s);
	return (uint64_t)(v * mult * 1e9);
}

static int parse_linktype(const char *s)
{
	static const struct {
		const char *name;
		int lt;
	} t[] = {{"ethernet", 1},    {"en10mb", 1}, {"raw", 101},        {"sll", 113},
	         {"linux_sll", 113}, {"sll2", 276}, {"linux_sll2", 276}, {"null", 0},
	         {"loop", 108},      {"ipv4", 228}, {"ipv6", 229}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(s, t[i].name))
			return t[i].lt;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end) {
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (t[i].lt == v)
				return (int)v;
	}
	die("unsupported --linktype '%s' (ethernet, raw, sll, sll2, null, loop, ipv4, ipv6)", s);
}

static void make_host(struct host *h, bool internal_host, bool exclude_host)
{
	memset(h, 0, sizeof(*h));
	const struct pfxlist *src =
	    internal_host ? (exclude_host ? &excluded : &internal) : &external;
	bool v6ok = list_has_family(src, 6), v4ok = list_has_family(src, 4);
	if (opt.linktype == 228)
		v6ok = false;
	if (opt.linktype == 229)
		v4ok = false;
	if (!v4ok && !v6ok)
		die("no %s prefix of a family the link type can carry",
		    internal_host ? "internal" : "external");
	h->family = v6ok && (!v4ok || chance(opt.ipv6_share)) ? 6 : 4;
	for (int tries = 0;; tries++) {
		if (tries > 1000)
			die("cannot draw %s addresses: check --internal/--external/--exclude",
			    internal_host ? "internal" : "external");
		rnd_addr(src, h->family, h->addr);
		if (internal_host) {
			if (exclude_host != in_list(&excluded, h->family, h->addr))
				continue;
			if (!in_list(&internal, h->family, h->addr))
				continue;
		} else if (in_list(&internal, h->family, h->addr))
			continue;
		/* distinct addresses */
		bool dup = false;
		struct host *pool = internal_host ? hosts : peers;
		int n = internal_host ? nhosts : npeers;
		for (int i = 0; i < n && !dup; i++)
			dup = pool[i].family == h->family && !memcmp(pool[i].addr, h->addr, 16);
		if (!dup)
			break;
	}
	h->excluded = exclude_host;
	if (internal_host) {
		h->nports = 1 + (int)rnd_below(4);
		for (int i = 0; i < h->nports; i++) {
			uint16_t p;
			bool dup;
			do {
				p = rnd_service_port();
				dup = false;
				for (int j = 0; j < i; j++)
					dup |= h->ports[j] == p;
			} while (dup);
			h->ports[i] = p;
		}
		if (opt.linktype == 1 && chance(opt.vlan_share)) {
			h->vlan_count = chance(0.2) ? 2 : 1;
			h->vlan_id[0] = (uint16_t)(10 + rnd_below(4000));
			h->vlan_id[1] = (uint16_t)(10 + rnd_below(4000));
		}
	}
}

static char *answers_name(const char *out)
{
	size_t n = strlen(out);
	char *s = malloc(n + 16);
	strcpy(s, out);
	char *dot = strrchr(s, '.');
	char *slash = strrchr(s, '/');
	if (dot && (!slash || dot > slash) &&
	    (!strcmp(dot, ".pcap") || !strcmp(dot, ".pcapng") || !strcmp(dot, ".cap")))
		strcpy(dot, ".answers");
	else
		strcat(s, ".answers");
	return s;
}

static void addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
}

static int svc_cmp(const void *x, const void *y)
{
	const struct service *a = x, *b = y;
	if (a->family != b->family)
		return a->family - b->family;
	int c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	return (int)a->port - (int)b->port;
}

static void write_answers(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write %s", path);
	fprintf(f, "# synack-gencap answers: counts a correct classifier gives on the capture\n");
	fprintf(f, "# command:");
	for (int i = 0; i < g_argc; i++) {
		bool plain = strpbrk(g_argv[i], " ,'\"$\\*?;&|<>()") == NULL;
		fprintf(f, plain ? " %s" : " '%s'", g_argv[i]);
	}
	fprintf(f, "\n");
	fprintf(f, "seed=%llu\n", (unsigned long long)opt.seed);
	fprintf(f, "format=%s\n", opt.format_text);
	fprintf(f, "linktype=%d\n", opt.linktype);
	fprintf(f, "snaplen=%u\n", opt.snaplen);
	fprintf(f, "internal=%s\n", opt.internal_text);
	fprintf(f, "external=%s\n", opt.external_text);
	fprintf(f, "exclude=%s\n", opt.exclude_text);
	fprintf(f, "start=%s\n", opt.start_text);
	fprintf(f, "duration=%s\n", opt.duration_text);
	fprintf(f, "frames=%llu\n", (unsigned long long)frames_written);
	fprintf(f, "first_time_ns=%llu\n", (unsigned long long)first_ns);
	fprintf(f, "last_time_ns=%llu\n", (unsigned long long)last_ns);
	fprintf(f, "synack.default=%llu\n", (unsigned long long)synack_rule[0]);
	fprintf(f, "synack.default.ipv4=%llu\n", (unsigned long long)synack_v4);
	fprintf(f, "synack.default.ipv6=%llu\n", (unsigned long long)synack_v6);
	fprintf(f, "synack.default.vlan=%llu\n", (unsigned long long)synack_vlan);
	fprintf(f, "synack.strict=%llu\n", (unsigned long long)synack_rule[1]);
	fprintf(f, "synack.strict.ipv4=%llu\n", (unsigned long long)synack_strict_v4);
	fprintf(f, "synack.strict.ipv6=%llu\n", (unsigned long long)synack_strict_v6);
	fprintf(f, "synack.strict.vlan=%llu\n", (unsigned long long)synack_strict_vlan);
	for (int fl = 0; fl < 4096; fl++)
		if (synack_flags[fl])
			fprintf(f, "synack.default.flags.0x%03x=%llu\n", fl,
			        (unsigned long long)synack_flags[fl]);
	for (int s = 0; s < 2; s++)
		for (int a = 0; a < 2; a++) {
			const char *rule = s ? "strict" : "default";
			const char *peers_s = a ? "any" : "external";
			const struct counts *c = &cnt[s][a];
			for (int r = 0; r < R_N; r++)
				fprintf(f, "%s.%s.%s=%llu\n", rule, peers_s, res_name[r],
				        (unsigned long long)c->res[r]);
			fprintf(f, "%s.%s.match.ipv4=%llu\n", rule, peers_s,
			        (unsigned long long)c->match_v4);
			fprintf(f, "%s.%s.match.ipv6=%llu\n", rule, peers_s,
			        (unsigned long long)c->match_v6);
			fprintf(f, "%s.%s.match.vlan=%llu\n", rule, peers_s,
			        (unsigned long long)c->match_vlan);
			for (int fl = 0; fl < 4096; fl++)
				if (c->match_flags[fl])
					fprintf(f, "%s.%s.match.flags.0x%03x=%llu\n", rule, peers_s,
					        fl, (unsigned long long)c->match_flags[fl]);
		}
	fprintf(f, "ftp.sessions.active=%llu\n", (unsigned long long)ftp_sess_active);
	fprintf(f, "ftp.sessions.passive=%llu\n", (unsigned long long)ftp_sess_passive);
	fprintf(f, "ftp.control=%llu\n", (unsigned long long)ftp_control);
	fprintf(f, "ftp.active=%llu\n", (unsigned long long)ftp_active);
	fprintf(f, "ftp.passive=%llu\n", (unsigned long long)ftp_passive);
	fprintf(f, "scan.synacks=%llu\n", (unsigned long long)scan_synacks);
	/* services, sorted */
	struct service *list = malloc((svc_n + 1) * sizeof(*list));
	size_t n = 0, non_ftp = 0;
	for (size_t i = 0; i < svc_cap; i++)
		if (svc[i].used)
			list[n++] = svc[i];
	qsort(list, n, sizeof(*list), svc_cmp);
	for (size_t i = 0; i < n; i++)
		if (list[i].packets > list[i].ftp_packets_active + list[i].ftp_packets_passive)
			non_ftp++;
	fprintf(f, "services=%zu\n", n);
	fprintf(f, "services.non_ftp=%zu\n", non_ftp);
	for (size_t i = 0; i < n; i++) {
		char a[64];
		addr_text(list[i].family, list[i].addr, a, sizeof(a));
		const struct service *s = &list[i];
		uint64_t ftp = s->ftp_packets_active + s->ftp_packets_passive;
		const char *kind = ftp == 0                      ? "service"
		                   : ftp < s->packets            ? "mixed"
		                   : s->ftp_packets_passive == 0 ? "ftp-active"
		                   : s->ftp_packets_active == 0  ? "ftp-passive"
		                                                 : "mixed";
		fprintf(f, "service=%s %u %llu %llu %s\n", a, s->port,
		        (unsigned long long)s->packets, (unsigned long long)s->peers, kind);
	}
	free(list);
	if (fclose(f) != 0)
		die("write error on %s", path);
}

static void generate(const char *path)
{
	/* start from scratch: same seed, same random numbers */
	memset(cnt, 0, sizeof(cnt));
	memset(synack_rule, 0, sizeof(synack_rule));
	memset(synack_flags, 0, sizeof(synack_flags));
	synack_v4 = synack_v6 = synack_vlan = 0;
	synack_strict_v4 = synack_strict_v6 = synack_strict_vlan = 0;
	frames_written = first_ns = last_ns = 0;
	ftp_control = ftp_active = ftp_passive = scan_synacks = 0;
	ftp_sess_active = ftp_sess_passive = 0;
	free(svc);
	svc = NULL;
	svc_cap = svc_n = 0;
	free(pk);
	pk = NULL;
	pk_cap = pk_n = 0;
	free(hosts);
	free(peers);
	gap_sum = 0;
	counting_pass = path == NULL;
	rng_state = opt.seed * 0x2545F4914F6CDD1Dull + 12345;

	/* hosts: ~10% from excluded prefixes when there are any */
	nhosts = 0;
	hosts = calloc((size_t)opt.hosts, sizeof(*hosts));
	int nexcl = excluded.n ? (opt.hosts >= 10 ? opt.hosts / 10 : 1) : 0;
	if (nexcl >= opt.hosts)
		nexcl = opt.hosts > 1 ? opt.hosts - 1 : 0;
	for (int i = 0; i < opt.hosts; i++) {
		struct host h;
		make_host(&h, true, i < nexcl);
		hosts[nhosts++] = h;
	}
	peers = calloc((size_t)opt.peers + 2, sizeof(*peers));
	npeers = 0;
	for (int i = 0; i < opt.peers; i++) {
		struct host h;
		make_host(&h, false, false);
		peers[npeers++] = h;
	}
	/* make sure each host family has at least one peer of its family */
	for (int fam = 4; fam <= 6; fam += 2) {
		bool need_fam = false, have = false;
		for (int i = 0; i < nhosts; i++)
			need_fam |= hosts[i].family == fam;
		for (int i = 0; i < npeers; i++)
			have |= peers[i].family == fam;
		if (need_fam && !have) {
			struct host h;
			double save = opt.ipv6_share;
			opt.ipv6_share = fam == 6 ? 1 : 0;
			make_host(&h, false, false);
			opt.ipv6_share = save;
			if (h.family == fam)
				peers[npeers++] = h;
		}
	}
	/* FTP servers need port 21 */
	uint64_t events = opt.synacks;
	double frames_per_event = 2.97 + opt.background * 1.06;
	if (opt.frames)
		events = (uint64_t)((double)opt.frames / frames_per_event) + 1;
	double expected =
	    (double)events * frames_per_event + opt.ftp_sessions * 13.0 + opt.scan * 2.3;
	if (opt.frames)
		expected = (double)opt.frames;
	(void)expected;
	now_ns = opt.start_ns;
	end_ns = path ? opt.start_ns + opt.duration_ns : UINT64_MAX;

	writer =
	    fb_writer_open(path ? path : "/dev/null", opt.format, opt.linktype, opt.snaplen, false);
	if (!writer)
		die("cannot write %s", path ? path : "/dev/null");

	/* where the FTP sessions and the scan go */
	uint64_t *ftp_at = calloc((size_t)opt.ftp_sessions + 1, sizeof(*ftp_at));
	for (int i = 0; i < opt.ftp_sessions; i++)
		ftp_at[i] = events ? rnd() % events : 0;
	uint64_t scan_at = events ? rnd() % events : 0;
	int ftp_done = 0;

	for (uint64_t ev = 0; (opt.frames ? !done() : ev < events); ev++) {
		uint64_t e = opt.frames ? ev % (events ? events : 1) : ev;
		if (!opt.frames || ev < events) {
			for (int i = 0; i < opt.ftp_sessions; i++)
				if (ftp_at[i] == e) {
					ftp_session(ftp_done % 2 == 0);
					ftp_done++;
				}
			if (opt.scan && e == scan_at)
				scan(opt.scan);
		}
		service_event();
		/* background: geometric-ish around the mean */
		double b = opt.background;
		int nb = (int)b;
		if (chance(b - nb))
			nb++;
		if (nb > 0)
			nb = (int)rnd_below((uint32_t)(2 * nb + 1));
		for (int i = 0; i < nb; i++)
			background_frame();
		if (opt.frames && events == 0)
			break;
	}
	free(ftp_at);
	if (fb_writer_close(writer) < 0)
		die("write error on %s", path ? path : "/dev/null");
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	enum {
		O_FORMAT = 256,
		O_LINKTYPE,
		O_SNAPLEN,
		O_FRAMESIZE,
		O_SEED,
		O_SYNACKS,
		O_FRAMES,
		O_BACKGROUND,
		O_START,
		O_DURATION,
		O_INTERNAL,
		O_EXTERNAL,
		O_EXCLUDE,
		O_HOSTS,
		O_PEERS,
		O_IPV6,
		O_VLAN,
		O_ECN,
		O_ODD,
		O_FTP,
		O_SCAN,
		O_DIURNAL,
	};
	static const struct option lo[] = {
	    {"output", required_argument, 0, 'o'},
	    {"answers", required_argument, 0, 'a'},
	    {"format", required_argument, 0, O_FORMAT},
	    {"linktype", required_argument, 0, O_LINKTYPE},
	    {"snaplen", required_argument, 0, O_SNAPLEN},
	    {"frame-size", required_argument, 0, O_FRAMESIZE},
	    {"seed", required_argument, 0, O_SEED},
	    {"synacks", required_argument, 0, O_SYNACKS},
	    {"frames", required_argument, 0, O_FRAMES},
	    {"background", required_argument, 0, O_BACKGROUND},
	    {"start", required_argument, 0, O_START},
	    {"duration", required_argument, 0, O_DURATION},
	    {"internal", required_argument, 0, O_INTERNAL},
	    {"external", required_argument, 0, O_EXTERNAL},
	    {"exclude", required_argument, 0, O_EXCLUDE},
	    {"hosts", required_argument, 0, O_HOSTS},
	    {"peers", required_argument, 0, O_PEERS},
	    {"ipv6-share", required_argument, 0, O_IPV6},
	    {"vlan-share", required_argument, 0, O_VLAN},
	    {"ecn-share", required_argument, 0, O_ECN},
	    {"odd-share", required_argument, 0, O_ODD},
	    {"ftp-sessions", required_argument, 0, O_FTP},
	    {"scan", optional_argument, 0, O_SCAN},
	    {"diurnal", required_argument, 0, O_DIURNAL},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "o:a:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			opt.output = optarg;
			break;
		case 'a':
			opt.answers = optarg;
			break;
		case O_FORMAT:
			opt.format_text = optarg;
			if (!strcmp(optarg, "pcap"))
				opt.format = FB_PCAP_US;
			else if (!strcmp(optarg, "pcap-ns"))
				opt.format = FB_PCAP_NS;
			else if (!strcmp(optarg, "pcapng"))
				opt.format = FB_PCAPNG;
			else
				die("bad --format '%s' (pcap, pcap-ns, pcapng)", optarg);
			break;
		case O_LINKTYPE:
			opt.linktype = parse_linktype(optarg);
			break;
		case O_SNAPLEN:
			opt.snaplen = (uint32_t)parse_u64("--snaplen", optarg);
			if (opt.snaplen < 34 || opt.snaplen > 262144)
				die("--snaplen must be 34..262144 (link-layer headers stay whole)");
			break;
		case O_FRAMESIZE:
			opt.frame_size = parse_u64("--frame-size", optarg);
			if (opt.frame_size > 9000)
				die("--frame-size at most 9000");
			break;
		case O_SEED:
			opt.seed = parse_u64("--seed", optarg);
			break;
		case O_SYNACKS:
			opt.synacks = parse_u64("--synacks", optarg);
			break;
		case O_FRAMES:
			opt.frames = parse_u64("--frames", optarg);
			break;
		case O_BACKGROUND: {
			char *end;
			opt.background = strtod(optarg, &end);
			if (*end || opt.background < 0)
				die("bad --background '%s'", optarg);
			break;
		}
		case O_START:
			opt.start_text = optarg;
			break;
		case O_DURATION:
			opt.duration_text = optarg;
			break;
		case O_INTERNAL:
			opt.internal_text = optarg;
			break;
		case O_EXTERNAL:
			opt.external_text = optarg;
			break;
		case O_EXCLUDE:
			opt.exclude_text = optarg;
			break;
		case O_HOSTS:
			opt.hosts = (int)parse_u64("--hosts", optarg);
			if (opt.hosts < 1 || opt.hosts > 100000)
				die("--hosts must be 1..100000");
			break;
		case O_PEERS:
			opt.peers = (int)parse_u64("--peers", optarg);
			if (opt.peers < 1 || opt.peers > 1000000)
				die("--peers must be 1..1000000");
			break;
		case O_IPV6:
			opt.ipv6_share = parse_share("--ipv6-share", optarg);
			break;
		case O_VLAN:
			opt.vlan_share = parse_share("--vlan-share", optarg);
			break;
		case O_ECN:
			opt.ecn_share = parse_share("--ecn-share", optarg);
			break;
		case O_ODD:
			opt.odd_share = parse_share("--odd-share", optarg);
			break;
		case O_FTP:
			opt.ftp_sessions = (int)parse_u64("--ftp-sessions", optarg);
			break;
		case O_DIURNAL:
			opt.diurnal = parse_share("--diurnal", optarg);
			if (opt.diurnal >= 1)
				die("--diurnal must be below 1");
			break;
		case O_SCAN:
			opt.scan = optarg ? (int)parse_u64("--scan", optarg) : 200;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!opt.output)
		die("no output file (-o FILE; see --help)");
	if (opt.ecn_share + opt.odd_share > 1)
		die("--ecn-share + --odd-share > 1");
	opt.start_ns = parse_time(opt.start_text);
	opt.duration_ns = parse_duration(opt.duration_text);
	parse_pfx(opt.internal_text, &internal);
	parse_pfx(opt.external_text, &external);
	parse_pfx(opt.exclude_text, &excluded);
	if (!internal.n)
		die("empty --internal");
	if (!external.n)
		die("empty --external");
	/* Pass 1 draws the same random numbers without writing and sums the
	 * inter-arrival gaps; pass 2 scales them so the capture spans
	 * --duration exactly. */
	generate(NULL);
	total_units = gap_sum;
	if (opt.diurnal > 0)
		diurnal_table();
	generate(opt.output);
	const char *ans = opt.answers;
	char *owned = NULL;
	if (!ans && strcmp(opt.output, "-") != 0)
		ans = owned = answers_name(opt.output);
	if (ans)
		write_answers(ans);
	fprintf(
	    stderr,
	    "synack-gencap: %llu frames, %llu SYN+ACKs (default rule), %llu matches -> %s%s%s\n",
	    (unsigned long long)frames_written, (unsigned long long)synack_rule[0],
	    (unsigned long long)cnt[0][0].res[R_MATCH], opt.output, ans ? ", " : "",
	    ans ? ans : "");
	free(owned);
	free(hosts);
	free(peers);
	free(svc);
	free(pk);
	free(internal.v);
	free(external.v);
	free(excluded.v);
	return 0;
}
