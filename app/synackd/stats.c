/*
 * stats.c - counters: hardware polling, the periodic log line, telemetry,
 * the --pcap summary and synackd.h's JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "control/json_out.h"
#include "synack_version.h"
#include "synackd.h"
#include "synackd_int.h"

static inline uint64_t rd(const volatile uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void add_worker(struct worker_stats *sum, const struct worker_stats *s)
{
	sum->frames += rd(&s->frames);
	sum->bytes += rd(&s->bytes);
	for (int r = 0; r < CLASSIFY_RESULT_COUNT; r++)
		sum->result[r] += rd(&s->result[r]);
	sum->match4 += rd(&s->match4);
	sum->match6 += rd(&s->match6);
	sum->ring_drops += rd(&s->ring_drops);
	sum->ring_waits += rd(&s->ring_waits);
	for (int f = 0; f < 256; f++)
		sum->flags[f] += rd(&s->flags[f]);
}

void stats_totals(struct worker_stats *sum)
{
	memset(sum, 0, sizeof *sum);
	for (unsigned i = 0; i < g.n_workers; i++)
		add_worker(sum, &g.workers[i].st);
}

/* Copy n bytes that the writer lcore publishes under the sequence count
 * seq (odd while it writes): retried until a copy saw no write. */
static void seq_copy(void *out, const void *src, size_t n, const volatile uint32_t *seq)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t a = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (a & 1)
			continue;
		memcpy(out, src, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == a)
			return;
	}
	memcpy(out, src, n);
}

static void writer_stats_copy(struct writer_stats *out)
{
	seq_copy(out, &g.wstats, sizeof *out, &g.wstats_seq);
}

/* The writer's current hourly file. */
static void current_log_copy(char out[CONFIG_STR])
{
	seq_copy(out, g.current_log, CONFIG_STR, &g.current_log_seq);
	out[CONFIG_STR - 1] = '\0';
}

/* 64-bit accumulation of counters that may be 32-bit (and sticky) in the
 * hardware: add the difference since the last poll; a counter that went
 * down was reset, so add its new value. */
static inline void acc(uint64_t *total, uint64_t now, uint64_t last)
{
	*total += now >= last ? now - last : now;
}

void stats_poll_ports(void)
{
	for (unsigned i = 0; i < g.n_ports; i++) {
		struct port_state *ps = &g.ports[i];
		struct rte_eth_stats s;
		if (rte_eth_stats_get(ps->port_id, &s) != 0)
			continue;
		acc(&ps->ipackets, s.ipackets, ps->last.ipackets);
		acc(&ps->ibytes, s.ibytes, ps->last.ibytes);
		acc(&ps->imissed, s.imissed, ps->last.imissed);
		acc(&ps->ierrors, s.ierrors, ps->last.ierrors);
		acc(&ps->rx_nombuf, s.rx_nombuf, ps->last.rx_nombuf);
		for (unsigned q = 0; q < ps->rx_queues && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
			acc(&ps->q_ipackets[q], s.q_ipackets[q], ps->last.q_ipackets[q]);
			acc(&ps->q_errors[q], s.q_errors[q], ps->last.q_errors[q]);
		}
		ps->last = s;
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(ps->port_id, &link) == 0) {
			ps->link_up = link.link_status == RTE_ETH_LINK_UP;
			ps->speed = link.link_speed;
		}
	}
}

void stats_log_line(void)
{
	struct worker_stats t;
	struct writer_stats w;
	stats_totals(&t);
	writer_stats_copy(&w);
	char ports[1024] = "";
	size_t off = 0;
	for (unsigned i = 0; i < g.n_ports && off < sizeof ports; i++) {
		const struct port_state *ps = &g.ports[i];
		off += (size_t)snprintf(ports + off, sizeof ports - off,
		                        " port%u rx=%" PRIu64 " missed=%" PRIu64 " nombuf=%" PRIu64
		                        " errors=%" PRIu64,
		                        i, ps->ipackets, ps->imissed, ps->rx_nombuf, ps->ierrors);
	}
	fprintf(stderr,
	        "synackd: stats frames=%" PRIu64 " synack=%" PRIu64 " ipv4=%" PRIu64
	        " ipv6=%" PRIu64 " excluded=%" PRIu64 " ring_drops=%" PRIu64 " records=%" PRIu64
	        " logged=%" PRIu64 " stored=%" PRIu64 " db_dropped=%" PRIu64 " db_pending=%" PRIu64
	        " ftp=%" PRIu64 " writer_errors=%" PRIu64 "%s%s\n",
	        t.frames, t.result[CLASSIFY_MATCH], t.match4, t.match6, t.result[CLASSIFY_EXCLUDED],
	        t.ring_drops, w.records, w.logged, w.stored, w.db_dropped, w.db_pending,
	        w.ftp_active + w.ftp_passive, w.log_errors + w.db_errors, ports,
	        w.disk_low ? " DISK_LOW logs paused" : "");
}

