/*
 * test_capture_file.c - unit tests of lib/capture (pcap and pcapng reader)
 * on files the test writes itself with the frame builder's writer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/capture_file.h"
#include "check.h"
#include "frame_builder.h"

static char tmpdir[] = "/tmp/test_capture_XXXXXX";

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ & 3];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (n)
		fwrite(b, 1, n, f);
	fclose(f);
}

/* Frame i: a TCP frame with a size that varies, content depends on i. */
static size_t make_frame(int i, uint8_t *buf, size_t cap)
{
	struct fb_packet p;
	fb_packet_init(&p, i % 3 == 2 ? 6 : 4);
	if (p.family == 4) {
		fb_addr4(p.src, "198.18.0.1");
		fb_addr4(p.dst, "198.19.0.1");
	} else {
		fb_addr6(p.src, "2001:db8:1::1");
		fb_addr6(p.dst, "2001:db8:2::1");
	}
	p.src[p.family == 4 ? 3 : 15] = (uint8_t)i;
	p.sport = (uint16_t)(1000 + i);
	p.dport = 80;
	p.flags = 0x012;
	p.payload_len = (size_t)(i * 37) % 300;
	p.payload_byte = (uint8_t)i;
	p.vlan_count = i % 4 == 1 ? 1 : 0;
	p.vlan_id[0] = 7;
	return fb_build_ethernet(&p, buf, cap);
}

#define NFRAMES 12

struct expect {
	uint8_t data[NFRAMES][FB_MAX_FRAME];
	size_t len[NFRAMES];
	uint64_t t[NFRAMES];
};

static struct expect ex;

static void fill_expect(uint64_t t0, uint64_t step)
{
	for (int i = 0; i < NFRAMES; i++) {
		ex.len[i] = make_frame(i, ex.data[i], FB_MAX_FRAME);
		ex.t[i] = t0 + (uint64_t)i * step;
	}
}

/* Opens path; a failure is a failed check, with the reader's message. */
static struct capture_file *open_ok(const char *path)
{
	char err[256];
	struct capture_file *c = capture_open(path, err, sizeof(err));
	CHECK(c != NULL);
	if (!c)
		fprintf(stderr, "open %s: %s\n", path, err);
	return c;
}

/* Reads path and checks all NFRAMES frames (cut to snaplen). */
static void check_file(const char *path, const char *format, int linktype, uint32_t snaplen)
{
	struct capture_file *c = open_ok(path);
	if (!c)
		return;
	CHECK(strcmp(capture_format(c), format) == 0);
	CHECK_EQ(capture_linktype(c), linktype);
	struct capture_frame f;
	int n = 0;
	enum capture_status s;
	while ((s = capture_next(c, &f)) == CAPTURE_FRAME) {
		if (n < NFRAMES) {
			size_t want = ex.len[n] > snaplen ? snaplen : ex.len[n];
			CHECK_EQ(f.caplen, want);
			CHECK_EQ(f.wirelen, ex.len[n]);
			CHECK(memcmp(f.data, ex.data[n], want) == 0);
			CHECK_EQ(f.time_ns, ex.t[n]);
			CHECK_EQ(f.linktype, linktype);
		}
		n++;
	}
	CHECK_EQ(s, CAPTURE_END);
	CHECK_EQ(n, NFRAMES);
	CHECK_EQ(capture_offset(c), capture_size(c));
	capture_close(c);
}

static void write_pcap(const char *path, enum fb_format fmt, bool swap, uint32_t snaplen)
{
	struct fb_writer *w = fb_writer_open(path, fmt, 1, snaplen, swap);
	CHECK(w != NULL);
	for (int i = 0; i < NFRAMES; i++)
		CHECK(fb_write(w, ex.t[i], ex.data[i], ex.len[i]) == 0);
	CHECK(fb_writer_close(w) == 0);
}

