/*
 * log_writer.c - the lossless hourly archive: column blocks in zstd frames.
 *
 * Each open hour file has its own zstd stream, per-frame dictionaries and a
 * pending block of records.  A block is encoded (doc/log-format.md) when it
 * is full or at a flush; full blocks go to zstd with ZSTD_e_continue, the
 * flush uses ZSTD_e_flush so that everything appended so far is decodable
 * from the file, and closing ends the frame (ZSTD_e_end) and fsyncs.
 */
#include "log/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "log/log_dict.h"
#include "log/log_format.h"

#define NS_PER_HOUR  3600000000000ull
#define MAX_OPEN     4
#define PATH_LEN     4096

struct hour_file {
	bool used;
	uint64_t hour; /* time_ns / NS_PER_HOUR */
	int fd;
	char path[PATH_LEN];
	ZSTD_CCtx *cctx;
	struct synack_record *pend;
	uint32_t npend;
	uint64_t prev_us;
	struct logf_dict svc, ext, misc;
	uint64_t last_flush_ns;
	uint64_t last_fsync_ns;
	uint64_t last_append_ns;
	uint64_t lru;
	bool unflushed; /* data given to zstd (or pending) since the last flush */
	bool unsynced;  /* bytes written since the last fsync */
};

struct log_writer {
	char data_dir[PATH_LEN];
	struct log_options opt;
	struct hour_file files[MAX_OPEN];
	uint64_t lru_clock;
	uint64_t record_clock_ns; /* newest record time seen */
	char current[PATH_LEN];
	const struct hour_file *current_file; /* whose path is in current */
	char error[256];
	/* encoder scratch */
	uint8_t *block;
	size_t block_cap;
	uint8_t *col;
	uint64_t *tmp_idx;
	uint8_t *zout;
	size_t zout_cap;
};

/* column scratch layout inside w->col (per record bytes) */
enum {
	C_TIME = 0,                          /* 4 planes + 10 escape */
	C_SVCI = C_TIME + 14 * LOGF_BLOCK_MAX, /* 5 */
	C_SVCK = C_SVCI + 5 * LOGF_BLOCK_MAX,  /* 1 */
	C_SVCA = C_SVCK + LOGF_BLOCK_MAX,      /* 16 */
	C_SVCP = C_SVCA + 16 * LOGF_BLOCK_MAX, /* 5: port, vlan, family */
	C_EXTI = C_SVCP + 5 * LOGF_BLOCK_MAX,  /* 5 */
	C_EXTK = C_EXTI + 5 * LOGF_BLOCK_MAX,  /* 1 */
	C_EXTA = C_EXTK + LOGF_BLOCK_MAX,      /* 16 */
	C_DPRT = C_EXTA + 16 * LOGF_BLOCK_MAX, /* 2 */
	C_MSCI = C_DPRT + 2 * LOGF_BLOCK_MAX,  /* 5 */
	C_MSCD = C_MSCI + 5 * LOGF_BLOCK_MAX,  /* 8 */
	C_END = C_MSCD + 8 * LOGF_BLOCK_MAX,
};