/* ------------------------------------------------------------- JSON out */

static void json_worker(struct json_out *j, const char *key, const struct worker_stats *s)
{
	json_out_object_begin(j, key);
	json_out_u64(j, "frames", s->frames);
	json_out_u64(j, "bytes", s->bytes);
	json_out_u64(j, "synack", s->result[CLASSIFY_MATCH]);
	json_out_u64(j, "ipv4", s->match4);
	json_out_u64(j, "ipv6", s->match6);
	json_out_u64(j, "excluded", s->result[CLASSIFY_EXCLUDED]);
	json_out_u64(j, "ring_drops", s->ring_drops);
	json_out_u64(j, "ring_waits", s->ring_waits);
	json_out_object_begin(j, "results");
	for (int r = 0; r < CLASSIFY_RESULT_COUNT; r++)
		json_out_u64(j, classify_result_name((enum classify_result)r), s->result[r]);
	json_out_object_end(j);
	json_out_object_begin(j, "flags");
	for (int f = 0; f < 256; f++)
		if (s->flags[f]) {
			char k[8];
			snprintf(k, sizeof k, "0x%03x", f);
			json_out_u64(j, k, s->flags[f]);
		}
	json_out_object_end(j);
	json_out_object_end(j);
}

static void json_writer(struct json_out *j, const struct writer_stats *w)
{
	json_out_object_begin(j, "writer");
	json_out_u64(j, "records", w->records);
	json_out_u64(j, "logged", w->logged);
	json_out_u64(j, "stored", w->stored);
	json_out_u64(j, "db_dropped", w->db_dropped);
	json_out_u64(j, "db_pending", w->db_pending);
	json_out_u64(j, "ftp_active", w->ftp_active);
	json_out_u64(j, "ftp_passive", w->ftp_passive);
	json_out_u64(j, "log_errors", w->log_errors);
	json_out_u64(j, "seal_failures", w->seal_failures);
	json_out_u64(j, "db_errors", w->db_errors);
	json_out_bool(j, "disk_low", w->disk_low != 0);
	json_out_u64(j, "disk_low_events", w->disk_low_events);
	json_out_u64(j, "log_paused", w->log_paused);
	json_out_u64(j, "free_mb", w->free_bytes >> 20);
	json_out_u64(j, "pruned_files", w->pruned_files);
	json_out_u64(j, "pruned_rows", w->pruned_rows);
	json_out_object_end(j);
}

static void json_ports(struct json_out *j)
{
	json_out_array_begin(j, "ports");
	for (unsigned i = 0; i < g.n_ports; i++) {
		const struct port_state *ps = &g.ports[i];
		json_out_object_begin(j, NULL);
		json_out_u64(j, "port", i);
		json_out_string(j, "name", ps->name);
		json_out_u64(j, "ipackets", ps->ipackets);
		json_out_u64(j, "ibytes", ps->ibytes);
		json_out_u64(j, "imissed", ps->imissed);
		json_out_u64(j, "ierrors", ps->ierrors);
		json_out_u64(j, "rx_nombuf", ps->rx_nombuf);
		json_out_array_begin(j, "queues");
		for (unsigned q = 0; q < ps->rx_queues && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
			json_out_object_begin(j, NULL);
			json_out_u64(j, "queue", q);
			json_out_u64(j, "ipackets", ps->q_ipackets[q]);
			json_out_u64(j, "errors", ps->q_errors[q]);
			json_out_object_end(j);
		}
		json_out_array_end(j);
		json_out_object_end(j);
	}
	json_out_array_end(j);
}

