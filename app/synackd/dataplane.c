/*
 * dataplane.c - ports, worker lcores, rings and the writer lcore.
 *
 * Live ports run workers and the writer on EAL lcores.  --pcap mode needs
 * no EAL: the same worker and writer loops run as plain threads, and the
 * rings are the same rte_rings, initialised in ordinary memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "capture/capture_file.h"
#include "classify/classifier_inline.h"
#include "prefix/prefix_set.h"
#include "synackd_int.h"

#define MEMPOOL_CACHE 256
#define MAX_BURST     512
#define WRITER_BURST  1024

/* ------------------------------------------------------------------ time */

uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Main lcore: publish a fresh (tsc, CLOCK_REALTIME) pair.  Four slots so a
 * worker that reads a slot while main writes the next one is never torn
 * (main re-anchors about once a second). */
void time_anchor(void)
{
	if (g.pcap_mode)
		return; /* records carry the capture's own time; no EAL, no TSC rate */
	if (g.tsc_hz == 0) {
		g.tsc_hz = rte_get_tsc_hz();
		g.ns_mult = tsc_clock_mult(g.tsc_hz);
	}
	unsigned next = (g.anchor_idx + 1) & 3;
	uint64_t t0 = rte_rdtsc();
	uint64_t ns = wall_ns();
	uint64_t t1 = rte_rdtsc();
	g.anchors[next].tsc = t0 + (t1 - t0) / 2;
	g.anchors[next].ns = ns;
	__atomic_store_n(&g.anchor_idx, next, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- policy */

struct policy *policy_build(const struct synackd_config *c, char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char perr[256];
	p->internal = prefix_set_parse(c->internal_text ? c->internal_text : "", perr, sizeof perr);
	if (!p->internal) {
		snprintf(err, errlen, "internal prefixes: %s", perr);
		free(p);
		return NULL;
	}
	p->excluded = prefix_set_parse(c->exclude_text ? c->exclude_text : "", perr, sizeof perr);
	if (!p->excluded) {
		snprintf(err, errlen, "excluded prefixes: %s", perr);
		prefix_set_free(p->internal);
		free(p);
		return NULL;
	}
	p->cp.internal = p->internal;
	p->cp.excluded = p->excluded;
	p->cp.strict = c->strict;
	p->cp.peers_any = c->peers_any;
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	prefix_set_free(p->internal);
	prefix_set_free(p->excluded);
	free(p);
}

/* ----------------------------------------------------------------- ports */

static const uint8_t sym_rss_key_byte[2] = {0x6D, 0x5A};

/* Where port i was configured: "FILE:LINE", or "command line: --set ...". */
static const char *port_origin(unsigned i, char *buf, size_t n)
{
	return config_origin(&g.cfg, g.cfg.port[i].line, buf, n);
}

/* Find port i of the configuration and check what it must offer, before
 * any port is configured. */
static int port_check(unsigned i, struct rte_eth_dev_info *info, char *err, size_t errlen)
{
	const struct synackd_config *c = &g.cfg;
	struct port_state *ps = &g.ports[i];
	const char *name = c->port[i].name;
	char where[CONFIG_STR + 16];
	memcpy(ps->name, name, sizeof ps->name);
	uint16_t pid;
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		snprintf(err, errlen,
		         "%s: port '%s' not found (is it bound to a DPDK driver, listed "
		         "in allow=, or given as vdev=?)",
		         port_origin(i, where, sizeof where), name);
		return -1;
	}
	ps->port_id = pid;
	int rc = rte_eth_dev_info_get(pid, info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot get device info: %s", name,
		         rte_strerror(-rc));
		return -1;
	}
	snprintf(ps->driver, sizeof ps->driver, "%s", info->driver_name);
	unsigned nq = c->port[i].queues;
	if (nq > info->max_rx_queues) {
		snprintf(err, errlen, "%s: port %s (%s) has at most %u RX queues, %u configured%s",
		         port_origin(i, where, sizeof where), name, info->driver_name,
		         info->max_rx_queues, nq,
		         strcmp(info->driver_name, "net_pcap") == 0
		             ? " (net_pcap: one queue per rx_pcap=/rx_iface= argument)"
		             : "");
		return -1;
	}
	for (unsigned k = 0; k < i; k++)
		if (g.ports[k].port_id == pid) {
			snprintf(err, errlen, "%s: port %s is the same device as port %s",
			         port_origin(i, where, sizeof where), name, g.ports[k].name);
			return -1;
		}
	return 0;
}

