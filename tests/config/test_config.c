/* Unit tests for lib/config: parser, overrides, validator and every error. */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"

static char err[1024];

/* c's CPUs become 0 to n-1, whatever this machine has. */
static void set_cpus(struct synackd_config *c, unsigned n)
{
	CPU_ZERO(&c->cpus);
	for (unsigned i = 0; i < n; i++)
		CPU_SET(i, &c->cpus);
}

/* Defaults on a machine of 8 CPUs. */
static void defaults(struct synackd_config *c)
{
	config_defaults(c);
	set_cpus(c, 8);
}

/* Parse text + validate; returns 0/-1 and leaves the message in err. */
static int run(const char *text, struct synackd_config *c)
{
	defaults(c);
	snprintf(c->path, sizeof c->path, "t.conf");
	err[0] = '\0';
	if (config_parse_text(c, "t.conf", text, err, sizeof err) < 0)
		return -1;
	return config_validate(c, err, sizeof err);
}

#define BASE "internal = 198.18.0.0/15\n"

/* The text must fail with exactly this message. */
static void expect_err(const char *text, const char *want, int line)
{
	struct synackd_config c;
	int rc = run(text, &c);
	config_free(&c);
	int ok = rc < 0 && strcmp(err, want) == 0;
	check_at(ok, want, __FILE__, line);
	if (!ok)
		fprintf(stderr, "  got rc=%d '%s'\n", rc, err);
}
#define EXPECT_ERR(text, want) expect_err(text, want, __LINE__)

/* got must be exactly want. */
static void check_str(const char *got, const char *want, int line)
{
	int ok = strcmp(got, want) == 0;
	check_at(ok, want, __FILE__, line);
	if (!ok)
		fprintf(stderr, "  got '%s'\n", got);
}
#define CHECK_STR(got, want) check_str(got, want, __LINE__)

static void test_defaults(void)
{
	struct synackd_config c;
	CHECK(run(BASE "port = 0000:03:00.0\nport = 0000:03:00.1\n", &c) == 0);
	CHECK_EQ(c.n_port, 2);
	CHECK_EQ(c.n_rx, 2);
	CHECK_EQ(c.rx[0].lcore, 1);
	CHECK_EQ(c.rx[1].lcore, 2);
	CHECK_EQ(c.rx[1].port, 1);
	CHECK_EQ(c.writer_lcore, 3);
	CHECK_EQ(c.main_lcore, 0);
	CHECK_EQ(c.port[0].queues, 1);
	CHECK_EQ(c.ring_size, 65536);
	CHECK_EQ(c.flush_interval_ns, 1000000000ull);
	CHECK(config_lcore_role(&c, 0) == 0);
	CHECK(config_lcore_role(&c, 1) == 1);
	CHECK(config_lcore_role(&c, 3) == 2);
	CHECK(config_lcore_role(&c, 5) == -1);
	config_free(&c);
}

static void test_full(void)
{
	struct synackd_config c;
	const char *text = "# example\n"
	                   "[eal]\nlcores = 0-3\nmain_lcore = 0\nallow = 0000:03:00.0\n"
	                   "vdev = net_pcap0,rx_pcap=/tmp/x.pcap\nmemory_mb = 512\nhugepages = no\n"
	                   "pci = off\nfile_prefix = t-1\neal_args = --log-level=lib.eal:debug\n"
	                   "[ports]\nport = net_pcap0 queues=2\n"
	                   "[lcores]\nrx = 0,0,1\nrx = (0,1,2)\nwriter_lcore = 3\n"
	                   "[classify]\ninternal = 198.18.0.0/15, 2001:db8::/32\n"
	                   "exclude = 198.18.0.5/32\nsynack_rule = strict\npeers = any\n"
	                   "[writer]\ndata_dir = /tmp/d\nsensor_id = 7\nflush_interval = 500ms\n"
	                   "fsync_interval = 2m\ntimezone = Asia/Tokyo\nwrite_logs = yes\n"
	                   "write_db = true\n"
	                   "[ftp]\nftp = on\nftp_service_ports = 3389, 5900\n"
	                   "ftp_passive_timeout = 1h\n"
	                   "[tuning]\nring_size = 1024\nmbuf_pool_size = 8192\n"
	                   "rx_descriptors = 512\nburst_size = 32\nstats_interval = 5s # inline\n"
	                   "exit_on_idle = 2\n"
	                   "[control]\ncontrol_socket = \"/run/synack/s.sock\"\n";
	CHECK(run(text, &c) == 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	CHECK(strcmp(c.lcores, "0-3") == 0);
	CHECK_EQ(c.n_allow, 1);
	CHECK_EQ(c.n_vdev, 1);
	CHECK_EQ(c.memory_mb, 512);
	CHECK(!c.hugepages);
	CHECK(!c.pci);
	CHECK(strcmp(c.file_prefix, "t-1") == 0);
	CHECK_EQ(c.port[0].queues, 2);
	CHECK_EQ(c.rx[1].queue, 1);
	CHECK_EQ(c.rx[1].lcore, 2);
	CHECK(strstr(c.internal_text, "2001:db8::/32") != NULL);
	CHECK(strstr(c.exclude_text, "198.18.0.5/32") != NULL);
	CHECK(c.strict);
	CHECK(c.peers_any);
	CHECK(strcmp(c.data_dir, "/tmp/d") == 0);
	CHECK_EQ(c.sensor_id, 7);
	CHECK_EQ(c.flush_interval_ns, 500000000ull);
	CHECK_EQ(c.fsync_interval_ns, 120000000000ull);
	CHECK(strcmp(c.timezone, "Asia/Tokyo") == 0);
	CHECK(strcmp(c.ftp_service_ports, "3389, 5900") == 0);
	CHECK_EQ(c.ftp_passive_timeout_ns, 3600000000000ull);
	CHECK_EQ(c.ring_size, 1024);
	CHECK_EQ(c.mbuf_pool_size, 8192);
	CHECK_EQ(c.rx_descriptors, 512);
	CHECK_EQ(c.burst_size, 32);
	CHECK_EQ(c.stats_interval_ns, 5000000000ull);
	CHECK_EQ(c.exit_on_idle_ns, 2000000000ull);
	CHECK(strcmp(c.control_socket, "/run/synack/s.sock") == 0);
	config_free(&c);
}

static void test_files_and_overrides(void)
{
	char path[] = "/tmp/synack-test-config-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char *pf = "# internal nets\n198.18.0.0/16\n2001:db8:1::/48\n";
	CHECK(write(fd, pf, strlen(pf)) == (ssize_t)strlen(pf));
	close(fd);

	char text[512];
	snprintf(text, sizeof text, "internal_file = %s\nport = net_ring0\nrx = 0,0,1\n", path);
	struct synackd_config c;
	CHECK(run(text, &c) == 0);
	CHECK(strstr(c.internal_text, "2001:db8:1::/48") != NULL);
	CHECK(config_set(&c, "data_dir", "/tmp/other", err, sizeof err) == 0);
	CHECK(strcmp(c.data_dir, "/tmp/other") == 0);
	CHECK(config_set(&c, "ring_sise", "64", err, sizeof err) < 0);
	CHECK(strcmp(err, "command line: unknown key 'ring_sise' (did you mean 'ring_size'?)") ==
	      0);
	CHECK(config_set(&c, "burst_size", "x", err, sizeof err) < 0);
	CHECK(strcmp(err, "command line: burst_size: bad number 'x'") == 0);
	config_free(&c);

	/* a bad prefix inside an internal_file names both files */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, "10.0.0.0/33\n", 12) == 12);
	close(fd);
	snprintf(text, sizeof text, "port = net_ring0\ninternal_file = %s\n", path);
	CHECK(run(text, &c) < 0);
	char want[512];
	snprintf(want, sizeof want, "t.conf:2: internal_file: in '%s': ", path);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	CHECK(strstr(err, "10.0.0.0/33") != NULL);
	config_free(&c);
	unlink(path);

	snprintf(text, sizeof text, "port = net_ring0\ninternal_file = %s\n", path);
	snprintf(want, sizeof want,
	         "t.conf:2: internal_file: cannot read '%s': No such file or "
	         "directory",
	         path);
	EXPECT_ERR(text, want);

	/* config_load: missing file */
	config_defaults(&c);
	CHECK(config_load(&c, "/nonexistent/synackd.conf", err, sizeof err) < 0);
	CHECK(strcmp(err, "/nonexistent/synackd.conf: cannot read: No such file or directory") ==
	      0);
	config_free(&c);
}