/* copies times the NFRAMES frames of ex, one after the other. */
static void write_copies(const char *path, enum fb_format fmt, int copies)
{
	struct fb_writer *w = fb_writer_open(path, fmt, 1, 65535, false);
	CHECK(w != NULL);
	for (int k = 0; w && k < copies; k++)
		for (int i = 0; i < NFRAMES; i++)
			CHECK(fb_write(w, ex.t[i], ex.data[i], ex.len[i]) == 0);
	CHECK(w && fb_writer_close(w) == 0);
}

static void test_pcap(void)
{
	fill_expect(1700000000ull * 1000000000ull + 123456000ull, 1000001000ull);
	write_pcap(tmp_path("us.pcap"), FB_PCAP_US, false, 65535);
	check_file(tmp_path("us.pcap"), "pcap", 1, 65535);
	write_pcap(tmp_path("us-be.pcap"), FB_PCAP_US, true, 65535);
	check_file(tmp_path("us-be.pcap"), "pcap", 1, 65535);
	fill_expect(1700000000ull * 1000000000ull + 123456789ull, 999999937ull);
	write_pcap(tmp_path("ns.pcap"), FB_PCAP_NS, false, 65535);
	check_file(tmp_path("ns.pcap"), "pcap-ns", 1, 65535);
	write_pcap(tmp_path("ns-be.pcap"), FB_PCAP_NS, true, 65535);
	check_file(tmp_path("ns-be.pcap"), "pcap-ns", 1, 65535);
	/* snaplen 100: caplen cut, wirelen kept */
	write_pcap(tmp_path("snap.pcap"), FB_PCAP_NS, false, 100);
	check_file(tmp_path("snap.pcap"), "pcap-ns", 1, 100);

	/* link type other than Ethernet, and the DLT_RAW alias 12 */
	struct fb_writer *w = fb_writer_open(tmp_path("raw.pcap"), FB_PCAP_US, 12, 0, false);
	fb_write(w, 0, ex.data[0] + 14, ex.len[0] - 14);
	fb_writer_close(w);
	char err[256];
	struct capture_file *c = capture_open(tmp_path("raw.pcap"), err, sizeof(err));
	CHECK(c && capture_linktype(c) == 101);
	struct capture_frame f;
	CHECK(c && capture_next(c, &f) == CAPTURE_FRAME && f.linktype == 101);
	capture_close(c);
}

/* The "modified" pcap of Kuznetzov's patched libpcap (magic a1b2cd34):
 * 8 more bytes per record header (ifindex, protocol, packet type, pad). */
static void test_kuznetzov(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000000ull);
	const char *path = tmp_path("kuz.pcap");
	FILE *f = fopen(path, "wb");
	uint32_t hdr[6] = {0xa1b2cd34, 2 | 4u << 16, 0, 0, 65535, 1};
	fwrite(hdr, 4, 6, f);
	for (int i = 0; i < 3; i++) {
		uint32_t rh[6] = {(uint32_t)(ex.t[i] / 1000000000ull),
		                  (uint32_t)(ex.t[i] % 1000000000ull / 1000),
		                  (uint32_t)ex.len[i],
		                  (uint32_t)ex.len[i],
		                  2,
		                  0x0800};
		fwrite(rh, 4, 6, f);
		fwrite(ex.data[i], 1, ex.len[i], f);
	}
	fclose(f);
	struct capture_file *c = open_ok(path);
	if (!c)
		return;
	struct capture_frame fr;
	for (int i = 0; i < 3; i++) {
		CHECK(capture_next(c, &fr) == CAPTURE_FRAME);
		CHECK_EQ(fr.caplen, ex.len[i]);
		CHECK(memcmp(fr.data, ex.data[i], ex.len[i]) == 0);
		CHECK_EQ(fr.time_ns, ex.t[i]);
	}
	CHECK(capture_next(c, &fr) == CAPTURE_END);
	capture_close(c);
}