/* RSS on IP addresses with the symmetric key where the device has it. */
static void port_rss_conf(unsigned i, const struct rte_eth_dev_info *info,
                          struct rte_eth_conf *conf, uint8_t key[64])
{
	struct port_state *ps = &g.ports[i];
	unsigned nq = g.cfg.port[i].queues;
	uint64_t want = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX;
	uint64_t hf = want & info->flow_type_rss_offloads;

	memset(conf, 0, sizeof *conf);
	if (nq > 1 && hf != 0) {
		unsigned klen = info->hash_key_size ? info->hash_key_size : 40;
		if (klen > 64)
			klen = 64;
		for (unsigned k = 0; k < klen; k++)
			key[k] = sym_rss_key_byte[k & 1];
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_key = key;
		conf->rx_adv_conf.rss_conf.rss_key_len = (uint8_t)klen;
		conf->rx_adv_conf.rss_conf.rss_hf = hf;
		ps->rss = true;
		ps->rss_hf = hf;
		fprintf(stderr,
		        "synackd: port %u %s (%s): %u RX queues, RSS on IP addresses "
		        "(rss_hf 0x%llx, symmetric key)\n",
		        i, ps->name, info->driver_name, nq, (unsigned long long)hf);
	} else if (nq > 1) {
		fprintf(stderr,
		        "synackd: port %u %s (%s): no RSS on this device; %u RX queues are "
		        "filled by the device itself (net_pcap: one per rx_pcap=, "
		        "af_packet: kernel fanout)\n",
		        i, ps->name, info->driver_name, nq);
	} else {
		fprintf(stderr, "synackd: port %u %s (%s): 1 RX queue\n", i, ps->name,
		        info->driver_name);
	}
}

/* Configure port i (checked by port_check), set up its queues, start it.
 * g.n_ports counts it from the moment it is configured. */
static int port_start(unsigned i, const struct rte_eth_dev_info *info, char *err, size_t errlen)
{
	const struct synackd_config *c = &g.cfg;
	struct port_state *ps = &g.ports[i];
	const char *name = ps->name;
	uint16_t pid = ps->port_id;
	unsigned nq = c->port[i].queues;
	struct rte_eth_conf conf;
	uint8_t key[64];

	port_rss_conf(i, info, &conf, key);
	uint16_t ntx = 0;
	int rc = rte_eth_dev_configure(pid, (uint16_t)nq, 0, &conf);
	if (rc != 0) {
		ntx = 1; /* some PMDs want a TX queue; it stays unused */
		rc = rte_eth_dev_configure(pid, (uint16_t)nq, 1, &conf);
		if (rc == 0)
			fprintf(stderr, "synackd: port %u: PMD needs a TX queue; 1 unused\n", i);
	}
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure with %u RX queues failed: %s", name, nq,
		         rte_strerror(-rc));
		return -1;
	}
	g.n_ports = i + 1;
	uint16_t nb_rxd = (uint16_t)c->rx_descriptors, nb_txd = 512;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot adjust descriptors: %s", name,
		         rte_strerror(-rc));
		return -1;
	}
	for (unsigned q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, nb_rxd, rte_eth_dev_socket_id(pid),
		                            NULL, g.pool);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: RX queue %u setup failed: %s", name, q,
			         rte_strerror(-rc));
			return -1;
		}
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			(void)rte_eth_dev_set_rx_queue_stats_mapping(pid, (uint16_t)q, (uint8_t)q);
	}
	for (unsigned q = 0; q < ntx; q++) {
		rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, nb_txd, rte_eth_dev_socket_id(pid),
		                            NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: TX queue setup failed: %s", name,
			         rte_strerror(-rc));
			return -1;
		}
	}
	ps->rx_queues = nq;
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", name, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_promiscuous_enable(pid);
	if (rc != 0)
		fprintf(stderr, "synackd: port %u: promiscuous mode not available: %s\n", i,
		        rte_strerror(-rc));
	rte_eth_stats_reset(pid);
	memset(&ps->last, 0, sizeof ps->last);
	fprintf(stderr, "synackd: port %u %s: %u RX descriptors per queue, started\n", i, name,
	        nb_rxd);
	return 0;
}