static void test_durations(void)
{
	uint64_t ns;
	CHECK(config_parse_duration("10", &ns) == 0 && ns == 10000000000ull);
	CHECK(config_parse_duration("1.5s", &ns) == 0 && ns == 1500000000ull);
	CHECK(config_parse_duration("250us", &ns) == 0 && ns == 250000ull);
	CHECK(config_parse_duration("2h", &ns) == 0 && ns == 7200000000000ull);
	CHECK(config_parse_duration("5 s", &ns) < 0);
	CHECK(config_parse_duration("-1", &ns) < 0);
	CHECK(config_parse_duration("s", &ns) < 0);
	CHECK(config_parse_duration("0.5ms", &ns) == 0 && ns == 500000ull);
	CHECK(config_parse_duration("1.25m", &ns) == 0 && ns == 75000000000ull);
	CHECK(config_parse_duration("0", &ns) == 0 && ns == 0);
	CHECK(config_parse_duration("007s", &ns) == 0 && ns == 7000000000ull);
	CHECK(config_parse_duration("0x10", &ns) < 0);
	CHECK(config_parse_duration("1e-9", &ns) < 0);
	CHECK(config_parse_duration("1e3", &ns) < 0);
	CHECK(config_parse_duration("1.", &ns) < 0);
	CHECK(config_parse_duration("1.s", &ns) < 0);
	CHECK(config_parse_duration("inf", &ns) < 0);
	CHECK(config_parse_duration("+1", &ns) < 0);
	CHECK(config_parse_duration(" 1", &ns) < 0);
	CHECK(config_parse_duration("1ns", &ns) < 0);
	CHECK(config_parse_duration("1000000000000000001us", &ns) < 0);
	CHECK(config_parse_duration("31709791983.7s", &ns) < 0);
	CHECK(config_parse_duration("31709791s", &ns) == 0 && ns == 31709791000000000ull);
	EXPECT_ERR("stats_interval = 0x10\n", "t.conf:1: stats_interval: bad duration '0x10' "
	                                      "(examples: 10, 10s, 500ms, 5m, 1h)");
	EXPECT_ERR("exit_on_idle = 1e-9\n", "t.conf:1: exit_on_idle: bad duration '1e-9' "
	                                    "(examples: 10, 10s, 500ms, 5m, 1h)");
	EXPECT_ERR("ring_size = 0x400\n", "t.conf:1: ring_size: bad number '0x400'");
	EXPECT_ERR("ring_size = +1024\n", "t.conf:1: ring_size: bad number '+1024'");
	EXPECT_ERR("ring_size = 1e3\n", "t.conf:1: ring_size: bad number '1e3'");
	bool b;
	CHECK(config_parse_bool("YES", &b) == 0 && b);
	CHECK(config_parse_bool("off", &b) == 0 && !b);
	CHECK(config_parse_bool("maybe", &b) < 0);
}

