#!/bin/sh
# Runs inside `unshare --mount --propagation private`: puts the run's own SSSD state, config,
# nsswitch.conf and PAM services over the fixed paths SSSD, glibc and libpam read, then runs SSSD
# in the foreground until its stdin closes (this shell's pid is the namespace's handle for
# nsenter). $DIR holds everything; nothing outside this mount namespace changes.
set -eu
exec 3<&0
# /run: sssd.pid, and no nscd socket from the host answering getent in SSSD's place.
mount -t tmpfs tmpfs /run
for d in db mc pipes/private pubconf gpo_cache secrets deskprofile; do mkdir -p "$DIR/lib/$d"; done
chmod 700 "$DIR/lib/db" "$DIR/lib/secrets"
chmod 750 "$DIR/lib/pipes/private"
mkdir -p "$DIR/log"
# A fresh cache per run: nothing SSSD learnt in an earlier run can answer for the server.
mount --bind "$DIR/lib" /var/lib/sss
mount --bind "$DIR/log" /var/log/sssd
mount --bind "$DIR/etc" /etc/sssd
mount --bind "$DIR/pam.d" /etc/pam.d
mount --bind "$DIR/nsswitch.conf" /etc/nsswitch.conf
sssd -i -d 4 --logger=files </dev/null 3<&- &
pid=$!
# The test holds our stdin: when it closes it, or dies, SSSD stops with it.
(cat <&3 >/dev/null; kill "$pid" 2>/dev/null) &
wait "$pid"
