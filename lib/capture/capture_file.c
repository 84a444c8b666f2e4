/*
 * capture_file.c - pcap and pcapng reader without libpcap.
 *
 * Regular files are mapped whole (mmap, MADV_SEQUENTIAL); pipes and standard
 * input go through a growing read() buffer.  Either way the parser sees one
 * window [buf, buf + len) and asks for more bytes with need(); a frame's data
 * points into that window and stays valid until the next capture_next().
 *
 * Damage handling: every complete record/block before the damage is
 * returned; then CAPTURE_ERROR with a message naming the file and the byte
 * offset where the damaged record or block starts.  See doc/capture-files.md.
 */
#include "capture/capture_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest frame we accept (libpcap's MAXIMUM_SNAPLEN). */
#define CAPTURE_MAX_FRAME (256u * 1024u)
/* A classic pcap file's header; the first record follows. */
#define PCAP_FILE_HEADER_LEN 24
/* Largest pcapng block we accept (options, name resolution blocks...). */
#define CAPTURE_MAX_BLOCK (16u * 1024u * 1024u)
/* Bytes ahead of the parser that a mapped batch asks the CPU to load: the
 * hardware prefetcher stops at each 4 KiB page, the parser waits at the
 * first record of every page without this. */
#define PREFETCH_AHEAD 2048
#define STREAM_CHUNK   (4u * 1024u * 1024u)
#define PREFAULT_CHUNK (8u * 1024u * 1024u)
#define MAX_INTERFACES 65536u

enum fmt { FMT_PCAP, FMT_PCAP_NS, FMT_PCAPNG };

struct iface {
	int linktype;
	uint32_t snaplen;
	uint64_t units;      /* timestamp units per second */
	int64_t tsoffset_ns; /* if_tsoffset, in ns */
};

/* capture_prefault_start(): a thread that maps a range of the file's pages
 * ahead of the reader. */
struct prefault {
	pthread_t thread;
	const uint8_t *start; /* page-aligned */
	size_t len;
	int stop;
};

struct capture_file {
	char *name; /* for messages */
	int fd;
	bool mapped;
	bool shared;               /* capture_share(): the mapping belongs to another handle */
	struct prefault *prefault; /* capture_prefault_start(), or NULL */
	bool eof;                  /* no more bytes will arrive after buf[len) */
	const uint8_t *buf;        /* window */
	uint8_t *own;              /* stream buffer (== buf when streaming) */
	size_t cap;                /* stream buffer capacity */
	size_t len;                /* valid bytes in window */
	size_t pos;                /* parse position in window */
	uint64_t base;             /* file offset of buf[0] */
	uint64_t size;             /* file size, 0 if unknown */

	enum fmt fmt;
	bool swap;
	/* pcap */
	uint32_t snaplen;
	int linktype;
	uint32_t frac_mult; /* 1000 for microseconds, 1 for nanoseconds */
	uint32_t rec_hdr;   /* 16; 24 for the "modified" (Kuznetzov) pcap */
	/* pcapng */
	struct iface *ifs;
	uint32_t nifs, ifcap;
	bool first_if_seen;
	int first_linktype;

	uint64_t stop_at; /* capture_set_end(): clean end at the first record from here */
	bool prescan;     /* open: read SHB/IDBs, stop before the first packet */
	bool failed;
	char err[512];
};