static void test_errors(void)
{
	/* parser */
	EXPECT_ERR(BASE "port = net_ring0\nring_sise = 1024\n",
	           "t.conf:3: unknown key 'ring_sise' (did you mean 'ring_size'?)");
	EXPECT_ERR(BASE "frobnicate = 1\n", "t.conf:2: unknown key 'frobnicate'");
	EXPECT_ERR("[eall]\n", "t.conf:1: unknown section [eall] (did you mean [eal]?)");
	EXPECT_ERR("[zzzzzzzz]\n", "t.conf:1: unknown section [zzzzzzzz]");
	EXPECT_ERR("[eal\n", "t.conf:1: section header '[eal' lacks ']'");
	EXPECT_ERR("just words\n", "t.conf:1: expected 'key = value', got 'just words'");
	EXPECT_ERR("= 4\n", "t.conf:1: missing key before '='");
	EXPECT_ERR("[eal]\nwriter_lcore = 3\n",
	           "t.conf:2: key 'writer_lcore' belongs in section [lcores], not [eal]");
	EXPECT_ERR("ring_size =\n", "t.conf:1: ring_size: missing value");
	EXPECT_ERR("ring_size = 12x\n", "t.conf:1: ring_size: bad number '12x'");
	EXPECT_ERR("ring_size = 1000\n", "t.conf:1: ring_size: 1000 is not a power of two");
	EXPECT_ERR("ring_size = 32\n", "t.conf:1: ring_size: 32 is out of range 64-67108864");
	EXPECT_ERR("main_lcore = 200\n", "t.conf:1: main_lcore: 200 is out of range 0-127");
	EXPECT_ERR("writer_lcore = -1\n", "t.conf:1: writer_lcore: bad number '-1'");
	EXPECT_ERR("memory_mb = lots\n", "t.conf:1: memory_mb: bad number 'lots'");
	EXPECT_ERR("sensor_id = 4294967296\n",
	           "t.conf:1: sensor_id: 4294967296 is out of range 0-4294967295");
	EXPECT_ERR("rx_descriptors = 16\n",
	           "t.conf:1: rx_descriptors: 16 is out of range 32-32768");
	EXPECT_ERR("burst_size = 0\n", "t.conf:1: burst_size: 0 is out of range 1-512");
	EXPECT_ERR("mbuf_pool_size = 100\n",
	           "t.conf:1: mbuf_pool_size: 100 is too small (0 = automatic, or >= 1024)");
	EXPECT_ERR("hugepages = maybe\n", "t.conf:1: hugepages: expected yes or no, got 'maybe'");
	EXPECT_ERR("flush_interval = soon\n",
	           "t.conf:1: flush_interval: bad duration 'soon' (examples: 10, 10s, 500ms, 5m, "
	           "1h)");
	EXPECT_ERR("flush_interval = 10us\n",
	           "t.conf:1: flush_interval: 10us is too short (at least 1ms)");
	EXPECT_ERR("synack_rule = paper\n",
	           "t.conf:1: synack_rule: expected default or strict, got 'paper'");
	EXPECT_ERR("peers = some\n", "t.conf:1: peers: expected external or any, got 'some'");
	EXPECT_ERR("data_dir = var/lib\n",
	           "t.conf:1: data_dir: 'var/lib' should be an absolute path");
	EXPECT_ERR("data_dir = ./x\n", "t.conf:1: data_dir: './x' should be an absolute path");
	EXPECT_ERR("data_dir = ..rel\n", "t.conf:1: data_dir: '..rel' should be an absolute path");
	EXPECT_ERR("internal_file = p.txt\n",
	           "t.conf:1: internal_file: 'p.txt' should be an absolute path");
	EXPECT_ERR("exclude_file = ./x\n",
	           "t.conf:1: exclude_file: './x' should be an absolute path");
	EXPECT_ERR("control_socket = ./x.sock\n",
	           "t.conf:1: control_socket: './x.sock' should be an absolute path");
	EXPECT_ERR("control_socket = x.sock\n",
	           "t.conf:1: control_socket: 'x.sock' should be an absolute path");
	EXPECT_ERR("timezone = /etc/passwd\n",
	           "t.conf:1: timezone: '/etc/passwd' is not a zone name (example: Asia/Tokyo)");
	EXPECT_ERR("lcores = all\n",
	           "t.conf:1: lcores: bad lcore list 'all' (example: 0-3 or 0,1,2,3)");
	EXPECT_ERR("file_prefix = a/b\n",
	           "t.conf:1: file_prefix: 'a/b' may hold only letters, digits, - _ .");
	EXPECT_ERR("vdev = pcap0\n",
	           "t.conf:1: vdev: 'pcap0' does not look like a DPDK vdev (net_pcap0,...)");
	EXPECT_ERR("ftp_service_ports = 80;90\n",
	           "t.conf:1: ftp_service_ports: bad port list '80;90'");
	EXPECT_ERR("ftp_service_ports = 70000\n",
	           "t.conf:1: ftp_service_ports: port 70000 out of range 1-65535");
	EXPECT_ERR("port = a\nport = a\n", "t.conf:2: port: 'a' is already port 0 (line 1)");
	EXPECT_ERR("port = a queues=17\n",
	           "t.conf:1: port: queues=17: more queues than RSS allows (1-16; 16 on 82599)");
	EXPECT_ERR("port = a queues=x\n", "t.conf:1: port: bad number 'x' in queues=");
	EXPECT_ERR("port = a rings=2\n",
	           "t.conf:1: port: expected 'queues=N' after the device name, got 'rings=2'");
	EXPECT_ERR("rx = 0,0\n", "t.conf:1: rx: expected port,queue,lcore, got '0,0'");
	EXPECT_ERR("rx = 0,0,1,2\n", "t.conf:1: rx: expected port,queue,lcore, got '0,0,1,2'");
	EXPECT_ERR("rx = 0,a,1\n",
	           "t.conf:1: rx: bad number 'a' in '0,a,1' (expected port,queue,lcore)");
	EXPECT_ERR("rx = 0,16,1\n",
	           "t.conf:1: rx: queue 16: more queues than RSS allows (0-15; 16 on 82599)");
	EXPECT_ERR("rx = 0,0,128\n", "t.conf:1: rx: lcore 128 out of range 0-127");
	EXPECT_ERR("rx = 9,0,1\n", "t.conf:1: rx: port 9 out of range 0-7");
	{
		char want[256];
		snprintf(want, sizeof want, "t.conf:1: internal: ");
		struct synackd_config c;
		CHECK(run("internal = 10.0.0.0/33\n", &c) < 0);
		CHECK(strncmp(err, want, strlen(want)) == 0);
		CHECK(strstr(err, "10.0.0.0/33") != NULL);
		config_free(&c);
		CHECK(run(BASE "exclude = 2001:db8::/129\n", &c) < 0);
		CHECK(strncmp(err, "t.conf:2: exclude: ", 19) == 0);
		config_free(&c);
	}

	/* validator */
	EXPECT_ERR(BASE, "t.conf: no port configured (port = PCI address or vdev)");
	EXPECT_ERR("port = a\n",
	           "t.conf: no internal prefixes (internal = ... or internal_file = ...)");
	EXPECT_ERR(BASE "port = a\nwriter_lcore = 0\n",
	           "t.conf:3: writer_lcore 0 is the main lcore; give the writer its own lcore");
	EXPECT_ERR(BASE "port = a\nrx = 0,0,0\n",
	           "t.conf:3: rx: lcore 0 is the main lcore; it cannot also be a worker");
	EXPECT_ERR(BASE "port = a\nrx = 0,0,3\n",
	           "t.conf:3: rx: lcore 3 is the writer lcore (writer_lcore); it cannot also be a "
	           "worker");
	EXPECT_ERR(BASE "port = a\nrx = 0,0,1\nrx = 0,0,2\n",
	           "t.conf:4: rx: port 0 queue 0 is already served by lcore 1 (line 3)");
	EXPECT_ERR(BASE "port = a\nrx = 1,0,1\n",
	           "t.conf:3: rx: port 1 is not configured (1 port: 0-0)");
	EXPECT_ERR(BASE "port = a\nport = b\nrx = 0,0,1\n",
	           "t.conf:3: port 1 (b) has no rx line: no lcore serves it");
	EXPECT_ERR(BASE "port = a queues=1\nrx = 0,0,1\nrx = 0,1,2\n",
	           "t.conf:2: port 0 (a) has queues=1 but an rx line serves queue 1");
	EXPECT_ERR(BASE "port = a queues=2\nrx = 0,0,1\n",
	           "t.conf:2: port 0 (a) queue 1 is served by no lcore (add rx = 0,1,LCORE)");
	EXPECT_ERR(BASE "port = a\nrx = 0,1,1\n",
	           "t.conf:2: port 0 (a) queue 0 is served by no lcore (add rx = 0,0,LCORE)");
	EXPECT_ERR(BASE "port = a\nburst_size = 512\nrx_descriptors = 256\n",
	           "t.conf:3: burst_size 512 is larger than rx_descriptors 256");
	EXPECT_ERR(BASE "port = a\nring_size = 64\nburst_size = 64\n",
	           "t.conf:3: ring_size 64 is smaller than twice burst_size (64)");

	/* limits of repeatable keys */
	{
		char big[8192];
		size_t o = 0;
		for (int i = 0; i < 9; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "port = p%d\n", i);
		EXPECT_ERR(big, "t.conf:9: port: too many ports (max 8)");
		o = 0;
		for (int i = 0; i < 17; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "allow = 0000:0%d:00.0\n",
			                      i % 10);
		EXPECT_ERR(big, "t.conf:17: allow: too many devices (max 16)");
		o = 0;
		for (int i = 0; i < 17; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "vdev = net_ring%d\n", i);
		EXPECT_ERR(big, "t.conf:17: vdev: too many devices (max 16)");
		o = 0;
		for (int i = 0; i < 65; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "rx = 0,%d,%d\n", i % 16,
			                      i + 1);
		EXPECT_ERR(big, "t.conf:65: rx: too many rx lines (max 64)");
		o = (size_t)snprintf(big, sizeof big, "data_dir = /");
		memset(big + o, 'x', 300);
		big[o + 300] = '\n';
		big[o + 301] = '\0';
		EXPECT_ERR(big, "t.conf:1: data_dir: value too long (max 255 characters)");
		/* 8 ports x 16 queues without rx lines: not enough lcores */
		o = (size_t)snprintf(big, sizeof big, BASE);
		for (int i = 0; i < 8; i++)
			o += (size_t)snprintf(big + o, sizeof big - o, "port = p%d queues=16\n", i);
		EXPECT_ERR(big, "t.conf:6: too many queues to give each its own lcore");
		EXPECT_ERR("exclude_file = /nonexistent/x\n",
		           "t.conf:1: exclude_file: cannot read '/nonexistent/x': No such file or "
		           "directory");
	}

	/* an lcore may serve several queues (allowed) */
	struct synackd_config c;
	CHECK(run(BASE "port = a queues=2\nrx = 0,0,1\nrx = 0,1,1\n", &c) == 0);
	config_free(&c);
}

