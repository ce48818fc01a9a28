#!/bin/sh
# Runs one test program of a Windows cross build under Wine: headless, in
# a Wine prefix of the build tree's own, every case in one process (no
# fork on Windows); tests/test-runner.sh, around it, limits its time.
WINEDEBUG=${WINEDEBUG--all}
WINEPREFIX=${WINEPREFIX-$VMOSAL_TEST_BUILDDIR/wineprefix}
CK_FORK=no
export WINEDEBUG WINEPREFIX CK_FORK
wine=${WINE-wine}
# The first start makes the prefix (seconds); suites run in parallel
# would each try, so one makes it under a lock.
if test ! -f "$WINEPREFIX/system.reg"; then
	flock "$WINEPREFIX.lock" sh -c \
		'test -f "$WINEPREFIX/system.reg" || "$0" cmd /c exit >/dev/null 2>&1' "$wine"
fi
exec "$wine" "$@"
