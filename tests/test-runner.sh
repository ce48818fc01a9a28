#!/bin/sh
# make check's LOG_COMPILER and TEST_LOG_COMPILER (Makefile.am), for every
# build: runs one test under `timeout`, so that a hang fails that test
# after VMOSAL_TEST_TIMEOUT seconds instead of holding up make check, and
# says which test it was ("TIMEOUT: tests/check_faults after 1200 s", in
# the log, on stderr, and as a TAP "Bail out!" the driver shows as ERROR).
# Writes the test's wall time, in seconds, to <test>.time beside its log,
# for .ci/slowest.
#
# Usage: test-runner.sh PROGRAM, or test-runner.sh LAUNCHER... TEST, where
# the launcher is a shell for .test scripts, valgrind or Wine; only a
# PROGRAM alone runs under the emulator.
#   VMOSAL_TEST_TIMEOUT   seconds per test (default 1200)
#   VMOSAL_TEST_EMULATOR  a user-mode emulator (qemu-aarch64...) a PROGRAM
#                         given alone runs under, as the cross stages set;
#                         a .test script finds the same command prefix in
#                         VMOSAL_TEST_EXEC for the programs it runs.
limit=${VMOSAL_TEST_TIMEOUT:-1200}
if [ -n "${VMOSAL_TEST_EMULATOR-}" ]; then
	# libtool resolves its wrapper scripts to the binaries they wrap,
	# with the uninstalled libraries' path.
	VMOSAL_TEST_EXEC="$PWD/libtool --mode=execute $VMOSAL_TEST_EMULATOR"
	# What the emulator runs on (its guest sees its own uname), and
	# Check's timeouts stretched to its speed.
	VMOSAL_TEST_EMULATOR_HOST=$(uname -m)
	CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
	export VMOSAL_TEST_EXEC VMOSAL_TEST_EMULATOR_HOST CK_TIMEOUT_MULTIPLIER
fi

# Check's own limit for a test case that sets none is 4 s, which a case
# that forks 40 sanitized children overruns on a busy 2-core machine: 60
# s there, and twice every limit a case sets. A real hang still ends at
# VMOSAL_TEST_TIMEOUT.
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-2}
export CK_DEFAULT_TIMEOUT CK_TIMEOUT_MULTIPLIER

# Check's fork mode makes a POSIX timer for each test's time limit, and
# Check 0.15 makes and deletes one more before every clock reading, to
# choose between CLOCK_MONOTONIC and CLOCK_REALTIME. The kernel backs each
# timer with a queued-signal slot, counted per user against
# RLIMIT_SIGPENDING: when another process of the same user has filled the
# queue (realtime signals sent to threads that block them), timer_create
# fails with EAGAIN. Check then stops the suite ("timer_create: Resource
# temporarily unavailable"), or reads a test's start and end on different
# clocks and cannot send the duration ("too big to pack"). qemu-user adds
# its own limit, 32 timers at a time per process, which Check (two at a
# time) never reaches. So: room above what the user has queued already,
# as far as the hard limit allows.
if command -v prlimit >/dev/null 2>&1; then
	queued=$(sed -n 's/^SigQ:[[:space:]]*\([0-9]*\)\/.*/\1/p' /proc/self/status 2>/dev/null)
	limits=$(prlimit --pid $$ --sigpending --raw --noheadings -o SOFT,HARD 2>/dev/null)
	soft=${limits%% *}
	hard=${limits##* }
	want=$((${queued:-0} + 65536))
	if [ -n "$queued" ] && [ -n "$limits" ] && [ "$soft" != unlimited ] &&
		[ "$soft" -lt "$want" ]; then
		if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
			prlimit --pid $$ --sigpending="$want:" 2>/dev/null
		else
			prlimit --pid $$ --sigpending="$want:$want" 2>/dev/null ||
				prlimit --pid $$ --sigpending="$hard:" 2>/dev/null
		fi
		# Where no more could be had, the log says why Check may fail.
		soft=$(prlimit --pid $$ --sigpending --raw --noheadings -o SOFT 2>/dev/null)
		if [ "$soft" != unlimited ] && [ $((queued + 1024)) -gt "${soft:-0}" ]; then
			echo "test-runner: this user has $queued signals queued of the" \
				"$soft allowed: Check's timer_create may fail with EAGAIN" >&2
		fi
	fi
fi

# The test, its name as make check names it (tests/check_faults), and
# where its log goes.
for test in "$@"; do :; done
dir=${test%/*}
[ "$dir" != "$test" ] || dir=.
name=${dir##*/}/${test##*/}
name=${name%.test}
name=${name%.exe}
log_base=$dir/${test##*/}
log_base=${log_base%.test}
log_base=${log_base%.exe}
case $dir in
/* | ../*) log_base=$name ;; # a script from the source tree (VPATH)
esac

now() {
	date +%s.%N 2>/dev/null | sed 's/\.N$//'
}
start=$(now)
# timeout puts the test in a process group of its own (so that a timeout
# kills all of it), where the terminal's ^C does not reach: pass on what
# stops make check.
if [ $# -eq 1 ]; then
	timeout -k 10 "$limit" ${VMOSAL_TEST_EXEC-} "$1" &
else
	timeout -k 10 "$limit" "$@" &
fi
child=$!
trap 'kill -TERM $child 2>/dev/null' HUP INT TERM
while :; do
	wait $child
	rc=$?
	kill -0 $child 2>/dev/null || break
done
trap - HUP INT TERM
end=$(now)
took=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
{ echo "$took $name" >"$log_base.time"; } 2>/dev/null
# 124: timeout's TERM; 137: its KILL 10 s later.
if [ $rc -eq 124 ] || { [ $rc -eq 137 ] && awk -v t="$took" -v l="$limit" \
	'BEGIN { exit !(t >= l) }'; }; then
	echo "TIMEOUT: $name after $limit s (VMOSAL_TEST_TIMEOUT)" >&2
	echo "Bail out! TIMEOUT: $name after $limit s (VMOSAL_TEST_TIMEOUT)"
fi
exit $rc