static void set_err(struct log_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct log_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

void log_options_default(struct log_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->flush_interval_ns = 1000000000ull;
	opt->fsync_interval_ns = 60000000000ull;
	opt->grace_ns = 120000000000ull;
	opt->compression_level = 3;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* Create DATA/logs/YYYY/MM/DD (0750) and fill path with the hour's file. */
static int hour_path(struct log_writer *w, uint64_t hour, char *path, size_t len)
{
	time_t t = (time_t)(hour * 3600ull);
	struct tm tm;
	char dir[PATH_LEN];

	if (!gmtime_r(&t, &tm)) {
		set_err(w, "hour %llu out of range", (unsigned long long)hour);
		return -1;
	}
	int y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday;
	const char *levels[] = {"logs", NULL, NULL, NULL};
	char part[3][16];
	snprintf(part[0], sizeof(part[0]), "%04d", y);
	snprintf(part[1], sizeof(part[1]), "%02d", mo);
	snprintf(part[2], sizeof(part[2]), "%02d", d);
	levels[1] = part[0];
	levels[2] = part[1];
	levels[3] = part[2];
	size_t off = (size_t)snprintf(dir, sizeof(dir), "%s", w->data_dir);
	for (int i = 0; i < 4; i++) {
		int n = snprintf(dir + off, sizeof(dir) - off, "/%s", levels[i]);
		if (n < 0 || (size_t)n >= sizeof(dir) - off) {
			set_err(w, "path too long");
			return -1;
		}
		off += (size_t)n;
		if (mkdir_one(dir) < 0) {
			set_err(w, "mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	int n = snprintf(path, len, "%s/synack-%04d%02d%02d-%02d.zst", dir, y, mo, d, tm.tm_hour);
	if (n < 0 || (size_t)n >= len) {
		set_err(w, "path too long");
		return -1;
	}
	return 0;
}

/* Run zstd on in (may be empty) with the given directive; write the output. */
static int zrun(struct log_writer *w, struct hour_file *f, const void *src, size_t len,
		ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {src, len, 0};
	for (;;) {
		ZSTD_outBuffer out = {w->zout, w->zout_cap, 0};
		size_t rem = ZSTD_compressStream2(f->cctx, &out, &in, mode);
		if (ZSTD_isError(rem)) {
			set_err(w, "%s: zstd: %s", f->path, ZSTD_getErrorName(rem));
			return -1;
		}
		if (out.pos) {
			if (write_all(f->fd, w->zout, out.pos) < 0) {
				set_err(w, "write %s: %s", f->path, strerror(errno));
				return -1;
			}
			f->unsynced = true;
		}
		if (mode == ZSTD_e_continue ? in.pos == in.size : rem == 0)
			return 0;
	}
}

/* Encode f's pending records as one block and hand it to zstd. */
static int encode_block(struct log_writer *w, struct hour_file *f, ZSTD_EndDirective mode)
{
	uint32_t n = f->npend;
	uint8_t *c = w->col;
	uint8_t *pt = c + C_TIME + 4 * (size_t)n, *psi = c + C_SVCI, *psk = c + C_SVCK, *psa = c + C_SVCA;
	uint8_t *pei = c + C_EXTI, *pek = c + C_EXTK, *pea = c + C_EXTA;
	uint8_t *pmi = c + C_MSCI, *pmd = c + C_MSCD;
	uint8_t *dhi = c + C_DPRT, *dlo = c + C_DPRT + LOGF_BLOCK_MAX;
	const struct synack_record **svc_new = (const struct synack_record **)(void *)w->tmp_idx;
	uint32_t nsvc = 0;
	struct logf_key k;

	if (n == 0)
		return mode == ZSTD_e_continue ? 0 : zrun(w, f, NULL, 0, mode);

	for (uint32_t i = 0; i < n; i++) {
		const struct synack_record *r = &f->pend[i];
		uint64_t us = r->time_ns / 1000;
		uint64_t z = logf_zigzag((int64_t)(us - f->prev_us));
		uint32_t v = z < LOGF_TIME_ESCAPE ? (uint32_t)z : LOGF_TIME_ESCAPE;
		for (int j = 0; j < 4; j++)
			c[C_TIME + (size_t)j * n + i] = (uint8_t)(v >> (8 * j));
		if (v == LOGF_TIME_ESCAPE)
			pt = logf_put_varint(pt, z);
		f->prev_us = us;

		/* internal address + port */
		logf_svc_key(&k, r->saddr, r->sport, r->vlan, r->family);
		uint64_t h = logf_hash(&k);
		int64_t idx = logf_dict_find(&f->svc, &k, h);
		if (idx >= 0) {
			psi = logf_put_varint(psi, (uint64_t)idx + 1);
		} else {
			*psi++ = 0;
			int kind = logf_addr_kind(r->saddr);
			*psk++ = (uint8_t)kind;
			memcpy(psa, r->saddr, (size_t)kind);
			psa += kind;
			svc_new[nsvc++] = r;
			if (logf_dict_add(&f->svc, &k, h, true) < 0 && f->svc.n < f->svc.max) {
				set_err(w, "out of memory");
				return -1;
			}
		}

		/* external address */
		logf_ext_key(&k, r->daddr);
		h = logf_hash(&k);
		idx = logf_dict_find(&f->ext, &k, h);
		if (idx >= 0) {
			pei = logf_put_varint(pei, (uint64_t)idx + 1);
		} else {
			*pei++ = 0;
			int kind = logf_addr_kind(r->daddr);
			*pek++ = (uint8_t)kind;
			memcpy(pea, r->daddr, (size_t)kind);
			pea += kind;
			if (logf_dict_add(&f->ext, &k, h, true) < 0 && f->ext.n < f->ext.max) {
				set_err(w, "out of memory");
				return -1;
			}
		}

		dhi[i] = (uint8_t)(r->dport >> 8);
		dlo[i] = (uint8_t)r->dport;

		/* flags, family, ftp, worker, vlan */
		memset(&k, 0, sizeof(k));
		k.w[0] = logf_misc_pack(r->flags, r->ftp, r->worker);
		h = logf_hash(&k);
		idx = logf_dict_find(&f->misc, &k, h);
		if (idx >= 0) {
			pmi = logf_put_varint(pmi, (uint64_t)idx + 1);
		} else {
			*pmi++ = 0;
			logf_put_u64(pmd, k.w[0]);
			pmd += 8;
			if (logf_dict_add(&f->misc, &k, h, true) < 0 && f->misc.n < f->misc.max) {
				set_err(w, "out of memory");
				return -1;
			}
		}
	}

	/* assemble: header (count, payload length) + columns in order */
	size_t lens[] = {
		(size_t)(pt - (c + C_TIME)),
		(size_t)(psi - (c + C_SVCI)),
		(size_t)(psk - (c + C_SVCK)),
		(size_t)(psa - (c + C_SVCA)),
		(size_t)nsvc * 5, /* port hi, lo, vlan hi, lo, family planes */
		(size_t)(pei - (c + C_EXTI)),
		(size_t)(pek - (c + C_EXTK)),
		(size_t)(pea - (c + C_EXTA)),
		(size_t)n, (size_t)n, /* dport hi, lo */
		(size_t)(pmi - (c + C_MSCI)),
		(size_t)(pmd - (c + C_MSCD)),
	};
	size_t payload = 0;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		payload += lens[i];
	uint8_t *b = w->block;
	b = logf_put_varint(b, n);
	b = logf_put_varint(b, payload);
#define COPY(src, len)                                                                             \
	do {                                                                                       \
		memcpy(b, (src), (len));                                                           \
		b += (len);                                                                        \
	} while (0)
	COPY(c + C_TIME, lens[0]);
	COPY(c + C_SVCI, lens[1]);
	COPY(c + C_SVCK, lens[2]);
	COPY(c + C_SVCA, lens[3]);
	for (uint32_t i = 0; i < nsvc; i++)
		*b++ = (uint8_t)(svc_new[i]->sport >> 8);
	for (uint32_t i = 0; i < nsvc; i++)
		*b++ = (uint8_t)svc_new[i]->sport;
	for (uint32_t i = 0; i < nsvc; i++)
		*b++ = (uint8_t)(svc_new[i]->vlan >> 8);
	for (uint32_t i = 0; i < nsvc; i++)
		*b++ = (uint8_t)svc_new[i]->vlan;
	for (uint32_t i = 0; i < nsvc; i++)
		*b++ = svc_new[i]->family;
	COPY(c + C_EXTI, lens[5]);
	COPY(c + C_EXTK, lens[6]);
	COPY(c + C_EXTA, lens[7]);
	COPY(dhi, n);
	COPY(dlo, n);
	COPY(c + C_MSCI, lens[10]);
	COPY(c + C_MSCD, lens[11]);
#undef COPY
	f->npend = 0;
	return zrun(w, f, w->block, (size_t)(b - w->block), mode);
}

static void file_release(struct hour_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->used = false;
	f->npend = 0;
}

/* Flush everything given so far (ZSTD_e_flush). */
static int file_flush(struct log_writer *w, struct hour_file *f, uint64_t now_ns)
{
	if (f->unflushed) {
		if (encode_block(w, f, ZSTD_e_flush) < 0)
			return -1;
		f->unflushed = false;
	}
	f->last_flush_ns = now_ns;
	return 0;
}

static int file_sync(struct log_writer *w, struct hour_file *f, uint64_t now_ns)
{
	if (f->unsynced && fsync(f->fd) < 0) {
		set_err(w, "fsync %s: %s", f->path, strerror(errno));
		return -1;
	}
	f->unsynced = false;
	f->last_fsync_ns = now_ns;
	return 0;
}

/* End the frame, fsync, close. The slot is free afterwards even on error. */
static int file_close(struct log_writer *w, struct hour_file *f)
{
	int rc = 0;
	if (!f->used)
		return 0;
	if (encode_block(w, f, ZSTD_e_end) < 0)
		rc = -1;
	if (rc == 0 && file_sync(w, f, 0) < 0)
		rc = -1;
	file_release(f);
	return rc;
}

static int file_open(struct log_writer *w, struct hour_file *f, uint64_t hour, uint64_t now_ns)
{
	char path[PATH_LEN];
	uint8_t hdr[LOGF_HDR_TOTAL];

	if (hour_path(w, hour, path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		set_err(w, "open %s: %s", path, strerror(errno));
		return -1;
	}
	ZSTD_CCtx_reset(f->cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_compressionLevel, w->opt.compression_level);
	ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_checksumFlag, 1);

	memset(hdr, 0, sizeof(hdr));
	logf_put_u32(hdr, LOGF_SKIP_MAGIC);
	logf_put_u32(hdr + 4, LOGF_HDR_PAYLOAD);
	memcpy(hdr + 8, LOGF_HDR_MAGIC, LOGF_HDR_MAGIC_LEN);
	logf_put_u16(hdr + 14, LOGF_VERSION);
	logf_put_u32(hdr + 16, w->opt.sensor_id);
	logf_put_u32(hdr + 20, 0); /* reserved */
	logf_put_u64(hdr + 24, now_ns);
	logf_put_u64(hdr + 32, hour * 3600ull);
	/* A crash can leave a cut frame at the end: the marker re-syncs the
	 * reader, so a restart simply appends. */
	if (write_all(fd, hdr, sizeof(hdr)) < 0) {
		set_err(w, "write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	f->used = true;
	f->fd = fd;
	if (w->current_file == f)
		w->current_file = NULL;
	f->hour = hour;
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->npend = 0;
	f->prev_us = 0;
	logf_dict_reset(&f->svc);
	logf_dict_reset(&f->ext);
	logf_dict_reset(&f->misc);
	f->last_flush_ns = now_ns;
	f->last_fsync_ns = now_ns;
	f->last_append_ns = now_ns;
	f->unflushed = false;
	f->unsynced = true;
	return 0;
}

struct log_writer *log_writer_open(const char *data_dir, const struct log_options *opt, char *err,
				   size_t errlen)
{
	struct log_writer *w = calloc(1, sizeof(*w));
	struct stat st;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt)
		w->opt = *opt;
	else
		log_options_default(&w->opt);
	if (w->opt.flush_interval_ns == 0)
		w->opt.flush_interval_ns = 1000000000ull;
	if (w->opt.compression_level == 0)
		w->opt.compression_level = 3;
	if (snprintf(w->data_dir, sizeof(w->data_dir), "%s", data_dir) >= (int)sizeof(w->data_dir) - 64) {
		snprintf(err, errlen, "data dir path too long");
		free(w);
		return NULL;
	}
	if (stat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "data dir %s: %s", data_dir,
			 errno ? strerror(errno) : "not a directory");
		free(w);
		return NULL;
	}
	w->block_cap = 16 + (size_t)C_END;
	w->block = malloc(w->block_cap);
	w->col = malloc((size_t)C_END);
	w->tmp_idx = malloc(LOGF_BLOCK_MAX * sizeof(uint64_t));
	w->zout_cap = ZSTD_CStreamOutSize();
	w->zout = malloc(w->zout_cap);
	bool ok = w->block && w->col && w->tmp_idx && w->zout;
	for (int i = 0; i < MAX_OPEN && ok; i++) {
		struct hour_file *f = &w->files[i];
		f->fd = -1;
		f->cctx = ZSTD_createCCtx();
		f->pend = malloc(LOGF_BLOCK_MAX * sizeof(*f->pend));
		if (!f->cctx || !f->pend || logf_dict_init(&f->svc, LOGF_SVC_DICT_MAX) < 0 ||
		    logf_dict_init(&f->ext, LOGF_EXT_DICT_MAX) < 0 ||
		    logf_dict_init(&f->misc, LOGF_MISC_DICT_MAX) < 0)
			ok = false;
	}
	if (!ok) {
		snprintf(err, errlen, "out of memory");
		log_writer_close(w);
		return NULL;
	}
	return w;
}

static struct hour_file *file_for(struct log_writer *w, uint64_t hour, uint64_t now_ns, int *rc)
{
	struct hour_file *victim = NULL;

	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (f->used && f->hour == hour)
			return f;
	}
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used) {
			victim = f;
			break;
		}
		if (!victim || f->lru < victim->lru)
			victim = f;
	}
	if (victim->used && file_close(w, victim) < 0)
		*rc = -1;
	if (file_open(w, victim, hour, now_ns) < 0)
		return NULL;
	return victim;
}

int log_writer_append(struct log_writer *w, const struct synack_record *recs, size_t n,
		      uint64_t now_ns)
{
	int rc = 0;
	struct hour_file *f = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct synack_record *r = &recs[i];
		uint64_t hour = r->time_ns / NS_PER_HOUR;

		if (r->time_ns > w->record_clock_ns)
			w->record_clock_ns = r->time_ns;
		if (!f || !f->used || f->hour != hour) {
			f = file_for(w, hour, now_ns, &rc);
			if (!f) {
				rc = -1;
				continue; /* error set; try the others */
			}
		}
		f->pend[f->npend++] = *r;
		f->unflushed = true;
		f->last_append_ns = now_ns;
		f->lru = ++w->lru_clock;
		if (f != w->current_file) {
			snprintf(w->current, sizeof(w->current), "%s", f->path);
			w->current_file = f;
		}
		if (f->npend == LOGF_BLOCK_MAX && encode_block(w, f, ZSTD_e_continue) < 0) {
			file_release(f);
			f = NULL;
			rc = -1;
		}
	}
	if (log_writer_tick(w, now_ns) < 0)
		rc = -1;
	return rc;
}

int log_writer_tick(struct log_writer *w, uint64_t now_ns)
{
	int rc = 0;

	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used)
			continue;
		uint64_t end = (f->hour + 1) * NS_PER_HOUR + w->opt.grace_ns;
		/* Close an hour once records (replays) or the idle wall clock are
		 * past its end plus the grace period. */
		bool old_by_records = w->record_clock_ns >= end;
		bool old_by_clock = now_ns >= end && now_ns >= f->last_append_ns &&
				    now_ns - f->last_append_ns >= w->opt.grace_ns;
		if (old_by_records || old_by_clock) {
			if (file_close(w, f) < 0)
				rc = -1;
			continue;
		}
		if (f->unflushed && now_ns - f->last_flush_ns >= w->opt.flush_interval_ns) {
			if (file_flush(w, f, now_ns) < 0) {
				file_release(f);
				rc = -1;
				continue;
			}
		}
		if (w->opt.fsync_interval_ns && f->unsynced && !f->unflushed &&
		    now_ns - f->last_fsync_ns >= w->opt.fsync_interval_ns) {
			if (file_sync(w, f, now_ns) < 0) {
				file_release(f);
				rc = -1;
			}
		}
	}
	return rc;
}

int log_writer_flush(struct log_writer *w)
{
	int rc = 0;

	/* The caller's clock is not known here: keep the interval stamps. */
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used)
			continue;
		if (file_flush(w, f, f->last_flush_ns) < 0 || file_sync(w, f, f->last_fsync_ns) < 0) {
			file_release(f);
			rc = -1;
		}
	}
	return rc;
}

int log_writer_rotate(struct log_writer *w)
{
	int rc = 0;
	for (int i = 0; i < MAX_OPEN; i++)
		if (w->files[i].used && file_close(w, &w->files[i]) < 0)
			rc = -1;
	return rc;
}

const char *log_writer_current_path(const struct log_writer *w)
{
	return w->current;
}

const char *log_writer_error(const struct log_writer *w)
{
	return w->error;
}

void log_writer_close(struct log_writer *w)
{
	if (!w)
		return;
	log_writer_rotate(w);
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		ZSTD_freeCCtx(f->cctx);
		free(f->pend);
		logf_dict_free(&f->svc);
		logf_dict_free(&f->ext);
		logf_dict_free(&f->misc);
	}
	free(w->block);
	free(w->col);
	free(w->tmp_idx);
	free(w->zout);
	free(w);
}