static void test_pcapng(void)
{
	fill_expect(1700000000ull * 1000000000ull, 500000000ull); /* half seconds: exact in 2^-n */
	const char *path = tmp_path("multi.pcapng");
	struct fb_writer *w = fb_writer_open(path, FB_PCAPNG, 1, 65535, false); /* if 0: ns */
	CHECK(fb_writer_add_interface(w, 101, 65535, 6) == 1);                  /* µs, RAW */
	CHECK(fb_writer_add_interface(w, 113, 64, 0x80 | 20) == 2); /* 2^-20, SLL, snap 64 */
	CHECK(fb_writer_add_interface(w, 1, 0, 3) == 3);            /* ms */
	uint8_t junk[10] = {1, 2, 3};
	fb_writer_raw_block(w, 0x00000BAD, junk, sizeof(junk)); /* unknown block: skipped */
	fb_writer_raw_block(w, 0x00000004, junk, 8);            /* name resolution: skipped */
	int ifs[NFRAMES];
	int lts[4] = {1, 101, 113, 1};
	for (int i = 0; i < NFRAMES; i++) {
		ifs[i] = i % 4;
		CHECK(fb_write_if(w, (uint32_t)ifs[i], ex.t[i], ex.data[i], ex.len[i]) == 0);
	}
	/* an SPB (interface 0, no time) and an OPB on interface 1 */
	CHECK(fb_write_spb(w, ex.data[0], ex.len[0]) == 0);
	CHECK(fb_write_opb(w, 1, ex.t[1], ex.data[1], ex.len[1]) == 0);
	/* second section, other byte order, one interface */
	CHECK(fb_writer_new_section(w, true) == 0);
	CHECK(fb_writer_add_interface(w, 276, 65535, 9) == 0);
	CHECK(fb_write_if(w, 0, ex.t[2], ex.data[2], ex.len[2]) == 0);
	CHECK(fb_write_spb(w, ex.data[3], ex.len[3]) == 0);
	CHECK(fb_writer_close(w) == 0);

	struct capture_file *c = open_ok(path);
	if (!c)
		return;
	CHECK(strcmp(capture_format(c), "pcapng") == 0);
	CHECK_EQ(capture_linktype(c), 1);
	struct capture_frame f;
	for (int i = 0; i < NFRAMES; i++) {
		CHECK(capture_next(c, &f) == CAPTURE_FRAME);
		CHECK_EQ(f.interface, ifs[i]);
		CHECK_EQ(f.linktype, lts[ifs[i]]);
		size_t want = ifs[i] == 2 && ex.len[i] > 64 ? 64 : ex.len[i];
		CHECK_EQ(f.caplen, want);
		CHECK_EQ(f.wirelen, ex.len[i]);
		CHECK(memcmp(f.data, ex.data[i], want) == 0);
		uint64_t t = ex.t[i];
		if (ifs[i] == 3)
			t -= t % 1000000; /* ms resolution */
		CHECK_EQ(f.time_ns, t);
	}
	CHECK(capture_next(c, &f) == CAPTURE_FRAME); /* SPB */
	CHECK_EQ(f.interface, 0);
	CHECK_EQ(f.caplen, ex.len[0]);
	CHECK_EQ(f.wirelen, ex.len[0]);
	CHECK(memcmp(f.data, ex.data[0], ex.len[0]) == 0);
	CHECK(capture_next(c, &f) == CAPTURE_FRAME); /* OPB */
	CHECK_EQ(f.interface, 1);
	CHECK_EQ(f.linktype, 101);
	CHECK_EQ(f.time_ns, ex.t[1]);
	CHECK(memcmp(f.data, ex.data[1], ex.len[1]) == 0);
	CHECK(capture_next(c, &f) == CAPTURE_FRAME); /* section 2 */
	CHECK_EQ(f.linktype, 276);
	CHECK_EQ(f.time_ns, ex.t[2]);
	CHECK(memcmp(f.data, ex.data[2], ex.len[2]) == 0);
	CHECK(capture_next(c, &f) == CAPTURE_FRAME);
	CHECK_EQ(f.linktype, 276);
	CHECK(memcmp(f.data, ex.data[3], ex.len[3]) == 0);
	CHECK(capture_next(c, &f) == CAPTURE_END);
	CHECK(capture_next(c, &f) == CAPTURE_END);
	capture_close(c);

	/* a big-endian single-section file */
	w = fb_writer_open(tmp_path("be.pcapng"), FB_PCAPNG, 1, 65535, true);
	for (int i = 0; i < NFRAMES; i++)
		fb_write(w, ex.t[i], ex.data[i], ex.len[i]);
	fb_writer_close(w);
	check_file(tmp_path("be.pcapng"), "pcapng", 1, 65535);
}

