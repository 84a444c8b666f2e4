/*
 * capture_file.h - reads pcap and pcapng capture files, frame by frame.
 *
 * Both classic pcap (microsecond and nanosecond magic, either byte order)
 * and pcapng (several interfaces, each with its own link type and time
 * resolution; either byte order) are read by this code, without libpcap, so
 * that a damaged or cut file keeps every frame read before the damage and
 * the error names the file and the offset.  Frames are returned with the
 * link type of their interface (pcap LINKTYPE_* numbers, see classifier.h)
 * and the capture's own timestamp in UTC nanoseconds.
 */
#ifndef SYNACK_CAPTURE_FILE_H
#define SYNACK_CAPTURE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct capture_file;

struct capture_frame {
	const uint8_t *data; /* valid until the next capture_next() */
	uint32_t caplen;     /* bytes present */
	uint32_t wirelen;    /* original length on the wire */
	uint64_t time_ns;    /* UTC nanoseconds */
	int linktype;        /* LINKTYPE_* of the frame's interface */
	uint32_t interface;  /* pcapng interface index (0 for pcap) */
};

enum capture_status {
	CAPTURE_FRAME = 1, /* *frame is filled */
	CAPTURE_END = 0,   /* clean end of file */
	CAPTURE_ERROR = -1 /* damaged or unreadable: capture_error() says where and why */
};

/* Opens a file ("-" is standard input).  NULL with err filled on failure
 * (missing file, not a capture, unsupported version). */
struct capture_file *capture_open(const char *path, char *err, size_t errlen);

enum capture_status capture_next(struct capture_file *c, struct capture_frame *frame);

/* Up to max frames at once (the same frames capture_next() would return, in
 * order); the data of all of them stays valid until the next call.  From a
 * pipe or standard input a batch ends early where its next frame is not yet
 * in the read buffer.  Returns the number filled; *status is CAPTURE_FRAME
 * when more may follow, else the status that ended the batch (CAPTURE_END
 * or CAPTURE_ERROR). */
unsigned capture_next_batch(struct capture_file *c, struct capture_frame *frames, unsigned max,
                            enum capture_status *status);

/* Reading one file in parts (several readers, each with its own handle).
 * A part is the records that start in [from, to): capture_skip_to(c, from)
 * walks the records before it without returning them (CAPTURE_FRAME when
 * it stopped at the first record starting at or after from, else the status
 * that stopped it), and capture_set_end(c, to) makes capture_next() end
 * cleanly at the first record starting at or after to.  Readers of
 * neighbouring parts agree on the boundary record because both walk from
 * the start.  capture_splittable() says whether the file is mapped classic
 * pcap, where walking record headers is cheap. */
enum capture_status capture_skip_to(struct capture_file *c, uint64_t offset);
/* Another reader of the same mapped file: its own position (at the first
 * record), no mapping of its own, so pages mapped by one reader serve all.
 * Only for a splittable file that nothing has been read from yet; close
 * every share before c.  NULL with err filled otherwise. */
struct capture_file *capture_share(const struct capture_file *c, char *err, size_t errlen);
void capture_set_end(struct capture_file *c, uint64_t offset);
int capture_splittable(const struct capture_file *c);

/* Maps the pages of [from, to) of a mapped file in a background thread,
 * ahead of the reader, so that the reader does not stop at page faults
 * (MADV_POPULATE_READ, 8 MiB at a time; it also reads ahead a file that is
 * not in the page cache).  Worth it when a CPU is free for that thread.
 * -1 (and nothing started) for a file that is not mapped.  The thread ends
 * by itself, or in capture_close(). */
int capture_prefault_start(struct capture_file *c, uint64_t from, uint64_t to);

const char *capture_error(const struct capture_file *c);
/* Link type of the first interface (pcap: the file's). */
int capture_linktype(const struct capture_file *c);
const char *capture_format(const struct capture_file *c); /* "pcap", "pcap-ns", "pcapng" */
uint64_t capture_offset(const struct capture_file *c);    /* bytes consumed so far */
uint64_t capture_size(const struct capture_file *c);      /* file size, 0 if unknown */

void capture_close(struct capture_file *c);

/* Name of a link type for messages ("EN10MB", "LINUX_SLL", ...), or NULL. */
const char *capture_linktype_name(int linktype);

#endif /* SYNACK_CAPTURE_FILE_H */
