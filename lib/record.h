/*
 * record.h - the one record synack keeps per matched SYN+ACK.
 *
 * A worker fills one of these for every TCP SYN+ACK that an internal host
 * sends to an external host, and hands it by value over a ring to the
 * writer.  The layout is fixed (56 bytes, no pointers) so that it can travel
 * through rte_ring_create_elem() rings and be compared byte for byte in
 * tests.  The on-disk log uses its own compact encoding (doc/log-format.md);
 * this struct is the in-memory form only.  See doc/record.md.
 */
#ifndef SYNACK_RECORD_H
#define SYNACK_RECORD_H

#include <stdint.h>

enum {
	SYNACK_FAMILY_IPV4 = 4,
	SYNACK_FAMILY_IPV6 = 6,
};

/* Values of synack_record.ftp: why a record is (not) an FTP data connection. */
enum synack_ftp_mark {
	SYNACK_FTP_NONE = 0,    /* an ordinary SYN+ACK: proves an open port */
	SYNACK_FTP_ACTIVE = 1,  /* active-mode data connection (to port 20) */
	SYNACK_FTP_PASSIVE = 2, /* passive-mode data connection after port 21/990 */
};

/* TCP flag bits as they appear in the 12-bit flags field (byte 13 plus the
 * low bit of byte 12, the AccECN "AE" bit). */
enum {
	TCP_FLAG_FIN = 0x001,
	TCP_FLAG_SYN = 0x002,
	TCP_FLAG_RST = 0x004,
	TCP_FLAG_PSH = 0x008,
	TCP_FLAG_ACK = 0x010,
	TCP_FLAG_URG = 0x020,
	TCP_FLAG_ECE = 0x040,
	TCP_FLAG_CWR = 0x080,
	TCP_FLAG_AE = 0x100,
};

struct synack_record {
	uint64_t time_ns;   /* UTC, nanoseconds since the Unix epoch */
	uint8_t saddr[16];  /* internal host; IPv4 in the first 4 bytes, rest 0 */
	uint8_t daddr[16];  /* external host; same convention */
	uint16_t sport;     /* internal (service) port, host byte order */
	uint16_t dport;     /* external (client) port, host byte order */
	uint16_t flags;     /* TCP flags, 12 bits as in enum above */
	uint16_t vlan;      /* outermost VLAN id, 0 when untagged */
	uint8_t family;     /* SYNACK_FAMILY_IPV4 or SYNACK_FAMILY_IPV6 */
	uint8_t ftp;        /* enum synack_ftp_mark, set by the writer */
	uint8_t worker;     /* index of the worker (or input) that saw it */
	uint8_t reserved;   /* zero */
	uint32_t reserved2; /* zero; keeps the size a multiple of 8 */
};

_Static_assert(sizeof(struct synack_record) == 56, "record layout is fixed");

#endif /* SYNACK_RECORD_H */