/* Count complete frames in a prefix by reading; check the outcome. */
static void cut_everywhere(const char *path, bool pcapng, size_t header_len)
{
	size_t len;
	uint8_t *full = slurp(path, &len);
	CHECK(full != NULL);
	if (!full)
		return;
	/* frame end offsets from a full read */
	uint64_t ends[64];
	int nends = 0;
	char err[256];
	struct capture_file *c = capture_open(path, err, sizeof(err));
	struct capture_frame f;
	while (c && capture_next(c, &f) == CAPTURE_FRAME && nends < 64)
		ends[nends++] = capture_offset(c);
	capture_close(c);
	const char *cut = tmp_path("cut.bin");
	for (size_t n = 0; n <= len; n++) {
		/* exact-size heap copy so ASan sees over-reads of the mapping copy too */
		spit(cut, full, n);
		c = capture_open(cut, err, sizeof(err));
		if (n < header_len) {
			CHECK(c == NULL);
			CHECK(strstr(err, "cut.bin") != NULL);
			capture_close(c);
			continue;
		}
		if (!c) {
			/* pcapng: the first block cut: allowed to fail at open */
			CHECK(pcapng);
			continue;
		}
		int got = 0;
		enum capture_status s;
		while ((s = capture_next(c, &f)) == CAPTURE_FRAME) {
			CHECK(f.caplen <= FB_MAX_FRAME);
			got++;
		}
		int want = 0;
		bool boundary = !pcapng && n == header_len;
		for (int i = 0; i < nends; i++) {
			if (ends[i] <= n)
				want++;
			if (ends[i] == n)
				boundary = true;
		}
		if (pcapng) {
			/* any block boundary is a clean end */
			for (size_t o = 0; o + 8 <= len;) {
				uint32_t tl;
				memcpy(&tl, full + o + 4, 4);
				if (tl < 12)
					break;
				o += tl;
				if (o == n)
					boundary = true;
			}
		}
		CHECK_EQ(got, want);
		if (boundary) {
			CHECK_EQ(s, CAPTURE_END);
		} else {
			CHECK_EQ(s, CAPTURE_ERROR);
			const char *e = capture_error(c);
			if (!strstr(e, "truncated at offset") || !strstr(e, "cut.bin")) {
				CHECK(!"truncation message");
				fprintf(stderr, "cut at %zu: %s\n", n, e);
			}
		}
		capture_close(c);
	}
	free(full);
}