/* The installed example must load and validate as it is. */
static void test_retention_alerts(void)
{
	struct synackd_config c;

	CHECK(run(BASE "port = net_ring0\n", &c) == 0);
	CHECK_EQ(c.log_retention_days, 400);
	CHECK_EQ(c.db_retention_days, 400);
	CHECK_EQ(c.min_free_mb, 1024);
	CHECK(c.alerts);
	CHECK_EQ(c.learning_days, 14);
	config_free(&c);
	CHECK(run(BASE "port = net_ring0\n[retention]\nlog_retention_days = 30\n"
	               "db_retention_days = 0\nmin_free_mb = 0\n[alerts]\nalerts = no\n"
	               "alert_exec = /usr/bin/logger -t synack\nalert_timeout = 3s\n"
	               "gone_days = 0\n",
	          &c) == 0);
	CHECK_EQ(c.log_retention_days, 30);
	CHECK_EQ(c.db_retention_days, 0);
	CHECK_EQ(c.min_free_mb, 0);
	CHECK(!c.alerts);
	CHECK(strcmp(c.alert_exec, "/usr/bin/logger -t synack") == 0);
	CHECK_EQ(c.alert_timeout_ns, 3000000000ull);
	CHECK_EQ(c.gone_days, 0);
	config_free(&c);
	EXPECT_ERR(BASE "[alerts]\nalert_exec = logger -t x\n",
	           "t.conf:3: alert_exec: 'logger -t x' should start with an absolute program "
	           "path (it runs without a shell)");
	EXPECT_ERR(BASE "[alerts]\nalert_timeout = 0\n",
	           "t.conf:3: alert_timeout: 0 is too short (at least 1s)");
	EXPECT_ERR(BASE "[alerts]\nalert_timeout = 999ms\n",
	           "t.conf:3: alert_timeout: 999ms is too short (at least 1s)");
	EXPECT_ERR(BASE "[alerts]\nalert_timeout = 25h\n",
	           "t.conf:3: alert_timeout: 25h is too long (at most 1 day)");
	CHECK(run(BASE "port = a\n[alerts]\nalert_timeout = 1s\n", &c) == 0);
	CHECK_EQ(c.alert_timeout_ns, 1000000000ull);
	config_free(&c);
	EXPECT_ERR(BASE "[alerts]\nreturn_days = 0\n",
	           "t.conf:3: return_days: 0 is out of range 1-100000");
	EXPECT_ERR(BASE "[retention]\nlog_retention_days = soon\n",
	           "t.conf:3: log_retention_days: bad number 'soon'");
}

