# shellcheck shell=bash
# Source me: points podman at this project's own storage and settings under $HEADROOM_WORK, so the
# host's /etc/containers stays untouched. vfs storage on ext4 (swap files work in the containers),
# runc (crun rejects hybrid cgroups), cgroupfs, and ulimits no higher than this host's hard limits.
HEADROOM_WORK=${HEADROOM_WORK:-/var/tmp/headroom}
export HEADROOM_WORK
mkdir -p "$HEADROOM_WORK"
__nofile=$(ulimit -Hn); __nproc=$(ulimit -Hu); __pidmax=$(cat /proc/sys/kernel/pid_max)
[ "$__nofile" = unlimited ] && __nofile=1048576
# podman itself runs with nproc capped at kernel.pid_max; asking more fails with EPERM
if [ "$__nproc" = unlimited ] || [ "$__nproc" -gt "$__pidmax" ]; then __nproc=$__pidmax; fi
# written to a temporary file and renamed: a podman started meanwhile never reads half a file
cat > "$HEADROOM_WORK/containers.conf.$$" <<CONF
[containers]
default_ulimits = ["nofile=$__nofile:$__nofile", "nproc=$__nproc:$__nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat > "$HEADROOM_WORK/storage.conf.$$" <<CONF
[storage]
driver = "vfs"
graphroot = "$HEADROOM_WORK/storage"
runroot = "$HEADROOM_WORK/run"
CONF
mv -f "$HEADROOM_WORK/containers.conf.$$" "$HEADROOM_WORK/containers.conf"
mv -f "$HEADROOM_WORK/storage.conf.$$" "$HEADROOM_WORK/storage.conf"
export CONTAINERS_CONF=$HEADROOM_WORK/containers.conf
export CONTAINERS_STORAGE_CONF=$HEADROOM_WORK/storage.conf
unset __nofile __nproc __pidmax
