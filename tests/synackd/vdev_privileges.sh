#!/bin/bash
# Capabilities on a live run (net_pcap infinite_rx=1), as root:
#  - with the default drop_capabilities = yes every thread of synackd holds
#    no capability (permitted, effective, inheritable, bounding set) and has
#    no_new_privs, and so does a program it starts (alert_exec), although it
#    runs as uid 0;
#  - the run still does its work: SYN+ACKs matched = records stored, a
#    reload (SIGHUP) reads the file again, SIGTERM exits 0;
#  - a data directory that uid 0 could write only with a capability stops
#    the start with a message naming it;
#  - drop_capabilities = no keeps the caller's capabilities;
#  - [security] user = nobody: the data directory of the first run (root's
#    files) is given to nobody, every thread runs as nobody (uid, gid, only
#    group) with no capability, a reload works, and the database
#    holds the SYN+ACKs of both runs; a user that does not exist, root, or
#    drop_capabilities = no with a user are refused, naming the line.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "capabilities are only tested as root"
	exit 77
fi
"$GENCAP" -o "$T/mix.pcap" --seed 5 --frames 4096 --background 30 >/dev/null 2>&1

# The alert command records the capabilities it was started with.
cat >"$T/alert.sh" <<'EOS'
#!/bin/sh
cat >/dev/null
grep -E '^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status >"$1.tmp.$$" &&
	mv "$1.tmp.$$" "$1"
EOS
chmod 755 "$T/alert.sh"

conf() { # name drop
	net_pcap_conf "$1" 4194304 "[alerts]
learning_days = 0
alert_exec = $T/alert.sh $T/alert-$1.caps
[security]
drop_capabilities = $2"
}

# status_of FILE KEY: the value of a /proc status line
status_of() { sed -n "s/^$2:\s*//p" "$1"; }