static void test_security(void)
{
	struct synackd_config c;

	CHECK(run(BASE "port = net_ring0\n", &c) == 0);
	CHECK(c.drop_capabilities);
	config_free(&c);
	CHECK(run(BASE "port = net_ring0\n[security]\ndrop_capabilities = no\n", &c) == 0);
	CHECK(!c.drop_capabilities);
	config_free(&c);
	EXPECT_ERR(BASE "[security]\ndrop_capabilities = maybe\n",
	           "t.conf:3: drop_capabilities: expected yes or no, got 'maybe'");
	EXPECT_ERR(BASE "[alerts]\ndrop_capabilities = no\n",
	           "t.conf:3: key 'drop_capabilities' belongs in section [security], not [alerts]");

	/* user: the name is checked when read, the user when validated */
	CHECK(run(BASE "port = net_ring0\n", &c) == 0);
	CHECK(c.user[0] == 0);
	config_free(&c);
	EXPECT_ERR(BASE "[security]\nuser = -r\n", "t.conf:3: user: '-r' is not a user name");
	EXPECT_ERR(BASE "[security]\nuser = a/b\n", "t.conf:3: user: 'a/b' is not a user name");
	EXPECT_ERR(BASE "port = net_ring0\n[security]\nuser = no-such-user-5e1\n",
	           "t.conf:4: user 'no-such-user-5e1': no such user (see config/synack.sysusers)");
	EXPECT_ERR(BASE "port = net_ring0\n[security]\nuser = root\n",
	           "t.conf:4: user 'root' has uid 0; leave user unset to stay uid 0");
	EXPECT_ERR(BASE "port = net_ring0\n[security]\nuser = nobody\ndrop_capabilities = no\n",
	           "t.conf:4: user = nobody needs drop_capabilities = yes: a process of another "
	           "user has no capability");
	const struct passwd *pw = getpwnam("nobody");
	if (pw) {
		CHECK(run(BASE "port = net_ring0\n[security]\nuser = nobody\n", &c) == 0);
		CHECK(strcmp(c.user, "nobody") == 0);
		CHECK_EQ(c.user_uid, (unsigned)pw->pw_uid);
		CHECK_EQ(c.user_gid, (unsigned)pw->pw_gid);
		config_free(&c);
	}
}

static void test_example(void)
{
	const char *root = getenv("SYNACK_SOURCE_ROOT");
	if (!root)
		return;
	char path[1024];
	snprintf(path, sizeof path, "%s/config/synackd.conf", root);
	struct synackd_config c;
	config_defaults(&c);
	set_cpus(&c, 4); /* the appliance */
	int rc = config_load(&c, path, err, sizeof err);
	CHECK(strcmp(c.user, "synack") == 0);
	if (!getpwnam("synack"))
		c.user[0] = 0; /* not an appliance: the user is tested above */
	if (rc == 0)
		rc = config_validate(&c, err, sizeof err);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	CHECK(rc == 0);
	CHECK_EQ(c.n_port, 2);
	CHECK_EQ(c.n_rx, 2);
	CHECK_EQ(c.writer_lcore, 3);
	CHECK_EQ(c.n_allow, 2);
	CHECK(strcmp(c.control_socket, "/run/synack/synackd.sock") == 0);
	config_free(&c);
}

