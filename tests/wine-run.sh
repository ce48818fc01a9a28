#!/bin/sh
# Runs one test program of a Windows cross build under Wine: headless, in
# a Wine prefix of the build tree's own, every case in one process (no
# fork on Windows); tests/test-runner.sh, around it, limits its time.
WINEDEBUG=${WINEDEBUG--all}
WINEPREFIX=${WINEPREFIX-$VMOSAL_TEST_BUILDDIR/wineprefix}
CK_FORK=no
export WINEDEBUG WINEPREFIX CK_FORK
wine=${WINE-wine}
wineserver=${WINESERVER-wineserver}
# The first start makes the prefix (seconds); suites run in parallel
# would each try, so one makes it under a lock. Wine's null display driver
# lets programs make windows without a display (the hidden one that hears
# of the end of the session); the desktop process reads it as it starts,
# so the server that ran it goes first.
ready=$WINEPREFIX/vmosal-prefix-ready
if test ! -f "$ready"; then
	flock "$WINEPREFIX.lock" sh -c '
		test -f "$2" && exit 0
		"$0" cmd /c exit >/dev/null 2>&1
		"$0" reg add "HKCU\\Software\\Wine\\Drivers" /v Graphics /d null /f \
			>/dev/null 2>&1 && "$1" -w && touch "$2"' "$wine" "$wineserver" "$ready"
fi
exec "$wine" "$@"