static inline uint16_t rd16(const struct capture_file *c, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return c->swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t rd32(const struct capture_file *c, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return c->swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t rd64(const struct capture_file *c, const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return c->swap ? __builtin_bswap64(v) : v;
}

__attribute__((format(printf, 2, 3))) static enum capture_status fail(struct capture_file *c,
                                                                      const char *fmt, ...)
{
	int n = snprintf(c->err, sizeof(c->err), "%s: ", c->name);
	if (n < 0 || (size_t)n >= sizeof(c->err))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
	c->failed = true;
	return CAPTURE_ERROR;
}

/* Make at least n bytes available at buf + pos.  Returns the number of bytes
 * available (>= n on success, less only at end of input). */
static size_t need(struct capture_file *c, size_t n)
{
	size_t avail = c->len - c->pos;
	if (avail >= n || c->eof)
		return avail;
	/* Compact, grow, read. */
	if (c->pos > 0) {
		memmove(c->own, c->own + c->pos, avail);
		c->base += c->pos;
		c->len = avail;
		c->pos = 0;
	}
	if (n > c->cap) {
		size_t ncap = c->cap;
		while (ncap < n)
			ncap *= 2;
		uint8_t *p = realloc(c->own, ncap);
		if (!p) {
			c->eof = true;
			return c->len;
		}
		c->own = p;
		c->cap = ncap;
	}
	c->buf = c->own;
	while (c->len < n) {
		ssize_t r = read(c->fd, c->own + c->len, c->cap - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			c->eof = true;
			break;
		}
		c->len += (size_t)r;
	}
	return c->len - c->pos;
}

static inline uint64_t offset_now(const struct capture_file *c)
{
	return c->base + c->pos;
}

uint64_t capture_offset(const struct capture_file *c)
{
	return c ? offset_now(c) : 0;
}

uint64_t capture_size(const struct capture_file *c)
{
	return c ? c->size : 0;
}

const char *capture_error(const struct capture_file *c)
{
	if (!c)
		return "no capture";
	return c->failed ? c->err : "";
}

int capture_linktype(const struct capture_file *c)
{
	if (c->fmt == FMT_PCAPNG)
		return c->first_if_seen ? c->first_linktype : -1;
	return c->linktype;
}

const char *capture_format(const struct capture_file *c)
{
	switch (c->fmt) {
	case FMT_PCAP:
		return "pcap";
	case FMT_PCAP_NS:
		return "pcap-ns";
	case FMT_PCAPNG:
		return "pcapng";
	}
	return "?";
}

static int normalize_linktype(uint32_t lt)
{
	lt &= 0x03FFFFFFu; /* upper bits: FCS length flags */
	/* DLT_RAW as some systems wrote it into files. */
	if (lt == 12 || lt == 14)
		return 101;
	return (int)lt;
}

static const struct {
	int lt;
	const char *name;
} lt_names[] = {
    {0, "NULL"},
    {1, "EN10MB"},
    {6, "IEEE802"},
    {8, "SLIP"},
    {9, "PPP"},
    {10, "FDDI"},
    {50, "PPP_HDLC"},
    {51, "PPP_ETHER"},
    {101, "RAW"},
    {104, "C_HDLC"},
    {105, "IEEE802_11"},
    {107, "FRELAY"},
    {108, "LOOP"},
    {113, "LINUX_SLL"},
    {119, "PRISM_HEADER"},
    {127, "IEEE802_11_RADIO"},
    {138, "APPLE_IP_OVER_IEEE1394"},
    {139, "MTP2_WITH_PHDR"},
    {143, "DOCSIS"},
    {163, "IEEE802_11_RADIO_AVS"},
    {187, "BLUETOOTH_HCI_H4"},
    {189, "USB_LINUX"},
    {195, "IEEE802_15_4"},
    {201, "BLUETOOTH_HCI_H4_WITH_PHDR"},
    {220, "USB_LINUX_MMAPPED"},
    {228, "IPV4"},
    {229, "IPV6"},
    {239, "NFLOG"},
    {247, "NETANALYZER"},
    {252, "WIRESHARK_UPPER_PDU"},
    {263, "IPNET"},
    {274, "ETHERNET_MPACKET"},
    {276, "LINUX_SLL2"},
};

const char *capture_linktype_name(int linktype)
{
	for (size_t i = 0; i < sizeof(lt_names) / sizeof(lt_names[0]); i++)
		if (lt_names[i].lt == linktype)
			return lt_names[i].name;
	return NULL;
}

static enum capture_status next_pcapng(struct capture_file *c, struct capture_frame *f);

/* ---------------------------------------------------------------- open */

static int read_pcap_header(struct capture_file *c, char *err, size_t errlen)
{
	size_t have = need(c, 24);
	if (have < 24) {
		snprintf(err, errlen, "%s: truncated pcap file header (%zu of 24 bytes)", c->name,
		         have);
		return -1;
	}
	const uint8_t *p = c->buf + c->pos;
	uint32_t magic;
	memcpy(&magic, p, 4);
	switch (magic) {
	case 0xa1b2c3d4:
		c->fmt = FMT_PCAP;
		break;
	case 0xd4c3b2a1:
		c->fmt = FMT_PCAP;
		c->swap = true;
		break;
	case 0xa1b23c4d:
		c->fmt = FMT_PCAP_NS;
		break;
	case 0x4d3cb2a1:
		c->fmt = FMT_PCAP_NS;
		c->swap = true;
		break;
	case 0xa1b2cd34: /* Alexey Kuznetzov's patched libpcap: 8 more header bytes */
		c->fmt = FMT_PCAP;
		c->rec_hdr = 24;
		break;
	case 0x34cdb2a1:
		c->fmt = FMT_PCAP;
		c->swap = true;
		c->rec_hdr = 24;
		break;
	}
	if (!c->rec_hdr)
		c->rec_hdr = 16;
	c->frac_mult = c->fmt == FMT_PCAP_NS ? 1 : 1000;
	uint16_t major = rd16(c, p + 4), minor = rd16(c, p + 6);
	if (major != 2) {
		snprintf(err, errlen, "%s: unsupported pcap version %u.%u (need 2.x)", c->name,
		         major, minor);
		return -1;
	}
	c->snaplen = rd32(c, p + 16);
	c->linktype = normalize_linktype(rd32(c, p + 20));
	c->pos += 24;
	return 0;
}

struct capture_file *capture_open(const char *path, char *err, size_t errlen)
{
	if (!err || errlen == 0) {
		static char dummy[8];
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	if (!path) {
		snprintf(err, errlen, "no file name");
		return NULL;
	}
	struct capture_file *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	bool is_stdin = strcmp(path, "-") == 0;
	c->name = strdup(is_stdin ? "stdin" : path);
	c->fd = -1;
	c->stop_at = UINT64_MAX;
	if (!c->name)
		goto oom;
	if (is_stdin) {
		c->fd = STDIN_FILENO;
	} else {
		c->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (c->fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	struct stat st;
	if (fstat(c->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: a directory, not a capture file", c->name);
		goto fail;
	}
	if (fstat(c->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		c->size = (uint64_t)st.st_size;
		off_t cur = is_stdin ? lseek(c->fd, 0, SEEK_CUR) : 0;
		if (cur < 0)
			cur = 0;
		if (st.st_size == 0) {
			snprintf(err, errlen, "%s: empty file, not a capture", c->name);
			goto fail;
		}
		if (cur == 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, c->fd, 0);
			if (m != MAP_FAILED) {
				/* read ahead, and map the cached pages in large steps */
				madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
				madvise(m, (size_t)st.st_size, MADV_WILLNEED);
				c->mapped = true;
				c->buf = m;
				c->len = (size_t)st.st_size;
				c->eof = true;
			}
		}
	}
	if (!c->mapped) {
		c->cap = STREAM_CHUNK;
		c->own = malloc(c->cap);
		if (!c->own)
			goto oom;
		c->buf = c->own;
	}

	size_t have = need(c, 4);
	if (have < 4) {
		snprintf(err, errlen, "%s: %s", c->name,
		         have == 0 ? "empty file, not a capture" : "too short for a capture file");
		goto fail;
	}
	uint32_t magic;
	memcpy(&magic, c->buf + c->pos, 4);
	if (magic == 0x0A0D0D0A) {
		c->fmt = FMT_PCAPNG;
		/* The first SHB is parsed by capture_next(); check it now so that a
		 * non-capture is refused at open time. */
		have = need(c, 12);
		if (have < 12) {
			snprintf(err, errlen, "%s: truncated pcapng section header", c->name);
			goto fail;
		}
		uint32_t bom;
		memcpy(&bom, c->buf + c->pos + 8, 4);
		if (bom != 0x1A2B3C4D && bom != 0x4D3C2B1A) {
			snprintf(err, errlen, "%s: bad pcapng byte-order magic 0x%08x", c->name,
			         bom);
			goto fail;
		}
		c->swap = bom == 0x4D3C2B1A;
		c->first_linktype = -1;
		/* Read the section header and interface descriptions up to the
		 * first packet so that capture_linktype() answers right away.  A
		 * damage found here is reported by the first capture_next(). */
		struct capture_frame unused;
		c->prescan = true;
		(void)next_pcapng(c, &unused);
		c->prescan = false;
	} else if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
	           magic == 0x4d3cb2a1 || magic == 0xa1b2cd34 || magic == 0x34cdb2a1) {
		if (read_pcap_header(c, err, errlen) < 0)
			goto fail;
	} else {
		const uint8_t *m = c->buf + c->pos;
		snprintf(err, errlen,
		         "%s: not a pcap or pcapng file (starts with %02x %02x %02x %02x)", c->name,
		         m[0], m[1], m[2], m[3]);
		goto fail;
	}
	return c;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	capture_close(c);
	return NULL;
}

/* madvise(advice) over [start, start + len), chunk bytes at a time, until
 * a call fails or *stop (when not NULL) is set. */
static void madvise_chunks(const uint8_t *start, size_t len, size_t chunk, int advice,
                           const int *stop)
{
	for (size_t off = 0; off < len && !(stop && __atomic_load_n(stop, __ATOMIC_RELAXED));
	     off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (madvise((void *)(start + off), n, advice) != 0)
			break;
	}
}

static void *prefault_main(void *arg)
{
	struct prefault *p = arg;
	/* on a kernel before 5.14 (EINVAL) or a file cut short it stops: the
	 * reader takes the faults itself */
	madvise_chunks(p->start, p->len, PREFAULT_CHUNK, MADV_POPULATE_READ, &p->stop);
	return NULL;
}

int capture_prefault_start(struct capture_file *c, uint64_t from, uint64_t to)
{
	if (!c->mapped || c->prefault)
		return -1;
	if (to > c->len)
		to = c->len;
	if (from >= to)
		return -1;
	struct prefault *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)c->buf + from) & ~(page - 1);
	p->start = (const uint8_t *)start;
	p->len = (size_t)((uintptr_t)c->buf + to - start);
	if (pthread_create(&p->thread, NULL, prefault_main, p) != 0) {
		free(p);
		return -1;
	}
	pthread_setname_np(p->thread, "synack-prefault");
	c->prefault = p;
	return 0;
}

static void prefault_stop(struct capture_file *c)
{
	if (!c->prefault)
		return;
	__atomic_store_n(&c->prefault->stop, 1, __ATOMIC_RELAXED);
	pthread_join(c->prefault->thread, NULL);
	free(c->prefault);
	c->prefault = NULL;
}

/* Bytes of a mapping dropped per madvise() when it is closed. */
#define UNMAP_CHUNK ((size_t)32 << 20)

/*
 * Unmap a mapped capture.  munmap() holds the process's memory map locked
 * for writing while it drops the pages, tens of milliseconds for a large
 * file in page cache, and every other thread that maps memory (malloc,
 * SQLite) waits that long.  MADV_DONTNEED drops them under the read lock,
 * a chunk at a time, so the final munmap() has little left to do.
 */
static void unmap_capture(const uint8_t *buf, size_t len)
{
	madvise_chunks(buf, len, UNMAP_CHUNK, MADV_DONTNEED, NULL);
	munmap((void *)buf, len);
}

void capture_close(struct capture_file *c)
{
	if (!c)
		return;
	prefault_stop(c);
	if (c->mapped && !c->shared)
		unmap_capture(c->buf, c->len);
	free(c->own);
	if (c->fd > STDIN_FILENO)
		close(c->fd);
	free(c->ifs);
	free(c->name);
	free(c);
}

struct capture_file *capture_share(const struct capture_file *c, char *err, size_t errlen)
{
	if (!capture_splittable(c) || offset_now(c) != PCAP_FILE_HEADER_LEN) {
		snprintf(err, errlen, "%s: cannot be shared (not a fresh mapped pcap file)",
		         c->name);
		return NULL;
	}
	struct capture_file *s = malloc(sizeof(*s));
	char *name = strdup(c->name);
	if (!s || !name) {
		free(s);
		free(name);
		snprintf(err, errlen, "%s: out of memory", c->name);
		return NULL;
	}
	*s = *c;
	s->name = name;
	s->fd = -1;
	s->shared = true;
	s->ifs = NULL; /* pcapng is never shared */
	s->prefault = NULL;
	return s;
}

/* ---------------------------------------------------------------- pcap */

static enum capture_status next_pcap(struct capture_file *c, struct capture_frame *f)
{
	if (offset_now(c) >= c->stop_at)
		return CAPTURE_END;
	const size_t hl = c->rec_hdr;
	size_t have = need(c, hl);
	if (have < hl) {
		if (have == 0)
			return CAPTURE_END;
		return fail(c,
		            "truncated at offset %llu (record header cut: %zu bytes needed, %zu "
		            "left)",
		            (unsigned long long)offset_now(c), hl, have);
	}
	const uint8_t *p = c->buf + c->pos;
	uint32_t sec = rd32(c, p), frac = rd32(c, p + 4);
	uint32_t caplen = rd32(c, p + 8), wirelen = rd32(c, p + 12);
	uint32_t limit = CAPTURE_MAX_FRAME;
	/* A capture length far above the file's snaplen means a damaged record
	 * header; allow slack because some writers put odd snaplens in. */
	if (c->snaplen != 0) {
		uint64_t slack = (uint64_t)(c->snaplen > 65535 ? c->snaplen : 65535) * 2;
		if (slack < limit)
			limit = (uint32_t)slack;
	}
	if (caplen > limit)
		return fail(c,
		            "invalid packet capture length %u at offset %llu (snaplen %u, maximum "
		            "%u): damaged record header",
		            caplen, (unsigned long long)offset_now(c), c->snaplen, limit);
	have = need(c, hl + (size_t)caplen);
	if (have < hl + (size_t)caplen)
		return fail(c, "truncated at offset %llu (record header says %u bytes, %zu left)",
		            (unsigned long long)offset_now(c), caplen, have - hl);
	p = c->buf + c->pos; /* need() may have moved the window */
	f->data = p + hl;
	f->caplen = caplen;
	f->wirelen = wirelen;
	f->time_ns = (uint64_t)sec * 1000000000ull + (uint64_t)frac * c->frac_mult;
	f->linktype = c->linktype;
	f->interface = 0;
	c->pos += hl + (size_t)caplen;
	return CAPTURE_FRAME;
}

/* -------------------------------------------------------------- pcapng */

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_OPB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u

static uint64_t ts_to_ns(const struct iface *ifc, uint64_t ts)
{
	uint64_t u = ifc->units;
	uint64_t ns;
	if (u == 1000000000ull)
		ns = ts;
	else if (u == 1000000ull)
		ns = ts * 1000ull;
	else {
		unsigned __int128 whole = ts / u, rem = ts % u;
		ns = (uint64_t)(whole * 1000000000ull + rem * 1000000000ull / u);
	}
	return ns + (uint64_t)ifc->tsoffset_ns;
}

static enum capture_status parse_idb(struct capture_file *c, const uint8_t *body, uint32_t blen,
                                     uint64_t off)
{
	if (blen < 8)
		return fail(c, "interface description block at offset %llu too short (%u bytes)",
		            (unsigned long long)off, blen);
	if (c->nifs >= MAX_INTERFACES)
		return fail(c, "too many interfaces (more than %u) at offset %llu", MAX_INTERFACES,
		            (unsigned long long)off);
	if (c->nifs == c->ifcap) {
		uint32_t ncap = c->ifcap ? c->ifcap * 2 : 8;
		struct iface *n = realloc(c->ifs, ncap * sizeof(*n));
		if (!n)
			return fail(c, "out of memory");
		c->ifs = n;
		c->ifcap = ncap;
	}
	struct iface *ifc = &c->ifs[c->nifs];
	ifc->linktype = normalize_linktype(rd16(c, body));
	ifc->snaplen = rd32(c, body + 4);
	ifc->units = 1000000;
	ifc->tsoffset_ns = 0;
	/* options */
	uint32_t o = 8;
	while (o + 4 <= blen) {
		uint16_t code = rd16(c, body + o), olen = rd16(c, body + o + 2);
		o += 4;
		if (code == 0)
			break;
		if ((uint64_t)o + olen > blen)
			break; /* malformed option: ignore the rest, like wireshark */
		if (code == 9 && olen >= 1) {
			uint8_t r = body[o];
			uint64_t units = 1;
			if (r & 0x80) {
				if ((r & 0x7f) > 63)
					return fail(c,
					            "if_tsresol 2^-%u out of range at offset %llu",
					            r & 0x7f, (unsigned long long)off);
				units = 1ull << (r & 0x7f);
			} else {
				if (r > 19)
					return fail(c,
					            "if_tsresol 10^-%u out of range at offset %llu",
					            r, (unsigned long long)off);
				for (unsigned i = 0; i < r; i++)
					units *= 10;
			}
			ifc->units = units;
		} else if (code == 14 && olen >= 8) {
			int64_t secs = (int64_t)rd64(c, body + o);
			if (__builtin_mul_overflow(secs, 1000000000ll, &ifc->tsoffset_ns))
				return fail(c, "if_tsoffset %lld s out of range at offset %llu",
				            (long long)secs, (unsigned long long)off);
		}
		o += (olen + 3u) & ~3u;
	}
	if (!c->first_if_seen) {
		c->first_if_seen = true;
		c->first_linktype = ifc->linktype;
	}
	c->nifs++;
	return CAPTURE_END; /* "no frame, go on" */
}

static enum capture_status next_pcapng(struct capture_file *c, struct capture_frame *f)
{
	for (;;) {
		size_t have = need(c, 12);
		uint64_t off = offset_now(c);
		if (have < 12) {
			if (have == 0)
				return CAPTURE_END;
			return fail(c,
			            "truncated at offset %llu (block header cut: 12 bytes needed, "
			            "%zu left)",
			            (unsigned long long)off, have);
		}
		if (off >= c->stop_at && !c->prescan)
			return CAPTURE_END;
		const uint8_t *p = c->buf + c->pos;
		uint32_t type;
		memcpy(&type, p, 4);
		if (type == BT_SHB) {
			/* New section: byte order may change. */
			uint32_t bom;
			memcpy(&bom, p + 8, 4);
			if (bom == 0x1A2B3C4D)
				c->swap = false;
			else if (bom == 0x4D3C2B1A)
				c->swap = true;
			else
				return fail(c,
				            "bad section header byte-order magic 0x%08x at offset "
				            "%llu",
				            bom, (unsigned long long)off);
		} else {
			type = rd32(c, p);
		}
		uint32_t tlen = rd32(c, p + 4);
		if (tlen < 12 || (tlen & 3))
			return fail(c, "bad block total length %u at offset %llu (type 0x%08x)",
			            tlen, (unsigned long long)off, type);
		if (tlen > CAPTURE_MAX_BLOCK)
			return fail(
			    c,
			    "block total length %u at offset %llu exceeds the maximum of %u: "
			    "damaged block header",
			    tlen, (unsigned long long)off, CAPTURE_MAX_BLOCK);
		have = need(c, tlen);
		if (have < tlen)
			return fail(
			    c, "truncated at offset %llu (block header says %u bytes, %zu left)",
			    (unsigned long long)off, tlen, have);
		p = c->buf + c->pos;
		if (rd32(c, p + tlen - 4) != tlen)
			return fail(c,
			            "block at offset %llu: trailing total length %u differs from "
			            "leading %u",
			            (unsigned long long)off, rd32(c, p + tlen - 4), tlen);
		const uint8_t *body = p + 8;
		uint32_t blen = tlen - 12;
		c->pos += tlen;

		switch (type) {
		case BT_SHB: {
			if (blen < 16)
				return fail(c, "section header block at offset %llu too short",
				            (unsigned long long)off);
			uint16_t major = rd16(c, body + 4);
			if (major != 1)
				return fail(
				    c, "unsupported pcapng version %u.%u in section at offset %llu",
				    major, rd16(c, body + 6), (unsigned long long)off);
			c->nifs = 0; /* interfaces are per section */
			continue;
		}
		case BT_IDB: {
			enum capture_status s = parse_idb(c, body, blen, off);
			if (s == CAPTURE_ERROR)
				return s;
			continue;
		}
		case BT_EPB:
		case BT_OPB:
		case BT_SPB:
			if (c->prescan) {
				c->pos -= tlen; /* the block is still in the window */
				return CAPTURE_END;
			}
			break;
		default:
			continue; /* NRB, ISB, DSB, custom, unknown: skip */
		}
		switch (type) {
		case BT_EPB:
		case BT_OPB: {
			if (blen < 20)
				return fail(c, "packet block at offset %llu too short (%u bytes)",
				            (unsigned long long)off, blen);
			uint32_t ifid = type == BT_EPB ? rd32(c, body) : rd16(c, body);
			uint64_t ts = ((uint64_t)rd32(c, body + 4) << 32) | rd32(c, body + 8);
			uint32_t caplen = rd32(c, body + 12), wirelen = rd32(c, body + 16);
			if (ifid >= c->nifs)
				return fail(
				    c,
				    "packet block at offset %llu names interface %u, but only "
				    "%u are described",
				    (unsigned long long)off, ifid, c->nifs);
			if (caplen > blen - 20)
				return fail(
				    c,
				    "packet block at offset %llu: capture length %u exceeds "
				    "the block (%u bytes of data)",
				    (unsigned long long)off, caplen, blen - 20);
			if (caplen > CAPTURE_MAX_FRAME)
				return fail(c,
				            "invalid packet capture length %u at offset %llu "
				            "(maximum %u)",
				            caplen, (unsigned long long)off, CAPTURE_MAX_FRAME);
			const struct iface *ifc = &c->ifs[ifid];
			f->data = body + 20;
			f->caplen = caplen;
			f->wirelen = wirelen;
			f->time_ns = ts_to_ns(ifc, ts);
			f->linktype = ifc->linktype;
			f->interface = ifid;
			return CAPTURE_FRAME;
		}
		case BT_SPB: {
			if (blen < 4)
				return fail(c, "simple packet block at offset %llu too short",
				            (unsigned long long)off);
			if (c->nifs == 0)
				return fail(
				    c,
				    "simple packet block at offset %llu before any interface "
				    "description",
				    (unsigned long long)off);
			const struct iface *ifc = &c->ifs[0];
			uint32_t wirelen = rd32(c, body);
			uint32_t caplen = blen - 4;
			if (caplen > wirelen)
				caplen = wirelen;
			if (ifc->snaplen && caplen > ifc->snaplen)
				caplen = ifc->snaplen;
			if (caplen > CAPTURE_MAX_FRAME)
				return fail(c,
				            "invalid packet capture length %u at offset %llu "
				            "(maximum %u)",
				            caplen, (unsigned long long)off, CAPTURE_MAX_FRAME);
			f->data = body + 4;
			f->caplen = caplen;
			f->wirelen = wirelen;
			f->time_ns = 0; /* SPBs carry no timestamp */
			f->linktype = ifc->linktype;
			f->interface = 0;
			return CAPTURE_FRAME;
		}
		}
	}
}

enum capture_status capture_next(struct capture_file *c, struct capture_frame *frame)
{
	if (c->failed)
		return CAPTURE_ERROR;
	if (c->fmt == FMT_PCAPNG)
		return next_pcapng(c, frame);
	return next_pcap(c, frame);
}

/* ------------------------------------------------------------- batches */

/* A mapped classic pcap file in the host's byte order: the whole window is
 * in memory, so a record needs only the checks of next_pcap() that can fail
 * on damage.  Anything else goes frame by frame through capture_next(). */
static unsigned next_pcap_mapped_batch(struct capture_file *c, struct capture_frame *frames,
                                       unsigned max)
{
	const size_t hl = c->rec_hdr;
	uint32_t limit = CAPTURE_MAX_FRAME;
	if (c->snaplen != 0) {
		uint64_t slack = (uint64_t)(c->snaplen > 65535 ? c->snaplen : 65535) * 2;
		if (slack < limit)
			limit = (uint32_t)slack;
	}
	const uint64_t stop = c->stop_at < c->len ? c->stop_at : c->len;
	const uint8_t *buf = c->buf;
	const uint64_t mult = c->frac_mult;
	const int lt = c->linktype;
	size_t pos = c->pos;
	unsigned n = 0;
	while (n < max && pos < stop && c->len - pos >= hl) {
		const uint8_t *p = buf + pos;
		__builtin_prefetch(p + PREFETCH_AHEAD);
		uint32_t hdr[4];
		memcpy(hdr, p, sizeof hdr);
		uint32_t caplen = hdr[2];
		if (caplen > limit || c->len - pos - hl < caplen)
			break; /* damaged or cut: next_pcap() reports it */
		struct capture_frame *f = &frames[n++];
		f->data = p + hl;
		f->caplen = caplen;
		f->wirelen = hdr[3];
		f->time_ns = (uint64_t)hdr[0] * 1000000000ull + (uint64_t)hdr[1] * mult;
		f->linktype = lt;
		f->interface = 0;
		pos += hl + caplen;
	}
	c->pos = pos;
	return n;
}

/* Whether the next frame can be read without refilling the read buffer:
 * its pcap record, or its pcapng packet block, lies whole in the window.  A
 * refill moves the window, and the frames already in a batch point into it. */
static bool next_in_window(const struct capture_file *c)
{
	if (c->mapped || c->eof)
		return true; /* the window never moves */
	size_t avail = c->len - c->pos;
	const uint8_t *p = c->buf + c->pos;
	if (c->fmt != FMT_PCAPNG)
		return avail >= c->rec_hdr && rd32(c, p + 8) <= avail - c->rec_hdr;
	if (avail < 12)
		return false;
	uint32_t type = rd32(c, p);
	return (type == BT_EPB || type == BT_SPB || type == BT_OPB) && rd32(c, p + 4) <= avail;
}

unsigned capture_next_batch(struct capture_file *c, struct capture_frame *frames, unsigned max,
                            enum capture_status *status)
{
	unsigned n = 0;
	if (c->mapped && !c->swap && c->fmt != FMT_PCAPNG && !c->failed)
		n = next_pcap_mapped_batch(c, frames, max);
	while (n < max && (n == 0 || next_in_window(c))) {
		enum capture_status s = capture_next(c, &frames[n]);
		if (s != CAPTURE_FRAME) {
			*status = s;
			return n;
		}
		n++;
	}
	*status = CAPTURE_FRAME;
	return n;
}

enum capture_status capture_skip_to(struct capture_file *c, uint64_t offset)
{
	struct capture_frame f[256];
	uint64_t end = c->stop_at;
	enum capture_status s = CAPTURE_FRAME;
	c->stop_at = offset < end ? offset : end;
	while (s == CAPTURE_FRAME)
		(void)capture_next_batch(c, f, 256, &s);
	c->stop_at = end;
	if (s == CAPTURE_END && offset_now(c) >= offset)
		return CAPTURE_FRAME;
	return s;
}

void capture_set_end(struct capture_file *c, uint64_t offset)
{
	c->stop_at = offset;
}

int capture_splittable(const struct capture_file *c)
{
	return c->mapped && c->fmt != FMT_PCAPNG;
}