static void test_truncation(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000000ull);
	/* small files: 5 frames */
	const char *p1 = tmp_path("small.pcap");
	struct fb_writer *w = fb_writer_open(p1, FB_PCAP_US, 1, 65535, false);
	for (int i = 0; i < 5; i++)
		fb_write(w, ex.t[i], ex.data[i], ex.len[i]);
	fb_writer_close(w);
	cut_everywhere(p1, false, 24);

	const char *p2 = tmp_path("small.pcapng");
	w = fb_writer_open(p2, FB_PCAPNG, 1, 65535, false);
	fb_writer_add_interface(w, 101, 0, 6);
	for (int i = 0; i < 5; i++)
		fb_write_if(w, (uint32_t)(i & 1), ex.t[i], ex.data[i], ex.len[i]);
	fb_write_spb(w, ex.data[5], ex.len[5]);
	fb_writer_close(w);
	cut_everywhere(p2, true, 12);

	/* the message names the record length and what is left */
	size_t len;
	uint8_t *b = slurp(p1, &len);
	spit(tmp_path("cut.pcap"), b, len - 10);
	char err[256];
	struct capture_file *c = capture_open(tmp_path("cut.pcap"), err, sizeof(err));
	struct capture_frame f;
	int n = 0;
	while (capture_next(c, &f) == CAPTURE_FRAME)
		n++;
	CHECK_EQ(n, 4);
	char want[128];
	snprintf(want, sizeof(want), "record header says %zu bytes, %zu left)", ex.len[4],
	         ex.len[4] - 10);
	CHECK(strstr(capture_error(c), want) != NULL);
	fprintf(stderr, "message: %s\n", capture_error(c));
	capture_close(c);
	free(b);
}