/* A new temporary file holding n bytes of data; its name in path. */
static void write_temp(char *path, const char *data, size_t n)
{
	snprintf(path, 64, "/tmp/synack-test-config-XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, data, n) == (ssize_t)n);
	close(fd);
}

/* A NUL byte ends neither the file nor a prefix file silently. */
static void test_nul_bytes(void)
{
	static const char text[] = BASE "port = a\0\n[security]\nuser = root\n";
	char path[64], want[128];
	struct synackd_config c;
	write_temp(path, text, sizeof text - 1);
	config_defaults(&c);
	CHECK(config_load(&c, path, err, sizeof err) < 0);
	snprintf(want, sizeof want, "%s:2: NUL byte in line", path);
	CHECK_STR(err, want);
	config_free(&c);

	config_defaults(&c);
	CHECK(config_parse_buffer(&c, "t.conf", text, sizeof text - 1, err, sizeof err) < 0);
	CHECK_STR(err, "t.conf:2: NUL byte in line");
	config_free(&c);
	unlink(path);

	/* in a prefix file */
	write_temp(path, "10.0.0.0/8\n\0 0.0.0.0/0\n", 24);
	char line[128];
	snprintf(line, sizeof line, "internal_file = %s\n", path);
	snprintf(want, sizeof want, "t.conf:1: internal_file: in '%s': NUL byte in the file", path);
	EXPECT_ERR(line, want);
	unlink(path);
}

/* A leading byte order mark is skipped; echoed bytes are escaped, cut short. */
static void test_bom_and_echo(void)
{
	struct synackd_config c;
	CHECK(run("\xef\xbb\xbf[eal]\nmain_lcore = 0\n[ports]\nport = a\n[classify]\n"
	          "internal = 198.18.0.0/15\n",
	          &c) == 0);
	CHECK_EQ(c.n_port, 1);
	config_free(&c);
	EXPECT_ERR(BASE "\xef\xbb\xbf[eal]\n",
	           "t.conf:2: expected 'key = value', got '\\xef\\xbb\\xbf[eal]'");
	EXPECT_ERR("\x1b]0;owned\x07\n",
	           "t.conf:1: expected 'key = value', got '\\x1b]0;owned\\x07'");
	EXPECT_ERR("data_dir = a\x1b[2Jb\xc3\xa9\n",
	           "t.conf:1: data_dir: 'a\\x1b[2Jb\\xc3\\xa9' should be an absolute path");
	char line[300];
	memset(line, 'x', 200);
	line[200] = '\0';
	char want[160];
	snprintf(want, sizeof want, "t.conf:1: expected 'key = value', got '%.64s...'", line);
	EXPECT_ERR(line, want);
	snprintf(want, sizeof want, "t.conf:1: unknown section [%.64s...]", line);
	line[0] = '[';
	line[199] = ']';
	EXPECT_ERR(line, want);

	/* in a prefix file too */
	char path[64];
	write_temp(path,
	           "\xef\xbb\xbf"
	           "198.18.0.0/15\n",
	           17);
	snprintf(line, sizeof line, "port = a\ninternal_file = %s\n", path);
	CHECK(run(line, &c) == 0);
	CHECK(strstr(c.internal_text, "198.18.0.0/15") == c.internal_text);
	config_free(&c);
	unlink(path);
}

/* A '#' inside double quotes belongs to the value. */
static void test_quotes(void)
{
	struct synackd_config c;
	CHECK(run(BASE "port = a\nalert_exec = \"/bin/true # x\" # comment \"\n", &c) == 0);
	CHECK_STR(c.alert_exec, "/bin/true # x");
	config_free(&c);
	CHECK(run(BASE "port = a\nalert_exec = /bin/echo \"#1\" #2\n", &c) == 0);
	CHECK_STR(c.alert_exec, "/bin/echo \"#1\"");
	config_free(&c);
	EXPECT_ERR(BASE "timezone = \"UTC\n", "t.conf:2: unbalanced quote: a '\"' is never closed");
	EXPECT_ERR(BASE "alert_exec = \"/bin/true # x\n",
	           "t.conf:2: unbalanced quote: a '\"' is never closed");
	EXPECT_ERR(BASE "user = \"a\"b\"\n", "t.conf:2: unbalanced quote: a '\"' is never closed");
}

/* Empty fields are not skipped. */
static void test_empty_fields(void)
{
	EXPECT_ERR(BASE "rx = 0,,0,,1\n", "t.conf:2: rx: expected port,queue,lcore, got '0,,0,,1'");
	EXPECT_ERR(BASE "rx = 0,0,1,\n", "t.conf:2: rx: expected port,queue,lcore, got '0,0,1,'");
	EXPECT_ERR(BASE "rx = ,0,0,1\n", "t.conf:2: rx: expected port,queue,lcore, got ',0,0,1'");
	EXPECT_ERR(BASE "rx = (0, 0, )\n",
	           "t.conf:2: rx: expected port,queue,lcore, got '(0, 0, )'");
	EXPECT_ERR(BASE "rx = 0, x ,1\n",
	           "t.conf:2: rx: bad number 'x' in '0, x ,1' (expected port,queue,lcore)");
	EXPECT_ERR(BASE "ftp_service_ports = 3389,,5900\n",
	           "t.conf:2: ftp_service_ports: empty item in '3389,,5900' (a comma with no "
	           "port)");
	EXPECT_ERR(BASE "ftp_service_ports = , 3389\n",
	           "t.conf:2: ftp_service_ports: empty item in ', 3389' (a comma with no port)");
	EXPECT_ERR(BASE "ftp_service_ports = 99999999999999999999999\n",
	           "t.conf:2: ftp_service_ports: port 99999999999999999999999 out of range "
	           "1-65535");
	struct synackd_config c;
	CHECK(run(BASE "port = a\nrx = ( 0 , 0 , 1 )\nftp_service_ports = 3389 5900, 8080,\n",
	          &c) == 0);
	CHECK_EQ(c.rx[0].lcore, 1);
	CHECK_STR(c.ftp_service_ports, "3389 5900, 8080,");
	config_free(&c);
}

/* timezone: UTC or a zone file of $TZDIR that begins with TZif. */
static void test_timezone(void)
{
	char dir[] = "/tmp/synack-test-zones-XXXXXX", path[128];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/Test", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof path, "%s/Test/Zone", dir);
	FILE *f = fopen(path, "w");
	fputs("TZif2...", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/Test/Text", dir);
	f = fopen(path, "w");
	fputs("not a zone\n", f);
	fclose(f);
	setenv("TZDIR", dir, 1);

	struct synackd_config c;
	CHECK(run(BASE "port = a\ntimezone = Test/Zone\n", &c) == 0);
	CHECK_STR(c.timezone, "Test/Zone");
	config_free(&c);
	CHECK(run(BASE "port = a\ntimezone = UTC\n", &c) == 0);
	config_free(&c);
	char want[512];
	const char *bad[] = {"Test/Text", "Test", "Test/Tokio", "Mars/Olympus"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, BASE "timezone = %s\n", bad[i]);
		snprintf(want, sizeof want,
		         "t.conf:2: timezone: unknown time zone '%s' (not in %s; want a name such "
		         "as Europe/Berlin or UTC)",
		         bad[i], dir);
		EXPECT_ERR(text, want);
	}
	EXPECT_ERR(BASE "timezone = Test/../Test/Zone\n",
	           "t.conf:2: timezone: bad time zone 'Test/../Test/Zone' (want a name such as "
	           "Europe/Berlin)");
	EXPECT_ERR(BASE "timezone = Test//Zone\n",
	           "t.conf:2: timezone: bad time zone 'Test//Zone' (want a name such as "
	           "Europe/Berlin)");
	EXPECT_ERR(BASE "timezone = a=b\n",
	           "t.conf:2: timezone: 'a=b' is not a zone name (example: Asia/Tokyo)");
	EXPECT_ERR(BASE "timezone = :Test/Zone\n",
	           "t.conf:2: timezone: ':Test/Zone' is not a zone name (example: Asia/Tokyo)");
	unsetenv("TZDIR");
	snprintf(path, sizeof path, "%s/Test/Zone", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test/Text", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Test", dir);
	rmdir(path);
	rmdir(dir);

	/* the system's database */
	EXPECT_ERR(BASE "timezone = Asia/Tokio\n",
	           "t.conf:2: timezone: unknown time zone 'Asia/Tokio' (not in "
	           "/usr/share/zoneinfo; want a name such as Europe/Berlin or UTC)");
}

/* Parse text as t.conf, apply one --set, validate; the message in err. */
static int run_set(const char *text, const char *key, const char *value, struct synackd_config *c)
{
	defaults(c);
	snprintf(c->path, sizeof c->path, "t.conf");
	err[0] = '\0';
	if (config_parse_text(c, "t.conf", text, err, sizeof err) < 0 ||
	    config_set(c, key, value, err, sizeof err) < 0)
		return -1;
	return config_validate(c, err, sizeof err);
}

/* Settings of the command line are blamed on the command line. */
static void test_command_line_origin(void)
{
	struct synackd_config c;
	CHECK(run_set(BASE "port = a\n", "rx", "0,0,3", &c) < 0);
	CHECK_STR(err, "command line: --set rx=0,0,3: rx: lcore 3 is the writer lcore "
	               "(writer_lcore); it cannot also be a worker");
	config_free(&c);
	CHECK(run_set(BASE "port = a\nrx = 0,0,1\n", "rx", "0,0,2", &c) < 0);
	CHECK_STR(err, "command line: --set rx=0,0,2: rx: port 0 queue 0 is already served by "
	               "lcore 1 (line 3)");
	config_free(&c);
	CHECK(run_set(BASE "port = a\n[security]\ndrop_capabilities = no\n", "user", "nobody", &c) <
	      0);
	CHECK_STR(err, "command line: --set user=nobody: user = nobody needs drop_capabilities "
	               "= yes: a process of another user has no capability");
	config_free(&c);
	CHECK(run_set(BASE "port = a\n", "writer_lcore", "0", &c) < 0);
	CHECK_STR(err, "command line: --set writer_lcore=0: writer_lcore 0 is the main lcore; "
	               "give the writer its own lcore");
	config_free(&c);
	CHECK(run_set(BASE "port = a\n", "port", "a", &c) < 0);
	CHECK_STR(err, "command line: port: 'a' is already port 0 (line 2)");
	config_free(&c);

	/* where each setting came from */
	char buf[300];
	CHECK(run_set(BASE "port = a\n", "port", "net_pcap7", &c) == 0);
	CHECK_STR(config_origin(&c, c.port[0].line, buf, sizeof buf), "t.conf:2");
	CHECK_STR(config_origin(&c, c.port[1].line, buf, sizeof buf),
	          "command line: --set port=net_pcap7");
	CHECK_STR(config_origin(&c, c.key_line[0], buf, sizeof buf), "t.conf");
	CHECK_STR(config_origin(&c, CONFIG_LINE_COMMAND, buf, sizeof buf), "command line");
	config_free(&c);

	/* an option that stands for a key is named as typed */
	defaults(&c);
	CHECK(config_parse_text(&c, "t.conf", BASE "port = a\n", err, sizeof err) == 0);
	CHECK(config_set_option(&c, "--exclude", "exclude", "10.0.0.0/8", err, sizeof err) == 0);
	CHECK(config_validate(&c, err, sizeof err) == 0);
	CHECK(c.n_warning == 1 &&
	      strncmp(c.warning[0], "command line: --exclude 10.0.0.0/8: ", 36) == 0);
	config_free(&c);
}

/* lcores: every role's lcore in it, every CPU one the process may use. */
static void test_lcores(void)
{
	EXPECT_ERR(BASE "port = a\nlcores = 0@0,1@1,2@0\n",
	           "t.conf:3: writer_lcore 3 is not in lcores '0@0,1@1,2@0'");
	EXPECT_ERR(BASE "port = a\nlcores = 0@0,1@1,2@0\nwriter_lcore = 5\n",
	           "t.conf:4: writer_lcore 5 is not in lcores '0@0,1@1,2@0'");
	EXPECT_ERR(BASE "port = a\nlcores = 0-2\nwriter_lcore = 2\nmain_lcore = 3\n",
	           "t.conf:5: main_lcore 3 is not in lcores '0-2'");
	EXPECT_ERR(BASE "port = a\nlcores = (0-3)@0\nrx = 0,0,7\n",
	           "t.conf:4: rx: lcore 7 (port 0 queue 0) is not in lcores '(0-3)@0'");
	EXPECT_ERR(BASE "port = a\nport = b\nlcores = 0,1,3\n",
	           "t.conf:4: rx: lcore 2 (port 1 queue 0) is not in lcores '0,1,3'");
	const char *bad[] = {",,@@", "0-",    "0,,1", "3-1",    "0@", "(0,1",
	                     "0@(1", "0@1@2", "128",  "0@1024", "1,", "(0)(1)"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128], want[128];
		snprintf(text, sizeof text, "lcores = %s\n", bad[i]);
		snprintf(want, sizeof want,
		         "t.conf:1: lcores: bad lcore list '%s' (example: 0-3 or 0,1,2,3)", bad[i]);
		EXPECT_ERR(text, want);
	}
	struct synackd_config c;
	const char *good[] = {"0-3", "0,1,2,3", "0@0,1@1,2@1,3@0", "(0-3)@(0,1)",
	                      "0,1@(0-1),(2,3)@(1,7),127@0"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, BASE "port = a\nlcores = %s\n", good[i]);
		CHECK(run(text, &c) == 0);
		CHECK_STR(c.lcores, good[i]);
		config_free(&c);
	}

	/* CPUs: this machine has 2 (0-1) */
	defaults(&c);
	set_cpus(&c, 2);
	snprintf(c.path, sizeof c.path, "t.conf");
	CHECK(config_parse_text(&c, "t.conf", BASE "port = a\nlcores = 0-3\n", err, sizeof err) ==
	      0);
	CHECK(config_validate(&c, err, sizeof err) < 0);
	CHECK_STR(err, "t.conf:3: lcores: CPU 2 is not one this process may run on (CPUs 0-1)");
	config_free(&c);
	defaults(&c);
	set_cpus(&c, 2);
	CHECK(config_parse_text(&c, "t.conf", BASE "port = a\nlcores = 0@0,1@1,2@0,3@1\n", err,
	                        sizeof err) == 0);
	CHECK(config_validate(&c, err, sizeof err) == 0);
	config_free(&c);
	/* without lcores each lcore runs on the CPU of its number */
	defaults(&c);
	set_cpus(&c, 2);
	snprintf(c.path, sizeof c.path, "t.conf");
	CHECK(config_parse_text(&c, "t.conf", BASE "port = a\nrx = 0,0,1\n", err, sizeof err) == 0);
	CHECK(config_validate(&c, err, sizeof err) < 0);
	CHECK_STR(err, "t.conf: lcore 3 would run on CPU 3, which this process may not use (CPUs "
	               "0-1); map the lcores onto them (lcores = 0@0,1@1,2@0,...)");
	config_free(&c);
	defaults(&c);
	CPU_ZERO(&c.cpus);
	CPU_SET(0, &c.cpus);
	CPU_SET(2, &c.cpus);
	CPU_SET(3, &c.cpus);
	CPU_SET(5, &c.cpus);
	snprintf(c.path, sizeof c.path, "t.conf");
	CHECK(config_parse_text(&c, "t.conf", BASE "port = a\nrx = 0,0,1\n", err, sizeof err) == 0);
	CHECK(config_validate(&c, err, sizeof err) < 0);
	CHECK_STR(err, "t.conf:3: lcore 1 would run on CPU 1, which this process may not use (CPUs "
	               "0,2-3,5); map the lcores onto them (lcores = 0@0,1@1,2@0,...)");
	config_free(&c);
}