void synackd_stats_json(struct json_out *j)
{
	static uint64_t prev_ns, prev_frames, prev_synack;
	struct worker_stats t;
	struct writer_stats w;
	stats_totals(&t);
	writer_stats_copy(&w);
	json_ports(j);
	json_out_array_begin(j, "workers");
	for (unsigned i = 0; i < g.n_workers; i++) {
		struct worker_stats s;
		memset(&s, 0, sizeof s);
		add_worker(&s, &g.workers[i].st);
		json_out_object_begin(j, NULL);
		json_out_u64(j, "worker", i);
		json_out_u64(j, "lcore", g.workers[i].lcore);
		json_worker(j, "counters", &s);
		json_out_object_end(j);
	}
	json_out_array_end(j);
	json_writer(j, &w);
	json_worker(j, "totals", &t);
	uint64_t now = wall_ns();
	double dt = prev_ns ? (double)(now - prev_ns) / 1e9 : 0;
	json_out_object_begin(j, "rates");
	json_out_double(j, "interval_s", dt);
	json_out_double(j, "frames_per_s", dt > 0 ? (double)(t.frames - prev_frames) / dt : 0);
	json_out_double(j, "synack_per_s",
	                dt > 0 ? (double)(t.result[CLASSIFY_MATCH] - prev_synack) / dt : 0);
	json_out_object_end(j);
	prev_ns = now;
	prev_frames = t.frames;
	prev_synack = t.result[CLASSIFY_MATCH];
}

void synackd_status_json(struct json_out *j)
{
	json_out_string(j, "version", SYNACK_VERSION);
	json_out_u64(j, "uptime_s", (wall_ns() - g.start_ns) / 1000000000ull);
	json_out_string(j, "mode", g.pcap_mode ? "pcap" : "ports");
	json_out_array_begin(j, "ports");
	for (unsigned i = 0; i < g.n_ports; i++) {
		const struct port_state *ps = &g.ports[i];
		json_out_object_begin(j, NULL);
		json_out_u64(j, "port", i);
		json_out_string(j, "name", ps->name);
		json_out_string(j, "driver", ps->driver);
		json_out_bool(j, "link_up", ps->link_up);
		json_out_u64(j, "speed_mbps", ps->speed);
		json_out_u64(j, "rx_queues", ps->rx_queues);
		json_out_bool(j, "rss", ps->rss);
		json_out_object_end(j);
	}
	json_out_array_end(j);
	json_out_array_begin(j, "lcores");
	json_out_object_begin(j, NULL);
	json_out_u64(j, "lcore", g.cfg.main_lcore);
	json_out_string(j, "role", "main");
	json_out_object_end(j);
	for (unsigned i = 0; i < g.n_workers; i++) {
		const struct worker *w = &g.workers[i];
		for (unsigned q = 0; q < w->n_q || (q == 0 && w->n_q == 0); q++) {
			json_out_object_begin(j, NULL);
			json_out_u64(j, "lcore", w->lcore);
			json_out_string(j, "role", "worker");
			if (w->n_q) {
				json_out_u64(j, "port", w->q[q].port);
				json_out_u64(j, "queue", w->q[q].queue);
			}
			json_out_object_end(j);
		}
	}
	json_out_object_begin(j, NULL);
	json_out_u64(j, "lcore", g.writer_lcore);
	json_out_string(j, "role", "writer");
	json_out_object_end(j);
	json_out_array_end(j);
	json_out_string(j, "data_dir", g.cfg.data_dir);
	char current_log[sizeof g.current_log];
	current_log_copy(current_log);
	json_out_string(j, "current_log", current_log);
	json_out_string(j, "config_file", g.config_file);
	json_out_string(j, "capabilities", g.capabilities_dropped ? "dropped" : "kept");
	char uid[32];
	snprintf(uid, sizeof uid, "uid %u", (unsigned)geteuid());
	if (g.capabilities_dropped && g.cfg.user[0])
		json_out_string(j, "user", g.cfg.user);
	else
		json_out_string(j, "user", geteuid() == 0 ? "root" : uid);
}