/* The mbuf pool every RX queue fills from. */
static int pool_create(char *err, size_t errlen)
{
	const struct synackd_config *c = &g.cfg;
	unsigned total_q = 0;
	for (unsigned i = 0; i < c->n_port; i++)
		total_q += c->port[i].queues;
	unsigned nb_mbufs = c->mbuf_pool_size;
	if (nb_mbufs == 0) {
		/* like l2fwd: every descriptor, plus a burst and a cache per lcore */
		nb_mbufs = total_q * c->rx_descriptors +
		           (g.n_workers + 2) * (c->burst_size + MEMPOOL_CACHE);
		if (nb_mbufs < 8192)
			nb_mbufs = 8192;
	}
	g.pool = rte_pktmbuf_pool_create("synackd_mbufs", nb_mbufs, MEMPOOL_CACHE, 0,
	                                 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!g.pool) {
		snprintf(err, errlen,
		         "cannot create a pool of %u mbufs: %s (lower mbuf_pool_size or "
		         "rx_descriptors, or give EAL more memory)",
		         nb_mbufs, rte_strerror(rte_errno));
		return -1;
	}
	fprintf(stderr, "synackd: mbuf pool of %u mbufs\n", nb_mbufs);
	return 0;
}

/* Every port is found and checked before the first is configured; a port
 * that fails later leaves g.n_ports counting those to stop. */