/* Text + validate must succeed with exactly these warnings. */
static void expect_warnings(const char *text, const char *w0, const char *w1, int line)
{
	struct synackd_config c;
	int rc = run(text, &c);
	unsigned want = (w0 != NULL) + (w1 != NULL);
	int ok = rc == 0 && c.n_warning == want && (!w0 || strcmp(c.warning[0], w0) == 0) &&
	         (!w1 || strcmp(c.warning[1], w1) == 0);
	check_at(ok, w0 ? w0 : "no warning", __FILE__, line);
	if (!ok)
		fprintf(stderr, "  got rc=%d '%s', %u warnings: '%s'\n", rc, err, c.n_warning,
		        c.n_warning ? c.warning[0] : "");
	config_free(&c);
}
#define EXPECT_WARNINGS(text, w0, w1) expect_warnings(text, w0, w1, __LINE__)

/* A reload checks the CPUs the process started with, not those EAL left
 * the main thread (one). */
static void test_start_cpus(void)
{
	struct synackd_config a, b;
	config_defaults(&a);
	cpu_set_t one;
	CPU_ZERO(&one);
	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &a.cpus)) {
			CPU_SET(i, &one);
			break;
		}
	CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
	config_defaults(&b);
	CHECK(CPU_EQUAL(&a.cpus, &b.cpus));
	CHECK(sched_setaffinity(0, sizeof a.cpus, &a.cpus) == 0);
	config_free(&a);
	config_free(&b);
}