/* ------------------------------------------------------------ telemetry */

static void tel_worker(struct rte_tel_data *d, const struct worker_stats *s)
{
	rte_tel_data_add_dict_u64(d, "frames", s->frames);
	rte_tel_data_add_dict_u64(d, "synack", s->result[CLASSIFY_MATCH]);
	rte_tel_data_add_dict_u64(d, "ipv4", s->match4);
	rte_tel_data_add_dict_u64(d, "ipv6", s->match6);
	rte_tel_data_add_dict_u64(d, "excluded", s->result[CLASSIFY_EXCLUDED]);
	rte_tel_data_add_dict_u64(d, "ring_drops", s->ring_drops);
	for (int r = 0; r < CLASSIFY_RESULT_COUNT; r++) {
		char k[64];
		snprintf(k, sizeof k, "result_%s", classify_result_name((enum classify_result)r));
		rte_tel_data_add_dict_u64(d, k, s->result[r]);
	}
}

static void tel_writer(struct rte_tel_data *d)
{
	struct writer_stats w;
	writer_stats_copy(&w);
	rte_tel_data_add_dict_u64(d, "records", w.records);
	rte_tel_data_add_dict_u64(d, "logged", w.logged);
	rte_tel_data_add_dict_u64(d, "stored", w.stored);
	rte_tel_data_add_dict_u64(d, "db_dropped", w.db_dropped);
	rte_tel_data_add_dict_u64(d, "db_pending", w.db_pending);
	rte_tel_data_add_dict_u64(d, "ftp_active", w.ftp_active);
	rte_tel_data_add_dict_u64(d, "ftp_passive", w.ftp_passive);
	rte_tel_data_add_dict_u64(d, "log_errors", w.log_errors);
	rte_tel_data_add_dict_u64(d, "seal_failures", w.seal_failures);
	rte_tel_data_add_dict_u64(d, "db_errors", w.db_errors);
	rte_tel_data_add_dict_u64(d, "disk_low", w.disk_low);
	rte_tel_data_add_dict_u64(d, "log_paused", w.log_paused);
	rte_tel_data_add_dict_u64(d, "pruned_files", w.pruned_files);
	rte_tel_data_add_dict_u64(d, "pruned_rows", w.pruned_rows);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct worker_stats t;
	stats_totals(&t);
	rte_tel_data_start_dict(d);
	tel_worker(d, &t);
	struct writer_stats w;
	writer_stats_copy(&w);
	rte_tel_data_add_dict_u64(d, "records_stored", w.stored);
	rte_tel_data_add_dict_u64(d, "records_db_dropped", w.db_dropped);
	rte_tel_data_add_dict_u64(d, "records_logged", w.logged);
	uint64_t missed = 0, rx = 0;
	for (unsigned i = 0; i < g.n_ports; i++) {
		rx += g.ports[i].ipackets;
		missed += g.ports[i].imissed + g.ports[i].rx_nombuf;
	}
	rte_tel_data_add_dict_u64(d, "port_rx", rx);
	rte_tel_data_add_dict_u64(d, "port_missed", missed);
	return 0;
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < g.n_ports; i++) {
		const struct port_state *ps = &g.ports[i];
		struct rte_tel_data *p = rte_tel_data_alloc();
		if (!p)
			return -1;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", ps->name);
		rte_tel_data_add_dict_string(p, "driver", ps->driver);
		rte_tel_data_add_dict_u64(p, "rx_queues", ps->rx_queues);
		rte_tel_data_add_dict_u64(p, "rss", ps->rss);
		rte_tel_data_add_dict_u64(p, "ipackets", ps->ipackets);
		rte_tel_data_add_dict_u64(p, "imissed", ps->imissed);
		rte_tel_data_add_dict_u64(p, "ierrors", ps->ierrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", ps->rx_nombuf);
		for (unsigned q = 0; q < ps->rx_queues && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
			char k[32];
			snprintf(k, sizeof k, "q%u_ipackets", q);
			rte_tel_data_add_dict_u64(p, k, ps->q_ipackets[q]);
		}
		char k[24];
		snprintf(k, sizeof k, "port%u", i);
		rte_tel_data_add_dict_container(d, k, p, 0);
	}
	return 0;
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < g.n_workers; i++) {
		struct worker_stats s;
		memset(&s, 0, sizeof s);
		add_worker(&s, &g.workers[i].st);
		struct rte_tel_data *w = rte_tel_data_alloc();
		if (!w)
			return -1;
		rte_tel_data_start_dict(w);
		rte_tel_data_add_dict_u64(w, "lcore", g.workers[i].lcore);
		tel_worker(w, &s);
		char k[24];
		snprintf(k, sizeof k, "worker%u", i);
		rte_tel_data_add_dict_container(d, k, w, 0);
	}
	return 0;
}