int ports_setup(char *err, size_t errlen)
{
	static struct rte_eth_dev_info info[CONFIG_MAX_PORTS];

	g.n_ports = 0;
	for (unsigned i = 0; i < g.cfg.n_port; i++)
		if (port_check(i, &info[i], err, errlen) < 0)
			return -1;
	if (pool_create(err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < g.cfg.n_port; i++)
		if (port_start(i, &info[i], err, errlen) < 0)
			return -1;
	return 0;
}

void ports_stop(void)
{
	for (unsigned i = 0; i < g.n_ports; i++) {
		(void)rte_eth_dev_stop(g.ports[i].port_id);
		(void)rte_eth_dev_close(g.ports[i].port_id);
	}
}

/* --pcap mode: a ring in ordinary memory (no EAL memzones). */
static struct rte_ring *ring_create_plain(const char *name, unsigned count, char *err,
                                          size_t errlen)
{
	ssize_t size = rte_ring_get_memsize_elem(sizeof(struct synack_record), count);
	if (size < 0) {
		snprintf(err, errlen, "ring %s: %u records is not a power of two", name, count);
		return NULL;
	}
	size_t bytes = RTE_ALIGN_CEIL((size_t)size, RTE_CACHE_LINE_SIZE);
	struct rte_ring *r = aligned_alloc(RTE_CACHE_LINE_SIZE, bytes);
	if (!r) {
		snprintf(err, errlen, "cannot allocate ring %s of %u records", name, count);
		return NULL;
	}
	if (rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		snprintf(err, errlen, "cannot initialise ring %s of %u records", name, count);
		free(r);
		return NULL;
	}
	return r;
}

int rings_create(char *err, size_t errlen)
{
	for (unsigned i = 0; i < g.n_workers; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof name, "synackd_w%u", i);
		if (g.pcap_mode) {
			g.workers[i].ring = ring_create_plain(name, g.cfg.ring_size, err, errlen);
			if (!g.workers[i].ring)
				return -1;
			continue;
		}
		g.workers[i].ring =
		    rte_ring_create_elem(name, sizeof(struct synack_record), g.cfg.ring_size,
		                         (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!g.workers[i].ring) {
			snprintf(err, errlen, "cannot create ring %s of %u records: %s", name,
			         g.cfg.ring_size, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

void rings_free(void)
{
	for (unsigned i = 0; i < g.n_workers; i++) {
		if (g.pcap_mode)
			free(g.workers[i].ring);
		else
			rte_ring_free(g.workers[i].ring);
		g.workers[i].ring = NULL;
	}
}

/* --------------------------------------------------------------- workers */

/* Frames per result in one byte each of a 64-bit tally, so counting a
 * frame is an add to a register: at most TALLY_FRAMES frames per tally. */
#define TALLY_FRAMES 255

static inline uint64_t tally_of(enum classify_result r)
{
	return (uint64_t)1 << (8 * (unsigned)r);
}

static void add_tally(struct worker_stats *st, uint64_t tally)
{
	for (unsigned r = 0; r < CLASSIFY_RESULT_COUNT; r++)
		st->result[r] += (tally >> (8 * r)) & 0xff;
}

/* A matched frame: count its flags and family, and make it the record at
 * rec (live ports stamp the time later, per burst). */
static inline void record_match(struct worker_stats *st, const struct classify_tuple *t,
                                uint64_t time_ns, uint8_t widx, struct synack_record *rec)
{
	st->flags[t->flags & 0xff]++;
	if (t->family == SYNACK_FAMILY_IPV6)
		st->match6++;
	else
		st->match4++;
	classify_tuple_to_record(t, time_ns, widx, rec);
}

/* 1 when m can go straight back to pool, as rte_pktmbuf_free would put it
 * there: direct, unshared, one segment.  Every received frame is, except
 * one that needed chained buffers (jumbo frames on net_pcap, scatter). */
static inline int mbuf_is_plain(const struct rte_mbuf *m, const struct rte_mempool *pool)
{
	return (m->pool == pool) & (m->nb_segs == 1) & (rte_mbuf_refcnt_read(m) == 1) &
	       RTE_MBUF_DIRECT(m);
}

/* Classify n <= TALLY_FRAMES received frames; each match becomes a record
 * at rec[nrec++].  Returns the new nrec; *plain is cleared unless every
 * mbuf is plain. */
static inline unsigned classify_mbufs(struct worker_stats *st, const struct classify_policy *cp,
                                      struct rte_mbuf **m, unsigned n, uint8_t widx,
                                      struct synack_record *rec, unsigned nrec, int *plain)
{
	const struct rte_mempool *pool = g.pool;
	struct classify_tuple t;
	uint64_t tally = 0, bytes = 0;
	int all_plain = 1;

	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
		bytes += m[i]->pkt_len;
		all_plain &= mbuf_is_plain(m[i], pool);
		enum classify_result r = classify_ethernet_inline(cp, p, m[i]->data_len, &t);
		tally += tally_of(r);
		if (r == CLASSIFY_MATCH)
			record_match(st, &t, 0, widx, &rec[nrec++]);
	}
	st->bytes += bytes;
	add_tally(st, tally);
	*plain &= all_plain;
	return nrec;
}

/* Hand the worker's pending records to the writer; what the ring cannot
 * take is a counted drop. */
static void send_records(struct worker *w, const struct synack_record *rec, unsigned n)
{
	unsigned sent = rte_ring_enqueue_burst_elem(w->ring, rec, sizeof rec[0], n, NULL);
	w->st.ring_drops += n - sent;
}

/* Full bursts a worker may receive while it holds records: at 64 frames a
 * burst and 14.88 Mpps, 1024 bursts are about 4.4 ms.  Without this bound a
 * saturated queue (every rx_burst full) with rare matches would hold a
 * record until a burst's worth had gathered: seconds at one match per
 * million frames, and past a `synackctl flush`. */
#define HOLD_BURSTS 1024

/* Live ports: rx_burst, classify, free in bulk.  Records are sent a burst's
 * worth at a time, as soon as a queue has no full burst to give, or after
 * HOLD_BURSTS full bursts, so the ring's shared cache lines cross to the
 * writer's core rarely.  No locks, no allocation, no syscalls; a full ring
 * is a counted drop. */
int worker_main_ports(void *arg)
{
	struct worker *w = arg;
	struct worker_stats *st = &w->st;
	const unsigned burst = g.cfg.burst_size < MAX_BURST ? g.cfg.burst_size : MAX_BURST;
	struct rte_mbuf *m[MAX_BURST];
	struct synack_record rec[2 * MAX_BURST];
	const uint8_t widx = (uint8_t)w->index;
	unsigned nrec = 0, held = 0; /* held: full bursts since nrec became > 0 */

	while (!__atomic_load_n(&g.stop_workers, __ATOMIC_RELAXED)) {
		const struct policy *pol = __atomic_load_n(&g.policy, __ATOMIC_ACQUIRE);
		for (unsigned qi = 0; qi < w->n_q; qi++) {
			uint16_t n =
			    rte_eth_rx_burst(w->q[qi].port, w->q[qi].queue, m, (uint16_t)burst);
			if (nrec && (n < burst || ++held >= HOLD_BURSTS)) {
				send_records(w, rec, nrec);
				nrec = 0;
				held = 0;
			}
			if (n == 0)
				continue;
			st->frames += n;
			unsigned first = nrec;
			int plain = 1;
			for (unsigned i = 0; i < n; i += TALLY_FRAMES) {
				unsigned k = n - i < TALLY_FRAMES ? n - i : TALLY_FRAMES;
				nrec =
				    classify_mbufs(st, &pol->cp, m + i, k, widx, rec, nrec, &plain);
			}
			if (likely(plain))
				rte_mempool_put_bulk(g.pool, (void **)m, n);
			else
				rte_pktmbuf_free_bulk(m, n);
			if (nrec > first) {
				uint64_t now = tsc_to_ns(rte_rdtsc());
				for (unsigned j = first; j < nrec; j++)
					rec[j].time_ns = now;
				if (nrec >= burst) {
					send_records(w, rec, nrec);
					nrec = 0;
					held = 0;
				}
			}
		}
		/* quiescent point: this worker holds no policy pointer here */
		__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_RELEASE);
	}
	if (nrec)
		send_records(w, rec, nrec);
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}

/* Enqueue all of rec[0..n): in --pcap mode a full ring waits, never drops. */
static void enqueue_lossless(struct worker *w, struct synack_record *rec, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		done +=
		    rte_ring_enqueue_burst_elem(w->ring, rec + done, sizeof rec[0], n - done, NULL);
		if (done < n) {
			w->st.ring_waits++;
			rte_pause();
		}
	}
}

/* Frames per batch; a batch is counted in one tally. */
#define PCAP_BATCH 64
_Static_assert(PCAP_BATCH <= TALLY_FRAMES, "a tally counts at most TALLY_FRAMES frames");

/* Classify one batch of frames and hand its records to the writer.  Ethernet
 * (nearly every capture) takes the inline fast path. */
static void pcap_batch(struct worker *w, const struct policy *pol, const struct capture_frame *f,
                       unsigned n)
{
	struct worker_stats *st = &w->st;
	struct synack_record rec[PCAP_BATCH];
	struct classify_tuple t;
	const uint8_t widx = (uint8_t)w->index;
	unsigned nrec = 0;
	uint64_t bytes = 0, tally = 0;

	for (unsigned i = 0; i < n; i++) {
		enum classify_result r;
		bytes += f[i].wirelen;
		if (f[i].linktype == LINKTYPE_ETHERNET)
			r = classify_ethernet_inline(&pol->cp, f[i].data, f[i].caplen, &t);
		else
			r = classify_frame(&pol->cp, f[i].linktype, f[i].data, f[i].caplen, &t);
		tally += tally_of(r);
		if (r == CLASSIFY_MATCH)
			record_match(st, &t, f[i].time_ns, widx, &rec[nrec++]);
	}
	st->frames += n;
	st->bytes += bytes;
	add_tally(st, tally);
	if (nrec)
		enqueue_lossless(w, rec, nrec);
}

static struct capture_file *split_capture; /* one file read in parts: mapped once */

/* Opens a file for this worker and moves to the start of its part.  NULL
 * when there is nothing for this worker to read: an error (reported unless
 * another worker's part reports it) or a part that starts after the end. */
static struct capture_file *pcap_open_part(struct worker *w, const char *path, uint64_t *from)
{
	char err[512];
	struct capture_file *cf = split_capture ? capture_share(split_capture, err, sizeof err)
	                                        : capture_open(path, err, sizeof err);
	*from = 0;
	if (!cf) {
		if (w->part == 0) {
			snprintf(w->error, sizeof w->error, "%s", err);
			w->failed = 1;
		}
		return NULL;
	}
	int lt = capture_linktype(cf);
	if (!classify_linktype_supported(lt)) {
		if (w->part == 0) {
			const char *ln = capture_linktype_name(lt);
			snprintf(w->error, sizeof w->error,
			         "%s: unsupported link type %d (%s); supported: EN10MB, LINUX_SLL, "
			         "LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP, NFLOG",
			         path, lt, ln ? ln : "unknown");
			w->failed = 1;
		}
		capture_close(cf);
		return NULL;
	}
	uint64_t size = capture_size(cf), to = size;
	if (w->n_parts > 1 && capture_splittable(cf)) {
		*from = size / w->n_parts * w->part;
		if (w->part + 1 < w->n_parts)
			to = size / w->n_parts * (w->part + 1);
		capture_set_end(cf, to);
	} else if (w->part > 0) {
		capture_close(cf); /* not split: the first part's worker reads it all */
		return NULL;
	}
	if (g.pcap_prefault)
		(void)capture_prefault_start(cf, *from, to);
	/* Damage before the part is reported by the part that holds it. */
	if (w->part > 0 && capture_skip_to(cf, *from) != CAPTURE_FRAME) {
		capture_close(cf);
		return NULL;
	}
	return cf;
}

/* --pcap: the last worker at the end of its input tells the writer that no
 * record will follow, so the writer's final flush starts at once. */
static void pcap_input_done(void)
{
	if (__atomic_sub_fetch(&g.workers_reading, 1, __ATOMIC_ACQ_REL) == 0)
		__atomic_store_n(&g.workers_done, 1, __ATOMIC_RELEASE);
}

/* --pcap: read files (or parts of one file) with lib/capture through the
 * same classifier, in batches.  The last file is closed after the end of
 * input is signalled: unmapping a large capture takes tens of milliseconds,
 * which then overlap the writer's final flush. */
int worker_main_pcap(void *arg)
{
	struct worker *w = arg;
	const struct policy *pol = __atomic_load_n(&g.policy, __ATOMIC_ACQUIRE);
	struct capture_frame f[PCAP_BATCH];
	struct capture_file *last = NULL;
	uint64_t done_bytes = 0;

	for (unsigned fi = 0; fi < w->n_files && !g.stop_workers; fi++) {
		const char *path = w->files[fi];
		uint64_t from;
		capture_close(last);
		last = pcap_open_part(w, path, &from);
		if (!last)
			continue;
		enum capture_status cs = CAPTURE_FRAME;
		uint64_t batches = 0;
		while (cs == CAPTURE_FRAME) {
			unsigned n = capture_next_batch(last, f, PCAP_BATCH, &cs);
			pcap_batch(w, pol, f, n);
			if ((++batches & 63) == 0) {
				w->progress_bytes = done_bytes + capture_offset(last) - from;
				if (g.stop_workers)
					break;
			}
		}
		if (cs == CAPTURE_ERROR) {
			snprintf(w->error, sizeof w->error, "%s", capture_error(last));
			if (strstr(w->error, path) == NULL) {
				char tmp[sizeof w->error];
				memcpy(tmp, w->error, sizeof tmp);
				snprintf(w->error, sizeof w->error, "%.100s: %.400s", path, tmp);
			}
			w->failed = 1;
		}
		done_bytes += capture_offset(last) - from;
		w->progress_bytes = done_bytes;
		__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_RELEASE);
	}
	pcap_input_done();
	capture_close(last);
	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	return 0;
}

/* ---------------------------------------------------------------- writer */

/* Publish the writer's current hourly file for `status` (a sequence
 * count, as for the writer's stats: main never reads a half-written path). */
static void publish_current_log(void)
{
	const char *cl = writer_current_log(g.writer);
	if (!cl)
		cl = "";
	if (strcmp(cl, g.current_log) == 0)
		return;
	__atomic_fetch_add(&g.current_log_seq, 1, __ATOMIC_ACQ_REL); /* odd: writing */
	snprintf(g.current_log, sizeof g.current_log, "%s", cl);
	__atomic_fetch_add(&g.current_log_seq, 1, __ATOMIC_RELEASE);
}

/* Carry out the request main posted (the writer owns it now). */
static void serve_request(void)
{
	int rc = 0;
	if (g.req_kind == REQ_ROTATE)
		rc = writer_rotate(g.writer);
	else if (g.req_kind == REQ_FLUSH)
		rc = writer_flush(g.writer);
	else if (g.req_kind == REQ_FTP)
		writer_set_ftp(g.writer, &g.req_ftp);
	g.req_rc = rc;
	snprintf(g.req_err, sizeof g.req_err, "%s", rc != 0 ? writer_error(g.writer) : "");
	publish_current_log();
	__atomic_store_n(&g.req_state, REQ_DONE, __ATOMIC_RELEASE);
}

/* Monotonic time for the writer's tick (works with and without EAL). */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void publish_writer_stats(void)
{
	__atomic_fetch_add(&g.wstats_seq, 1, __ATOMIC_ACQ_REL); /* odd: writing */
	writer_get_stats(g.writer, &g.wstats);
	__atomic_fetch_add(&g.wstats_seq, 1, __ATOMIC_RELEASE);
}

static void writer_fail(const char *what)
{
	if (!g.writer_failed) {
		snprintf(g.writer_error, sizeof g.writer_error, "%s failed", what);
		g.writer_failed = 1;
	}
}

int writer_main(void *arg)
{
	(void)arg;
	static struct synack_record buf[WRITER_BURST];
	const uint64_t tick_every = 10000000; /* 10 ms */
	uint64_t next_tick = mono_ns() + tick_every;
	unsigned idle = 0;

	for (;;) {
		/* read before draining: once set, an empty drain below is final */
		int done = __atomic_load_n(&g.workers_done, __ATOMIC_ACQUIRE);
		unsigned got = 0;
		for (unsigned i = 0; i < g.n_workers; i++) {
			unsigned n = rte_ring_dequeue_burst_elem(g.workers[i].ring, buf,
			                                         sizeof buf[0], WRITER_BURST, NULL);
			if (n) {
				if (writer_push(g.writer, buf, n, wall_ns()) < 0)
					writer_fail("writer_push");
				got += n;
			}
		}
		int posted = REQ_POSTED;
		if (__atomic_load_n(&g.req_state, __ATOMIC_ACQUIRE) == REQ_POSTED &&
		    __atomic_compare_exchange_n(&g.req_state, &posted, REQ_TAKEN, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			serve_request();
		uint64_t now = mono_ns();
		if (got || now >= next_tick) {
			if (now >= next_tick) {
				if (writer_tick(g.writer, wall_ns()) < 0)
					writer_fail("writer_tick");
				next_tick = now + tick_every;
				publish_current_log();
			}
			publish_writer_stats();
		}
		if (got == 0) {
			if (done)
				break;
			/* Idle: back off so a spinning writer does not slow a worker
			 * on a sibling hyperthread or a shared CPU.  Half a millisecond
			 * is little to rings that hold several milliseconds of records
			 * even at line rate (65536 records: 4 ms at 14.88 Mpps of
			 * nothing but SYN+ACKs), and it keeps the wake-ups rare. */
			if (++idle < 64) {
				rte_pause();
			} else {
				struct timespec ts = {0, 500000};
				nanosleep(&ts, NULL);
			}
		} else {
			idle = 0;
		}
	}
	int rc = writer_flush(g.writer);
	if (rc < 0)
		writer_fail("final writer_flush");
	else if (rc == WRITER_DEFERRED)
		fprintf(stderr, "synackd: final flush deferred: %s; retried at close\n",
		        writer_error(g.writer));
	publish_writer_stats();
	return 0;
}

/* ------------------------------------------------------- --pcap threads */

static void *worker_thread(void *arg)
{
	(void)worker_main_pcap(arg);
	return NULL;
}

static void *writer_thread(void *arg)
{
	(void)writer_main(arg);
	return NULL;
}

static unsigned n_worker_threads;
static bool writer_started;

/* One file read in parts by several workers is opened (mapped) here once
 * and shared, so each page is mapped once, not once per worker.  Anything
 * wrong with the file is left to the workers to find and report. */
static void open_split_capture(void)
{
	if (g.workers[0].n_parts <= 1)
		return;
	char err[512];
	split_capture = capture_open(g.workers[0].files[0], err, sizeof err);
	if (split_capture && capture_splittable(split_capture) &&
	    classify_linktype_supported(capture_linktype(split_capture)))
		return;
	capture_close(split_capture);
	split_capture = NULL;
}

/* --pcap mode: the writer and the workers as threads (no EAL lcores). */
int threads_launch_pcap(char *err, size_t errlen)
{
	open_split_capture();
	int rc = pthread_create(&g.writer_thread, NULL, writer_thread, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the writer thread: %s", strerror(rc));
		return -1;
	}
	writer_started = true;
	pthread_setname_np(g.writer_thread, "synackd-writer");
	g.workers_reading = g.n_workers;
	for (unsigned i = 0; i < g.n_workers; i++) {
		struct worker *w = &g.workers[i];
		w->running = 1;
		rc = pthread_create(&w->thread, NULL, worker_thread, w);
		if (rc != 0) {
			w->running = 0;
			snprintf(err, errlen, "cannot start worker thread %u: %s", i, strerror(rc));
			return -1;
		}
		n_worker_threads = i + 1;
		char name[16];
		snprintf(name, sizeof name, "synackd-w%u", i % MAX_WORKERS);
		pthread_setname_np(w->thread, name);
	}
	return 0;
}

/* The shared file is unmapped here, while the writer makes its final flush
 * (capture_close drops its pages without holding up the other threads). */
void threads_join_workers(void)
{
	for (unsigned i = 0; i < n_worker_threads; i++)
		pthread_join(g.workers[i].thread, NULL);
	capture_close(split_capture);
	split_capture = NULL;
}

void threads_join_writer(void)
{
	if (writer_started)
		pthread_join(g.writer_thread, NULL);
}