/* Settings that can never match are warnings. */
static void test_warnings(void)
{
	EXPECT_WARNINGS(BASE "port = a\n", NULL, NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 198.18.0.5/32, 198.19.0.0/16\n", NULL, NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 198.19.0.0/16\n", NULL, NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 10.0.0.0/8\n",
	                "t.conf:3: exclude: 10.0.0.0/8 lies outside every internal prefix; it "
	                "excludes nothing",
	                NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 198.18.0.1\nexclude = 2001:db8::/32\n",
	                "t.conf:4: exclude: 2001:db8::/32 lies outside every internal prefix; it "
	                "excludes nothing",
	                NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 0.0.0.0/0\n",
	                "t.conf:3: exclude covers every internal prefix: no SYN+ACK is kept", NULL);
	EXPECT_WARNINGS(BASE "port = a\nexclude = 198.18.0.0/16, 198.19.0.0/16\n",
	                "t.conf:3: exclude covers every internal prefix: no SYN+ACK is kept", NULL);
	EXPECT_WARNINGS("internal = 0.0.0.0/0, ::/0\nport = a\n",
	                "t.conf:1: internal covers every address and peers = external: no peer is "
	                "external, no SYN+ACK is kept",
	                NULL);
	EXPECT_WARNINGS("internal = 0.0.0.0/0, ::/0\nport = a\npeers = external\n",
	                "t.conf:3: internal covers every address and peers = external: no peer is "
	                "external, no SYN+ACK is kept",
	                NULL);
	EXPECT_WARNINGS("internal = 0.0.0.0/0, ::/0\nport = a\npeers = any\n", NULL, NULL);
	EXPECT_WARNINGS("internal = 0.0.0.0/0\nport = a\n", NULL, NULL);
}

int main(void)
{
	test_retention_alerts();
	test_example();
	test_defaults();
	test_security();
	test_full();
	test_files_and_overrides();
	test_durations();
	test_errors();
	test_nul_bytes();
	test_bom_and_echo();
	test_quotes();
	test_empty_fields();
	test_timezone();
	test_command_line_origin();
	test_lcores();
	test_warnings();
	test_start_cpus();
	return check_done("test_config");
}