static void test_damage(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000000ull);
	const char *p = tmp_path("damaged.pcap");
	struct fb_writer *w = fb_writer_open(p, FB_PCAP_US, 1, 65535, false);
	for (int i = 0; i < 3; i++)
		fb_write(w, ex.t[i], ex.data[i], ex.len[i]);
	fb_writer_close(w);
	size_t len;
	uint8_t *b = slurp(p, &len);
	/* a 4.3 MB record header after the three frames */
	uint8_t *d = malloc(len + 16 + 100);
	memcpy(d, b, len);
	uint32_t hdr[4] = {1700000001, 0, 4325376, 4325376};
	memcpy(d + len, hdr, 16);
	memset(d + len + 16, 0, 100);
	spit(p, d, len + 116);
	char err[256];
	struct capture_file *c = capture_open(p, err, sizeof(err));
	struct capture_frame f;
	int n = 0;
	enum capture_status s;
	while ((s = capture_next(c, &f)) == CAPTURE_FRAME)
		n++;
	CHECK_EQ(n, 3);
	CHECK_EQ(s, CAPTURE_ERROR);
	char want[64];
	snprintf(want, sizeof(want), "at offset %zu", len);
	CHECK(strstr(capture_error(c), "invalid packet capture length 4325376") != NULL);
	CHECK(strstr(capture_error(c), want) != NULL);
	CHECK(strstr(capture_error(c), "damaged.pcap") != NULL);
	CHECK(capture_next(c, &f) == CAPTURE_ERROR); /* stays failed */
	capture_close(c);
	free(d);
	free(b);

	/* caplen above a small snaplen * slack is damage too */
	w = fb_writer_open(p, FB_PCAP_US, 1, 96, false);
	fb_write(w, 0, ex.data[0], ex.len[0]);
	fb_writer_close(w);
	b = slurp(p, &len);
	uint32_t big = 200000;
	memcpy(b + 24 + 8, &big, 4);
	spit(p, b, len);
	c = capture_open(p, err, sizeof(err));
	CHECK(capture_next(c, &f) == CAPTURE_ERROR);
	CHECK(strstr(capture_error(c), "invalid packet capture length 200000") != NULL);
	capture_close(c);
	free(b);

	/* not a capture, missing, empty, bad version */
	spit(p, (const uint8_t *)"hello world, not a capture", 26);
	CHECK(capture_open(p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a pcap or pcapng file") != NULL);
	CHECK(capture_open(tmp_path("missing.pcap"), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "missing.pcap") != NULL);
	spit(p, NULL, 0);
	CHECK(capture_open(p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty") != NULL);
	uint8_t v3[24] = {0xd4, 0xc3, 0xb2, 0xa1, 3, 0, 0, 0};
	spit(p, v3, 24);
	CHECK(capture_open(p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "version") != NULL);

	/* pcapng: EPB naming an interface that does not exist; bad block length */
	const char *png = tmp_path("bad.pcapng");
	w = fb_writer_open(png, FB_PCAPNG, 1, 0, false);
	fb_write(w, 0, ex.data[0], ex.len[0]);
	fb_write(w, 0, ex.data[1], ex.len[1]);
	fb_writer_close(w);
	b = slurp(png, &len);
	/* SHB 28 + IDB 32 + EPB: interface id at +8 of the second EPB */
	size_t epb1 = 28 + 32;
	uint32_t tl;
	memcpy(&tl, b + epb1 + 4, 4);
	uint32_t ifid = 5;
	memcpy(b + epb1 + tl + 8, &ifid, 4);
	spit(png, b, len);
	c = capture_open(png, err, sizeof(err));
	CHECK(capture_next(c, &f) == CAPTURE_FRAME);
	CHECK(capture_next(c, &f) == CAPTURE_ERROR);
	CHECK(strstr(capture_error(c), "interface 5") != NULL);
	capture_close(c);
	uint32_t badlen = 13;
	memcpy(b + epb1 + tl + 4, &badlen, 4);
	spit(png, b, len);
	c = capture_open(png, err, sizeof(err));
	CHECK(capture_next(c, &f) == CAPTURE_FRAME);
	CHECK(capture_next(c, &f) == CAPTURE_ERROR);
	CHECK(strstr(capture_error(c), "bad block total length 13") != NULL);
	capture_close(c);
	free(b);
}

/* Standard input becomes a pipe that a child fills with the bytes of path,
 * piece bytes per write; stdin_restore() puts the old one back. */
struct stdin_feed {
	pid_t pid;
	int saved;
};

static struct stdin_feed stdin_from(const char *path, size_t piece)
{
	struct stdin_feed feed = {-1, -1};
	int fds[2];
	CHECK(pipe(fds) == 0);
	feed.pid = fork();
	if (feed.pid == 0) {
		size_t len;
		uint8_t *b = slurp(path, &len);
		close(fds[0]);
		for (size_t o = 0; b && o < len; o += piece) {
			size_t n = len - o < piece ? len - o : piece;
			if (write(fds[1], b + o, n) != (ssize_t)n)
				_exit(1);
		}
		_exit(b ? 0 : 1);
	}
	close(fds[1]);
	feed.saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	return feed;
}

static void stdin_restore(struct stdin_feed feed)
{
	int st;
	dup2(feed.saved, 0);
	close(feed.saved);
	waitpid(feed.pid, &st, 0);
}

static void test_stdin(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000ull);
	const char *p = tmp_path("stdin.pcap");
	write_pcap(p, FB_PCAP_NS, false, 65535);
	struct stdin_feed feed = stdin_from(p, 7); /* small pieces: many refills */
	struct capture_file *c = open_ok("-");
	int n = 0;
	struct capture_frame f;
	while (c && capture_next(c, &f) == CAPTURE_FRAME) {
		CHECK_EQ(f.caplen, ex.len[n]);
		CHECK(memcmp(f.data, ex.data[n], f.caplen) == 0);
		CHECK_EQ(f.time_ns, ex.t[n]);
		n++;
	}
	CHECK_EQ(n, NFRAMES);
	CHECK_EQ(capture_size(c), 0);
	capture_close(c);
	stdin_restore(feed);
}

/* A pipe (not mapped, so read in chunks) through capture_next_batch: every
 * frame of a batch must still be intact when the batch is returned, also
 * where the batch spans a refill of the read buffer. */
static void check_stream_batches(enum fb_format fmt, const char *name)
{
	fill_expect(1700000000ull * 1000000000ull, 1000ull);
	const char *p = tmp_path(name);
	int copies = 2500; /* ~6 MB: more than one 4 MiB read chunk */
	write_copies(p, fmt, copies);
	struct stdin_feed feed = stdin_from(p, 65536);
	struct capture_file *c = open_ok("-");
	int n = 0, bad = 0;
	enum capture_status st = CAPTURE_FRAME;
	while (c && st == CAPTURE_FRAME) {
		struct capture_frame f[64];
		unsigned got = capture_next_batch(c, f, 64, &st);
		for (unsigned j = 0; j < got; j++, n++) {
			int i = n % NFRAMES;
			bad += f[j].caplen != ex.len[i] ||
			       memcmp(f[j].data, ex.data[i], ex.len[i]) != 0;
		}
	}
	CHECK_EQ(st, CAPTURE_END);
	CHECK_EQ(n, copies * NFRAMES);
	CHECK_EQ(bad, 0);
	capture_close(c);
	stdin_restore(feed);
}

static void test_stream_batches(void)
{
	check_stream_batches(FB_PCAP_US, "stream.pcap");
	check_stream_batches(FB_PCAPNG, "stream.pcapng");
}

/* Random byte damage anywhere: no crash, no over-read (ASan), frames sane. */
static void test_mutations(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000ull);
	const char *src[2] = {tmp_path("mut.pcap"), tmp_path("mut.pcapng")};
	struct fb_writer *w = fb_writer_open(src[0], FB_PCAP_NS, 1, 65535, false);
	for (int i = 0; i < 6; i++)
		fb_write(w, ex.t[i], ex.data[i], ex.len[i]);
	fb_writer_close(w);
	w = fb_writer_open(src[1], FB_PCAPNG, 1, 65535, false);
	fb_writer_add_interface(w, 113, 100, 0x80 | 10);
	for (int i = 0; i < 6; i++)
		fb_write_if(w, (uint32_t)(i & 1), ex.t[i], ex.data[i], ex.len[i]);
	fb_write_spb(w, ex.data[6], ex.len[6]);
	fb_write_opb(w, 1, ex.t[7], ex.data[7], ex.len[7]);
	fb_writer_close(w);
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int k = 0; k < 2; k++) {
		size_t len = 0;
		uint8_t *orig = slurp(src[k], &len);
		uint8_t *b = malloc(len);
		for (int it = 0; it < 1500; it++) {
			memcpy(b, orig, len);
			int flips = 1 + (int)(it % 4);
			for (int j = 0; j < flips; j++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				b[(x >> 8) % len] = (uint8_t)x;
			}
			size_t cut = it % 3 == 0 ? (size_t)((x >> 20) % (len + 1)) : len;
			spit(tmp_path("m.bin"), b, cut);
			char err[256];
			struct capture_file *c = capture_open(tmp_path("m.bin"), err, sizeof(err));
			if (!c)
				continue;
			struct capture_frame f;
			int n = 0;
			while (capture_next(c, &f) == CAPTURE_FRAME && n < 1000) {
				volatile uint8_t sink = 0;
				for (uint32_t i = 0; i < f.caplen; i++)
					sink ^= f.data[i];
				(void)sink;
				CHECK(f.caplen <= 256 * 1024);
				n++;
			}
			CHECK(capture_offset(c) <= cut);
			capture_close(c);
		}
		free(b);
		free(orig);
	}
}

