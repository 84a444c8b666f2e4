/*
 * synackd_int.h - state shared by the parts of the daemon (main lcore,
 * workers, writer lcore, stats/telemetry).  Not an interface for others:
 * see synackd.h for that.
 */
#ifndef SYNACKD_INT_H
#define SYNACKD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "classify/classifier.h"
#include "config/config.h"
#include "record.h"
#include "util/tsc_clock.h"
#include "writer/writer.h"

#define MAX_WORKERS       32
#define MAX_WORKER_QUEUES 16
#define MAX_PCAP_FILES    256

/* Immutable once published; swapped whole on reload. */
struct policy {
	struct classify_policy cp;
	struct prefix_set *internal, *excluded;
};

/* Written by its worker only, read by main and telemetry. */
struct worker_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t result[CLASSIFY_RESULT_COUNT];
	uint64_t match4, match6;
	uint64_t ring_drops;
	uint64_t ring_waits; /* --pcap: times the ring was full (waited, nothing lost) */
	uint64_t flags[256];
} __rte_cache_aligned;

struct worker {
	unsigned index, lcore;
	unsigned n_q;
	struct {
		uint16_t port, queue;
	} q[MAX_WORKER_QUEUES];
	struct rte_ring *ring;
	/* --pcap mode: files read by this worker; with n_parts > 1 every file is
	 * one file read in n_parts byte ranges by as many workers, this one
	 * reading range part (capture_skip_to/capture_set_end) */
	unsigned part, n_parts;
	pthread_t thread; /* --pcap mode runs workers and the writer as threads */
	unsigned n_files;
	const char *files[MAX_PCAP_FILES];
	struct worker_stats st;
	/* quiescent-state counter: bumped after every loop (no policy held) */
	volatile uint64_t epoch __rte_cache_aligned;
	volatile uint64_t progress_bytes, total_bytes;
	volatile int running; /* 1 from launch until the loop has ended */
	int failed;           /* --pcap: a file could not be read to its end */
	char error[512];
};

struct port_state {
	uint16_t port_id;
	char name[CONFIG_STR];
	char driver[64];
	unsigned rx_queues;
	bool rss;
	uint64_t rss_hf;
	/* 64-bit accumulations of the hardware counters */
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
	uint64_t q_ipackets[RTE_ETHDEV_QUEUE_STAT_CNTRS], q_errors[RTE_ETHDEV_QUEUE_STAT_CNTRS];
	struct rte_eth_stats last;
	bool link_up;
	uint32_t speed;
};

enum writer_req { REQ_NONE = 0, REQ_ROTATE, REQ_FLUSH, REQ_FTP };

/* A request's way from main to the writer lcore (g.req_state): main posts
 * it; the writer takes it (compare-and-swap), carries it out and marks it
 * done.  Main may withdraw a request the writer has not taken yet; one the
 * writer has taken is always finished before main posts the next. */
enum writer_req_state { REQ_IDLE = 0, REQ_POSTED, REQ_TAKEN, REQ_DONE };

struct tsc_anchor {
	uint64_t tsc, ns;
};

struct synackd {
	struct synackd_config cfg;
	bool pcap_mode;
	bool capabilities_dropped; /* privileges_drop() succeeded */
	bool progress, summary_json;
	char config_file[CONFIG_STR];
	uint64_t start_ns;

	struct policy *policy; /* read with __atomic_load_n(ACQUIRE) */

	unsigned n_workers;
	struct worker workers[MAX_WORKERS];
	unsigned n_ports;
	struct port_state ports[CONFIG_MAX_PORTS];
	unsigned writer_lcore;
	pthread_t writer_thread; /* --pcap mode */
	struct rte_mempool *pool;

	/* time: anchors published by main, read by workers */
	struct tsc_anchor anchors[4];
	volatile unsigned anchor_idx;
	uint64_t tsc_hz;
	uint64_t ns_mult; /* ns per tsc tick << 32 */

	/* stop: workers first, then the writer drains */
	volatile int stop_workers;
	volatile int workers_done;         /* no worker will enqueue another record */
	volatile unsigned workers_reading; /* --pcap: workers not yet at end of input */
	bool pcap_prefault;                /* --pcap: a CPU is free to map pages ahead */

	/* writer lcore */
	struct writer *writer;
	int req_state; /* enum writer_req_state, accessed atomically */
	int req_kind, req_rc;
	struct ftp_options req_ftp; /* REQ_FTP: the new rules, owned by main */
	char req_err[256];
	struct writer_stats wstats; /* copy published by the writer lcore */
	volatile uint32_t wstats_seq;
	char current_log[CONFIG_STR]; /* written by the writer under current_log_seq */
	uint32_t current_log_seq;
	volatile int writer_failed;
	char writer_error[256];
};

extern struct synackd g;

/* time (lib/util/tsc_clock.h) */
static inline uint64_t tsc_to_ns(uint64_t tsc)
{
	const struct tsc_anchor *a =
	    &g.anchors[__atomic_load_n(&g.anchor_idx, __ATOMIC_ACQUIRE) & 3];
	return tsc_clock_ns(a->tsc, a->ns, g.ns_mult, tsc);
}
uint64_t wall_ns(void);
void time_anchor(void);

/* dataplane.c */
int ports_setup(char *err, size_t errlen);
void ports_stop(void);
int worker_main_ports(void *arg);
int worker_main_pcap(void *arg);
int writer_main(void *arg);
int rings_create(char *err, size_t errlen);
void rings_free(void);
int threads_launch_pcap(char *err, size_t errlen);
void threads_join_workers(void);
void threads_join_writer(void);

/* policy */
struct policy *policy_build(const struct synackd_config *c, char *err, size_t errlen);
void policy_free(struct policy *p);

/* stats.c */
void stats_poll_ports(void);
void stats_log_line(void);
void stats_totals(struct worker_stats *sum);
void telemetry_register(void);
void summary_print(bool json, int status, const char *errors);

#endif /* SYNACKD_INT_H */