static int tel_writer_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	tel_writer(d);
	return 0;
}

void telemetry_register(void)
{
	rte_telemetry_register_cmd(
	    "/synack/stats", tel_stats,
	    "synackd totals: frames, SYN+ACKs, drops, records. No parameters");
	rte_telemetry_register_cmd("/synack/ports", tel_ports,
	                           "synackd per port and queue counters. No parameters");
	rte_telemetry_register_cmd("/synack/workers", tel_workers,
	                           "synackd per worker counters. No parameters");
	rte_telemetry_register_cmd("/synack/writer", tel_writer_cb,
	                           "synackd writer counters. No parameters");
}

/* ---------------------------------------------------------- --pcap summary */

void summary_print(bool json, int status, const char *errors)
{
	struct worker_stats t;
	struct writer_stats w;
	stats_totals(&t);
	writer_stats_copy(&w);
	if (json) {
		struct json_out j;
		json_out_init(&j);
		json_out_object_begin(&j, NULL);
		json_out_u64(&j, "workers", g.n_workers);
		json_out_u64(&j, "frames", t.frames);
		json_out_u64(&j, "synack", t.result[CLASSIFY_MATCH]);
		json_out_u64(&j, "ipv4", t.match4);
		json_out_u64(&j, "ipv6", t.match6);
		json_out_u64(&j, "excluded", t.result[CLASSIFY_EXCLUDED]);
		json_out_u64(&j, "ring_drops", t.ring_drops);
		json_out_u64(&j, "ring_waits", t.ring_waits);
		json_out_array_begin(&j, "worker_frames");
		for (unsigned i = 0; i < g.n_workers; i++)
			json_out_u64(&j, NULL, g.workers[i].st.frames);
		json_out_array_end(&j);
		json_worker(&j, "counters", &t);
		json_writer(&j, &w);
		json_out_i64(&j, "status", status);
		json_out_string(&j, "errors", errors ? errors : "");
		json_out_object_end(&j);
		if (j.buf)
			printf("%s\n", j.buf);
		json_out_free(&j);
	} else {
		printf("frames           %" PRIu64 "\n", t.frames);
		printf("synack           %" PRIu64 " (ipv4 %" PRIu64 ", ipv6 %" PRIu64 ")\n",
		       t.result[CLASSIFY_MATCH], t.match4, t.match6);
		printf("excluded         %" PRIu64 "\n", t.result[CLASSIFY_EXCLUDED]);
		printf("wrong_direction  %" PRIu64 "\n", t.result[CLASSIFY_WRONG_DIRECTION]);
		printf("records          %" PRIu64 "\n", w.records);
		printf("records_logged   %" PRIu64 "\n", w.logged);
		printf("records_stored   %" PRIu64 "\n", w.stored);
		if (w.db_dropped || w.db_pending)
			printf("records_db_lost  %" PRIu64 " (dropped %" PRIu64
			       ", never committed %" PRIu64 ")\n",
			       w.db_dropped + w.db_pending, w.db_dropped, w.db_pending);
		printf("ftp_data         %" PRIu64 " (active %" PRIu64 ", passive %" PRIu64 ")\n",
		       w.ftp_active + w.ftp_passive, w.ftp_active, w.ftp_passive);
		printf("ring_drops       %" PRIu64 "\n", t.ring_drops);
		printf("writer_errors    %" PRIu64 "\n", w.log_errors + w.db_errors);
	}
	fflush(stdout);
}