/* Frames of c from where it stands to its end, checked against ex from
 * frame *n on; returns the status that ended them. */
static enum capture_status read_checked(struct capture_file *c, int *n)
{
	struct capture_frame f;
	enum capture_status s;
	while ((s = capture_next(c, &f)) == CAPTURE_FRAME) {
		CHECK(*n < NFRAMES);
		if (*n < NFRAMES) {
			CHECK_EQ(f.caplen, ex.len[*n]);
			CHECK(memcmp(f.data, ex.data[*n], ex.len[*n]) == 0);
			CHECK_EQ(f.time_ns, ex.t[*n]);
		}
		(*n)++;
	}
	return s;
}

/* capture_share: two readers of one mapping read the two parts of the file
 * exactly once between them; the mapping outlives the shares. */
static void test_share(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000ull);
	const char *path = tmp_path("share.pcap");
	write_pcap(path, FB_PCAP_US, false, 65535);
	struct capture_file *c = open_ok(path);
	if (!c)
		return;
	CHECK(capture_splittable(c));
	char err[256];
	struct capture_file *a = capture_share(c, err, sizeof(err));
	struct capture_file *b = capture_share(c, err, sizeof(err));
	CHECK(a != NULL && b != NULL);
	if (!a || !b)
		return;
	uint64_t half = capture_size(c) / 2;
	capture_set_end(a, half);
	CHECK_EQ(capture_skip_to(b, half), CAPTURE_FRAME);
	int n = 0;
	CHECK_EQ(read_checked(a, &n), CAPTURE_END);
	CHECK(n > 0 && n < NFRAMES);
	CHECK_EQ(read_checked(b, &n), CAPTURE_END);
	CHECK_EQ(n, NFRAMES);
	capture_close(a);
	capture_close(b);
	n = 0; /* the original still reads, from its own start */
	CHECK_EQ(read_checked(c, &n), CAPTURE_END);
	CHECK_EQ(n, NFRAMES);
	/* refused: a handle that has been read from, and pcapng */
	CHECK(capture_share(c, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot be shared") != NULL);
	capture_close(c);
	const char *ng = tmp_path("share.pcapng");
	write_pcap(ng, FB_PCAPNG, false, 65535);
	c = open_ok(ng);
	if (c) {
		CHECK(capture_share(c, err, sizeof(err)) == NULL);
		capture_close(c);
	}
}

/* Resident kB of this process's mapping of path (from /proc/self/smaps). */
static long mapped_kib(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[1024];
	long kib = -1;
	bool in = false;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line), pl = strlen(path);
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' ') && n > pl)
			in = strncmp(line + n - 1 - pl, path, pl) == 0;
		else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* capture_prefault_start maps the pages of a range without the reader
 * touching them; the frames read afterwards are unchanged. */
