#!/usr/bin/env bash
# postfix-relay.sh: start a real Postfix on 127.0.0.1 that acts as an
# authenticated upstream relay for tests. It is a catch-all sink and
# delivers nothing to any other host.
#
#   postfix-relay.sh start  WORKDIR PORT [USER PASS]  # default user relayuser, password relay-pass-xyz
#   postfix-relay.sh stop   WORKDIR
#   postfix-relay.sh status WORKDIR
#
# start: installs missing Debian packages (postfix with "No configuration",
#   libsasl2-modules, sasl2-bin, openssl, swaks + libnet-ssleay-perl for its TLS),
#   then writes one Postfix instance into WORKDIR:
#     etc/ (main.cf, master.cf, sasl/smtpd.conf, sasldb2), tls/ (ca.crt, server.crt/key),
#     spool/ (queue), data/, log/postfix.log, Maildir/, relay.env
#   It runs `postfix -c WORKDIR/etc start` and waits until PORT answers 220.
#   Then it prints KEY=VALUE lines on stdout and writes the same lines to WORKDIR/relay.env:
#     RELAY_HOST RELAY_PORT RELAY_USER RELAY_PASS RELAY_CA RELAY_CERT RELAY_MAILDIR RELAY_LOG RELAY_PID
#   Progress messages go to stderr. Running start again on a stopped WORKDIR keeps
#   the queue, the Maildir and the certificates, and writes the config again.
# What the relay does: it listens only on 127.0.0.1:PORT and offers STARTTLS with a
#   self-signed CA. AUTH PLAIN/LOGIN (Cyrus SASL with a sasldb file) is offered only
#   after TLS (smtpd_tls_auth_only=yes). An unauthenticated client gets "554 5.7.1
#   Relay access denied" for every recipient (RFC 5321 still lets a bare
#   RCPT TO:<postmaster> through). An authenticated client may send to any domain.
#   Every accepted message lands in WORKDIR/Maildir/new/, one file per recipient.
#   Postfix has no smtp/lmtp client in master.cf, does no DNS, and has no relayhost.
#   It supports SMTPUTF8 and 8BITMIME. The size limit is 30 MiB.
# Environment knobs (all optional):
#   RELAY_MAX_SIZE  message_size_limit in bytes (default 31457280)
#   RELAY_BARE_LF   smtpd_forbid_bare_newline: no | normalize | reject (default: Postfix default, no in 3.7)
#   RELAY_HOSTNAME  myhostname, SASL realm and banner name (default relay.test)
#   RELAY_NO_INSTALL=1  never call apt-get
# Needs root. Several WORKDIRs with different ports can run side by side. The
# script never writes the system instance's /etc/postfix. It only stops a system
# instance that its own package install started.
# Used by the interop tests in test/e2e/real-relays-*.test.ts (through
# test/support/real-relay.ts): Mailroom against a real Postfix and a real Exim on 127.0.0.1.
set -euo pipefail

DEFAULT_USER=relayuser
DEFAULT_PASS=relay-pass-xyz
PACKAGES=(postfix libsasl2-modules sasl2-bin openssl swaks libnet-ssleay-perl)

log() { printf 'postfix-relay: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# --- packages -------------------------------------------------------------

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

system_postfix_running() {
  # The default instance only exists when its main.cf does ("No configuration" has none).
  [[ -f /etc/postfix/main.cf ]] && postfix status >/dev/null 2>&1
}

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ "${RELAY_NO_INSTALL:-0}" == 1 ]] && die "missing packages: ${missing[*]} (RELAY_NO_INSTALL=1)"
  log "installing: ${missing[*]}"

  local was_running=0 made_policy=0
  system_postfix_running && was_running=1
  # No service may start during the install. Keep an existing policy-rc.d, or use a temporary one.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold)
  local rc=0
  "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2 ||
    { "${apt[@]}" update >&2 && "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; } || rc=$?
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get install failed (rc=$rc)"

  # If the install brought up a system instance (port 25), stop it again.
  if ((was_running == 0)) && system_postfix_running; then
    log "stopping the system Postfix instance that the install started"
    postfix stop >&2 || true
  fi
}

# --- helpers --------------------------------------------------------------

abspath() { realpath -m -- "$1"; }

# Prints the first line the server sends, or fails. Uses bash's /dev/tcp.
banner() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 line <&3 &&
    printf "QUIT\r\n" >&3 && printf "%s\n" "$line"' _ "$1" 2>/dev/null | tr -d '\r'
}