# bare_threads LABEL [UID GID] : every thread of $PID holds no capability
# and has no_new_privs; with UID and GID, all four of its uids and gids are
# those and GID is its only group.  Passes once with the thread count, or
# fails once per thread and field that differ.
bare_threads() {
	local label=$1 uid=${2:-} gid=${3:-} odd=0 n=0 t s k
	for t in /proc/$PID/task/*; do
		n=$((n + 1))
		s=$t/status
		for k in CapInh CapPrm CapEff CapBnd CapAmb; do
			[ "$(status_of "$s" $k)" = 0000000000000000 ] ||
				{ fail "$label: thread $(cat "$t/comm"): $k $(status_of "$s" $k)"; odd=1; }
		done
		[ "$(status_of "$s" NoNewPrivs)" = 1 ] ||
			{ fail "$label: thread $(cat "$t/comm"): no_new_privs not set"; odd=1; }
		[ -n "$uid" ] || continue
		[ "$(status_of "$s" Uid | tr -s '\t ' ' ')" = "$uid $uid $uid $uid" ] ||
			{ fail "$label: thread $(cat "$t/comm"): Uid $(status_of "$s" Uid)"; odd=1; }
		[ "$(status_of "$s" Gid | tr -s '\t ' ' ')" = "$gid $gid $gid $gid" ] ||
			{ fail "$label: thread $(cat "$t/comm"): Gid $(status_of "$s" Gid)"; odd=1; }
		[ "$(status_of "$s" Groups | tr -d ' ')" = "$gid" ] ||
			{ fail "$label: thread $(cat "$t/comm"): Groups $(status_of "$s" Groups)"; odd=1; }
	done
	[ "$n" -ge 4 ] || fail "$label: only $n threads"
	[ $odd = 0 ] && pass "$label: none of the $n threads holds a capability${uid:+, all are uid $uid gid $gid}"
}

# reload_and_stop NAME : SIGHUP must reload NAME.conf, SIGTERM must stop the
# daemon with every SYN+ACK matched stored; S is set to that count.
reload_and_stop() {
	local i st
	kill -HUP $PID
	for i in $(seq 1 50); do grep -q "reload: prefixes" "$T/$1.log" && break; sleep 0.1; done
	grep -q "reload: prefixes and exclusions from $T/$1.conf are in use" "$T/$1.log" &&
		pass "$1: reload" || fail "$1: reload: $(grep reload "$T/$1.log")"
	stop_daemon "$1"
	S=$(stat_of "$T/$1.log" synack) st=$(stat_of "$T/$1.log" stored)
	[ "${S:-0}" -gt 0 ] && pass "$1: $S SYN+ACKs" || fail "$1: no SYN+ACK"
	expect_eq "$1: records stored" "$st" "$S"
}

# db_packets DIR : SYN+ACKs in the database (services and FTP data marks)
db_packets() {
	db_sql "$1" 'select (select coalesce(sum(packets),0) from hourly) +
		(select coalesce(sum(packets),0) from ftp_data)'
}

wait_file() { # file
	local i
	for i in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}

# --- default: dropped -------------------------------------------------------
conf drop yes
if start_daemon drop; then
	bare_threads drop
	grep -q "capabilities dropped in all [0-9]* threads" "$T/drop.log" && pass "drop logged" ||
		fail "no drop line: $(grep -i capab "$T/drop.log")"
	expect_eq "still uid 0" "$(status_of /proc/$PID/status Uid | awk '{print $2}')" 0
	if wait_file "$T/alert-drop.caps"; then
		expect_eq "alert command: uid" "$(status_of "$T/alert-drop.caps" Uid | awk '{print $2}')" 0
		expect_eq "alert command: CapEff" "$(status_of "$T/alert-drop.caps" CapEff)" 0000000000000000
		expect_eq "alert command: CapPrm" "$(status_of "$T/alert-drop.caps" CapPrm)" 0000000000000000
		expect_eq "alert command: NoNewPrivs" "$(status_of "$T/alert-drop.caps" NoNewPrivs)" 1
	else
		fail "the alert command did not run"
	fi
	reload_and_stop drop
	expect_eq "drop: database rows = SYN+ACKs" "$(db_packets "$T/data-drop")" "$S"
fi

# --- a data directory root could write only by overriding its mode ----------
conf other yes
mkdir -m 700 "$T/data-other"
chown 65534 "$T/data-other"
timeout 60 "$SYNACKD" -c "$T/other.conf" >/dev/null 2>"$T/other.log"
expect_eq "data directory of another user: exit" $? 3
grep -q "data directory $T/data-other: not writable without capabilities (owner uid 65534, mode 0700)" \
	"$T/other.log" && pass "data directory error names owner and mode" ||
	fail "data directory error: $(tail -n 2 "$T/other.log")"

# --- user = nobody, on the first run's data directory ------------------------
nobody_uid=$(id -u nobody) nobody_gid=$(id -g nobody)
chmod 755 "$T" # nobody reads the configuration again on reload
before=$(db_packets "$T/data-drop")
echo root >"$T/outside" # a link in the data directory must not give its target away
ln -s "$T/outside" "$T/data-drop/link"
root_files=$(find "$T/data-drop" -user 0 | wc -l)
echo root >"$T/outside-hard" # nor a second name of a file elsewhere
ln "$T/outside-hard" "$T/data-drop/hard"
net_pcap_conf user 4194304 "[writer]
data_dir = $T/data-drop
[security]
user = nobody"
if start_daemon user; then
	bare_threads user "$nobody_uid" "$nobody_gid"
	grep -q "capabilities dropped in all [0-9]* threads, now user nobody" "$T/user.log" &&
		pass "user: logged" || fail "user: no drop line: $(grep -i capab "$T/user.log")"
	grep -q "data directory $T/data-drop given to user nobody ($root_files files)" "$T/user.log" &&
		pass "user: the $root_files files of root's run given to nobody" ||
		fail "user: $(grep 'data directory' "$T/user.log") (want $root_files files)"
	reload_and_stop user
	expect_eq "user: database rows = both runs' SYN+ACKs" "$(db_packets "$T/data-drop")" \
		$((before + S))
	expect_eq "user: files not nobody's" "$(find "$T/data-drop" ! -user nobody)" "$T/data-drop/hard"
	expect_eq "user: a link's target stays root's" "$(stat -c %U "$T/outside")" root
	expect_eq "user: a hard-linked file stays root's" "$(stat -c %U "$T/outside-hard")" root
	# files root leaves in the user's directory later (a `synackctl rebuild`
	# run as root) are given over at the next start, and only those
	echo root >"$T/data-drop/left-by-root"
	mkdir -p "$T/data-drop/logs/2099" && echo root >"$T/data-drop/logs/2099/deep"
	chown root:root "$T/data-drop/left-by-root" "$T/data-drop/logs/2099" "$T/data-drop/logs/2099/deep"
	if start_daemon user; then
		grep -q "data directory $T/data-drop given to user nobody (3 files)" "$T/user.log" &&
			pass "user, again: root's 3 new entries given to nobody" ||
			fail "user, again: $(grep 'data directory' "$T/user.log") (want 3 files)"
		stop_daemon user
		expect_eq "user, again: files not nobody's" "$(find "$T/data-drop" ! -user nobody)" \
			"$T/data-drop/hard"
	fi
fi

# --- user errors: refused before any port starts -----------------------------
user_error() { # name value extra want
	net_pcap_conf "$1" 4194304 "[security]
user = $2
$3"
	timeout 60 "$SYNACKD" -c "$T/$1.conf" >/dev/null 2>"$T/$1.log"
	expect_eq "$1: exit" $? 1
	line=$(grep -n "^user = " "$T/$1.conf" | cut -d: -f1)
	grep -qF "$T/$1.conf:$line: $4" "$T/$1.log" && pass "$1: message names line $line" ||
		fail "$1: $(cat "$T/$1.log")"
	[ ! -e "$T/data-$1" ] || fail "$1: data directory created"
}
user_error nouser no-such-user-5e1 "" "user 'no-such-user-5e1': no such user"
user_error rootuser root "" "user 'root' has uid 0"
user_error keepuser nobody "drop_capabilities = no" "user = nobody needs drop_capabilities = yes"

# --- drop_capabilities = no -------------------------------------------------
conf keep no
mine=$(status_of /proc/self/status CapEff)
if start_daemon keep; then
	expect_eq "kept: CapEff as the caller's" "$(status_of /proc/$PID/status CapEff)" "$mine"
	grep -q "capabilities dropped" "$T/keep.log" && fail "kept, but logged a drop" ||
		pass "no drop logged"
	stop_daemon keep
fi
finish