static void test_prefault(void)
{
	fill_expect(1700000000ull * 1000000000ull, 1000ull);
	const char *path = tmp_path("prefault.pcap");
	int copies = 3000; /* ~1.2 MB */
	write_copies(path, FB_PCAP_US, copies);

	struct capture_file *c = open_ok(path);
	if (!c)
		return;
	long size_kib = (long)(capture_size(c) / 1024);
	long before = mapped_kib(path), now = before;
	CHECK(before >= 0 && before < size_kib / 2);
	CHECK_EQ(capture_prefault_start(c, 0, capture_size(c)), 0);
	CHECK(capture_prefault_start(c, 0, capture_size(c)) < 0); /* one at a time */
	for (int tries = 0; tries < 200 && now < size_kib; tries++) {
		usleep(10000);
		now = mapped_kib(path);
	}
	CHECK(now >= size_kib);
	int n = 0;
	struct capture_frame f;
	while (capture_next(c, &f) == CAPTURE_FRAME) {
		int i = n % NFRAMES;
		CHECK_EQ(f.caplen, ex.len[i]);
		CHECK(memcmp(f.data, ex.data[i], ex.len[i]) == 0);
		n++;
	}
	CHECK_EQ(n, copies * NFRAMES);
	capture_close(c);

	/* closed while it runs: joined, nothing left behind */
	c = open_ok(path);
	CHECK(c != NULL && capture_prefault_start(c, 4096, capture_size(c)) == 0);
	capture_close(c);
}

static void test_names(void)
{
	CHECK(strcmp(capture_linktype_name(1), "EN10MB") == 0);
	CHECK(strcmp(capture_linktype_name(10), "FDDI") == 0);
	CHECK(strcmp(capture_linktype_name(276), "LINUX_SLL2") == 0);
	CHECK(capture_linktype_name(65000) == NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_pcap();
	test_kuznetzov();
	test_pcapng();
	test_truncation();
	test_damage();
	test_stdin();
	test_stream_batches();
	test_mutations();
	test_share();
	test_prefault();
	test_names();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_done("test_capture_file");
}