instance_pid() {
  local pidfile=$1/spool/pid/master.pid
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(tr -d ' \n' <"$pidfile")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

is_running() {
  [[ -f $1/etc/main.cf ]] && postfix -c "$1/etc" status >/dev/null 2>&1
}

make_certs() {
  local tls=$1 host=$2
  mkdir -p "$tls"
  if [[ -s $tls/ca.crt && -s $tls/server.crt && -s $tls/server.key ]]; then
    return 0
  fi
  log "generating a test CA and a server certificate in $tls"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" -subj "/CN=postfix-relay test CA" \
    -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -sha256 \
    -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' \
    "subjectAltName=DNS:localhost,DNS:$host,IP:127.0.0.1" \
    'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth' >"$tls/server.ext"
  openssl x509 -req -sha256 -days 825 -in "$tls/server.csr" \
    -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  rm -f "$tls/server.csr" "$tls/server.ext" "$tls/ca.srl"
  chmod 600 "$tls/ca.key" "$tls/server.key"
  chmod 644 "$tls/ca.crt" "$tls/server.crt"
}

write_master_cf() {
  local port=$1
  # Only what this sink needs. chroot is off (column 5 = n). There is no smtp,
  # relay, lmtp or local client, so Postfix cannot deliver to another host.
  cat <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port inet n    -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
virtual   unix  -       n       n       -       -       virtual
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

write_main_cf() {
  local w=$1 host=$2 uid=$3 gid=$4 minuid=$5 size=$6 bare=$7
  cat <<EOF
# Generated by postfix-relay.sh: a test relay instance. Do not edit; start writes it again.
compatibility_level = 3.6
queue_directory = $w/spool
data_directory = $w/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $w/log
maillog_file = $w/log/postfix.log
syslog_name = postfix-relay

# Network: loopback only, IPv4, no DNS anywhere.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = $host
mydomain = $host
myorigin = \$myhostname
smtpd_banner = \$myhostname ESMTP Postfix (test relay)
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
relayhost =
# The client on 127.0.0.1 is treated like a remote one: it must authenticate.
mynetworks =

# Routing: no local domains. Every domain (default, relay, local, virtual class)
# goes to virtual(8), which writes to one static Maildir.
mydestination =
relay_domains =
# virtual_mailbox_domains defaults to \$virtual_mailbox_maps, which is static and
# so would match every domain: then no domain would need relay permission.
virtual_mailbox_domains =
virtual_alias_domains =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = virtual
relay_transport = virtual
default_transport = virtual
virtual_transport = virtual
virtual_mailbox_base = $w
virtual_mailbox_maps = static:Maildir/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = $minuid
virtual_mailbox_limit = 0
mailbox_size_limit = 0
message_size_limit = $size
biff = no
append_dot_mydomain = no
# Treat the loopback client as remote: Postfix must not add a missing Date:,
# Message-ID: or From:, or qualify addresses in headers. That would hide
# product bugs.
local_header_rewrite_clients =
smtputf8_enable = yes

# TLS: STARTTLS offered, never required for the connection; AUTH only after TLS.
smtpd_tls_security_level = may
smtpd_tls_cert_file = $w/tls/server.crt
smtpd_tls_key_file = $w/tls/server.key
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# SASL: Cyrus, smtpd.conf and sasldb in this instance's etc/sasl.
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $w/etc/sasl
smtpd_sasl_local_domain = \$myhostname
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
broken_sasl_auth_clients = no

# Relay policy: only an authenticated client may send, to any domain.
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
disable_vrfy_command = yes
EOF
  if [[ -n $bare ]]; then
    printf 'smtpd_forbid_bare_newline = %s\nsmtpd_forbid_bare_newline_exclusions =\n' "$bare"
  fi
}

# --- commands -------------------------------------------------------------

cmd_start() {
  (($# == 2 || $# == 4)) || usage
  local w port user pass
  w=$(abspath "$1")
  port=$2
  user=${3:-$DEFAULT_USER}
  pass=${4:-$DEFAULT_PASS}
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "bad port: $port"
  [[ $user =~ ^[A-Za-z0-9._-]+$ ]] || die "user name must match [A-Za-z0-9._-]+"
  ((EUID == 0)) || die "must run as root"

  install_packages

  local host=${RELAY_HOSTNAME:-relay.test}
  local size=${RELAY_MAX_SIZE:-31457280}
  local bare=${RELAY_BARE_LF:-}
  [[ $size =~ ^[0-9]+$ ]] || die "RELAY_MAX_SIZE must be a number"
  case $bare in '' | no | normalize | reject | yes) ;; *) die "RELAY_BARE_LF: no|normalize|reject" ;; esac

  mkdir -p "$w"
  if is_running "$w"; then die "an instance is already running in $w (stop it first)"; fi
  if banner "$port" >/dev/null; then die "something already answers on 127.0.0.1:$port"; fi

  # Postfix daemons (user postfix) must reach the instance directories.
  chmod 755 "$w"
  if ! runuser -u postfix -- test -x "$w"; then
    die "user postfix cannot enter $w: a parent directory is not searchable; use a WORKDIR under /tmp"
  fi

  # The Maildir belongs to the owner of WORKDIR, or to nobody if that is root
  # (virtual(8) refuses uid 0).
  local uid gid
  uid=$(stat -c %u "$w")
  gid=$(stat -c %g "$w")
  if ((uid == 0)); then uid=$(id -u nobody); gid=$(id -g nobody); fi
  local minuid=$((uid < 100 ? uid : 100))
  ((minuid >= 1)) || minuid=1

  mkdir -p "$w/etc/sasl" "$w/spool" "$w/data" "$w/log" "$w/Maildir"/{cur,new,tmp}
  chown root:root "$w/etc" "$w/etc/sasl" "$w/spool"
  chmod 755 "$w/etc" "$w/etc/sasl" "$w/spool" "$w/log"
  chown postfix:postfix "$w/data"
  chown -R "$uid:$gid" "$w/Maildir"
  chmod 700 "$w/Maildir" "$w/Maildir"/{cur,new,tmp}

  make_certs "$w/tls" "$host"
  chmod 755 "$w/tls"

  write_main_cf "$w" "$host" "$uid" "$gid" "$minuid" "$size" "$bare" >"$w/etc/main.cf"
  write_master_cf "$port" >"$w/etc/master.cf"
  chmod 644 "$w/etc/main.cf" "$w/etc/master.cf"

  # Cyrus SASL: PLAIN and LOGIN against a sasldb file. The realm is myhostname.
  cat >"$w/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $w/etc/sasldb2
EOF
  chmod 644 "$w/etc/sasl/smtpd.conf"
  rm -f "$w/etc/sasldb2"
  printf '%s' "$pass" | saslpasswd2 -p -c -f "$w/etc/sasldb2" -u "$host" "$user"
  chown root:postfix "$w/etc/sasldb2"
  chmod 640 "$w/etc/sasldb2"

  postfix -c "$w/etc" check >&2 || die "postfix check failed (see $w/log/postfix.log)"
  log "starting Postfix on 127.0.0.1:$port (config $w/etc)"
  postfix -c "$w/etc" start >&2 || die "postfix start failed (see $w/log/postfix.log)"

  local i line=''
  for ((i = 0; i < 100; i++)); do
    line=$(banner "$port") && [[ $line == 220* ]] && break
    line=''
    sleep 0.2
  done
  [[ -n $line ]] || {
    tail -n 20 "$w/log/postfix.log" >&2 || true
    postfix -c "$w/etc" stop >&2 || true
    die "no 220 banner on 127.0.0.1:$port after 20 s"
  }

  local pid
  pid=$(instance_pid "$w") || pid=''
  {
    echo "RELAY_HOST=127.0.0.1"
    echo "RELAY_PORT=$port"
    echo "RELAY_USER=$user"
    echo "RELAY_PASS=$pass"
    echo "RELAY_CA=$w/tls/ca.crt"
    echo "RELAY_CERT=$w/tls/server.crt"
    echo "RELAY_MAILDIR=$w/Maildir"
    echo "RELAY_LOG=$w/log/postfix.log"
    echo "RELAY_PID=$pid"
  } | tee "$w/relay.env"
  log "ready: $line"
}

cmd_stop() {
  (($# == 1)) || usage
  local w
  w=$(abspath "$1")
  [[ -f $w/etc/main.cf ]] || die "no instance in $w"
  if ! is_running "$w"; then
    log "not running: $w"
    return 0
  fi
  # postfix stop signals the master named in spool/pid/master.pid and waits for it.
  postfix -c "$w/etc" stop >&2
  log "stopped: $w"
}

cmd_status() {
  (($# == 1)) || usage
  local w
  w=$(abspath "$1")
  [[ -f $w/etc/main.cf ]] || die "no instance in $w"
  if is_running "$w"; then
    echo "running pid=$(instance_pid "$w" || true)"
  else
    echo "stopped"
    return 1
  fi
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  *) usage ;;
esac
