#!/usr/bin/env bash
# exim-relay.sh: start a real Exim 4 (Debian's exim4-daemon-heavy binary) on
# 127.0.0.1 that acts as an authenticated upstream relay for tests. It is a
# catch-all sink and delivers nothing to any other host. Same interface as
# postfix-relay.sh, and it can run beside it.
#
#   exim-relay.sh start  WORKDIR PORT [USER PASS]  # default user relayuser, password relay-pass-xyz
#   exim-relay.sh stop   WORKDIR
#   exim-relay.sh status WORKDIR
#
# The exim4 packages conflict with postfix (both are a mail-transport-agent), so
# this script does NOT install them. It runs `apt-get download exim4-daemon-heavy`,
# unpacks the .deb into WORKDIR/pkg with dpkg-deb -x, installs the plain library
# packages the binary needs, and runs `exim4 -C WORKDIR/etc/exim.conf -bd`.
# System change: the binary looks up the user "Debian-exim" before it reads any
# config. If that user is missing, the script adds it as a system user and group
# (useradd --system), as the exim4-base package would. Stop does not remove it.
# What the relay does: it listens only on 127.0.0.1:PORT and offers STARTTLS with a
#   self-signed CA. Built-in plaintext authenticators (PLAIN, LOGIN) are offered
#   only after TLS. An unauthenticated RCPT gets 550 "Relay access denied".
#   An authenticated client may send to any domain, and each recipient lands in
#   WORKDIR/Maildir/new/ (one accept router). There is no smtp transport and no
#   DNS router; host_lookup and ident are off.
# Prints the same KEY=VALUE lines as postfix-relay.sh and writes them to WORKDIR/relay.env.
# Environment: RELAY_MAX_SIZE (bytes, default 31457280), RELAY_HOSTNAME (default
# relay.test), RELAY_NO_INSTALL=1 (never call apt-get). Needs root.
# Used by the interop tests in test/e2e/real-relays-*.test.ts (through
# test/support/real-relay.ts): Mailroom against a real Postfix and a real Exim on 127.0.0.1.
set -euo pipefail

DEFAULT_USER=relayuser
DEFAULT_PASS=relay-pass-xyz
PACKAGES=(openssl swaks libnet-ssleay-perl)
EXIM_PKG=exim4-daemon-heavy

log() { printf 'exim-relay: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_run() {
  [[ "${RELAY_NO_INSTALL:-0}" == 1 ]] && die "would need apt-get ($*) but RELAY_NO_INSTALL=1"
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@" >&2
}

install_packages() {
  local missing=() p libs
  libs=$(apt-cache depends --no-recommends --no-suggests "$EXIM_PKG" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^lib/ { print $2 }') || true
  if [[ -z $libs ]]; then
    apt_run update
    libs=$(apt-cache depends --no-recommends --no-suggests "$EXIM_PKG" |
      awk '$1 == "Depends:" && $2 ~ /^lib/ { print $2 }')
  fi
  for p in "${PACKAGES[@]}" $libs; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing: ${missing[*]}"
  apt_run install --no-install-recommends "${missing[@]}" ||
    { apt_run update && apt_run install --no-install-recommends "${missing[@]}"; }
}

# The downloaded .deb is kept here between runs, so only the first run fetches it.
CACHE_DIR=${RELAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mailroom-relays}

cached_deb() {
  ls -1 "$CACHE_DIR"/"$EXIM_PKG"_*.deb 2>/dev/null | sort -V | tail -n 1
}

# Fetches the .deb into CACHE_DIR once (complete files only) and prints its path.
fetch_exim_deb() {
  local deb tmp
  deb=$(cached_deb)
  if [[ -z $deb ]]; then
    # Runs in a command substitution, where set -e does not hold: every step is checked.
    mkdir -p "$CACHE_DIR" || die "cannot create $CACHE_DIR"
    tmp=$(mktemp -d "$CACHE_DIR/.download.XXXXXX") || die "cannot create a directory in $CACHE_DIR"
    log "downloading $EXIM_PKG into $CACHE_DIR (not installed: it conflicts with postfix)"
    if ! { (cd "$tmp" && apt_run download "$EXIM_PKG") ||
      { apt_run update && (cd "$tmp" && apt_run download "$EXIM_PKG"); }; }; then
      rm -rf "$tmp"
      die "apt-get download $EXIM_PKG failed (is the Debian mirror reachable?)"
    fi
    for deb in "$tmp"/"$EXIM_PKG"_*.deb; do
      dpkg-deb --info "$deb" >/dev/null || { rm -rf "$tmp"; die "bad download: $deb"; }
      mv "$deb" "$CACHE_DIR/"
    done
    rm -rf "$tmp"
    deb=$(cached_deb)
    [[ -n $deb ]] || die "no $EXIM_PKG .deb in $CACHE_DIR after the download"
  fi
  printf '%s\n' "$deb"
}

# Unpacks the exim4 binary into $1/pkg (once per WORKDIR) and prints its path.
unpack_exim() {
  local pkg=$1/pkg bin=$1/pkg/root/usr/sbin/exim4 deb
  if [[ ! -x $bin ]]; then
    mkdir -p "$pkg"
    deb=$(fetch_exim_deb) || exit 1
    dpkg-deb -x "$deb" "$pkg/root" || die "cannot unpack $deb"
  fi
  ldd "$bin" | grep -q 'not found' && die "missing libraries for $bin: $(ldd "$bin" | grep 'not found')"
  printf '%s\n' "$bin"
}

ensure_exim_user() {
  getent passwd Debian-exim >/dev/null && return 0
  log "adding system user Debian-exim (the exim4 binary needs it by name)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin Debian-exim
}

abspath() { realpath -m -- "$1"; }

banner() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 line <&3 &&
    printf "QUIT\r\n" >&3 && printf "%s\n" "$line"' _ "$1" 2>/dev/null | tr -d '\r'
}

daemon_pid() {
  local f=$1/run/exim.pid pid
  [[ -f $f ]] || return 1
  pid=$(tr -d ' \n' <"$f")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

make_certs() {
  local tls=$1 host=$2
  mkdir -p "$tls"
  [[ -s $tls/ca.crt && -s $tls/server.crt && -s $tls/server.key ]] && return 0
  log "generating a test CA and a server certificate in $tls"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" -subj "/CN=exim-relay test CA" \
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
  chmod 600 "$tls/ca.key"
  chmod 644 "$tls/ca.crt" "$tls/server.crt"
}

write_conf() {
  local w=$1 port=$2 host=$3 size=$4 muser=$5 mgroup=$6 exim=$7
  cat <<EOF
# Generated by exim-relay.sh: a test relay instance. Do not edit; start writes it again.
# Exim runs itself again for deliveries and queue runs: point it at the unpacked binary.
exim_path = $exim
primary_hostname = $host
qualify_domain = $host
smtp_banner = \$smtp_active_hostname ESMTP Exim \$version_number (test relay) \$tod_full
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $port
spool_directory = $w/spool
log_file_path = $w/log/%slog
pid_file_path = $w/run/exim.pid
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
# -C makes Exim give up root in the processes it re-executes, so deliveries run
# as the Exim user, who owns the Maildir.
deliver_drop_privilege = true
keep_environment =
# No DNS and no ident: nothing leaves the machine.
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
message_size_limit = $size
smtputf8_advertise_hosts = *
pipelining_advertise_hosts = *
chunking_advertise_hosts = *
tls_advertise_hosts = *
tls_certificate = $w/tls/server.crt
tls_privatekey = $w/tls/server.key
acl_smtp_rcpt = acl_check_rcpt
log_selector = +smtp_protocol_error +smtp_syntax_error +tls_peerdn +received_recipients +smtp_confirmation

begin acl

acl_check_rcpt:
  accept authenticated = *
  deny   message = Relay access denied

begin routers

catchall:
  driver = accept
  transport = maildir_catchall

begin transports

maildir_catchall:
  driver = appendfile
  directory = $w/Maildir
  maildir_format
  create_directory
  delivery_date_add
  envelope_to_add
  return_path_add
  user = $muser
  group = $mgroup
  mode = 0600

begin retry

*   *   F,2m,1m

begin authenticators

# AUTH is offered only after STARTTLS.
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if eq{\$auth3}{\${lookup{\$auth2}lsearch{$w/etc/passwd}{\$value}fail}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if def:tls_in_cipher}

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if eq{\$auth2}{\${lookup{\$auth1}lsearch{$w/etc/passwd}{\$value}fail}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if def:tls_in_cipher}
EOF
}

cmd_start() {
  (($# == 2 || $# == 4)) || usage
  local w port user pass
  w=$(abspath "$1")
  port=$2
  user=${3:-$DEFAULT_USER}
  pass=${4:-$DEFAULT_PASS}
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "bad port: $port"
  [[ $user =~ ^[A-Za-z0-9._-]+$ ]] || die "user name must match [A-Za-z0-9._-]+"
  [[ $pass != *[$'\n\r']* && $pass == "${pass#[[:space:]]}" && $pass == "${pass%[[:space:]]}" ]] ||
    die "password must not contain a newline or start/end with a space"
  ((EUID == 0)) || die "must run as root"
  local host=${RELAY_HOSTNAME:-relay.test}
  local size=${RELAY_MAX_SIZE:-31457280}
  [[ $size =~ ^[0-9]+$ ]] || die "RELAY_MAX_SIZE must be a number"

  mkdir -p "$w"
  if daemon_pid "$w" >/dev/null; then die "an instance is already running in $w (stop it first)"; fi
  if banner "$port" >/dev/null; then die "something already answers on 127.0.0.1:$port"; fi

  install_packages
  ensure_exim_user
  local exim
  exim=$(unpack_exim "$w")

  chmod 755 "$w"
  runuser -u Debian-exim -- test -x "$w" ||
    die "user Debian-exim cannot enter $w: a parent directory is not searchable; use a WORKDIR under /tmp"

  # Exim gives up root when started with -C (see the header), so it delivers as its own user.
  local muser=Debian-exim mgroup=Debian-exim

  mkdir -p "$w/etc" "$w/spool" "$w/log" "$w/run" "$w/Maildir"/{cur,new,tmp}
  chown root:root "$w/etc"
  chmod 755 "$w/etc"
  chown -R Debian-exim:Debian-exim "$w/spool" "$w/log" "$w/run"
  chmod 750 "$w/spool"
  chown -R "$muser:$mgroup" "$w/Maildir"
  chmod 700 "$w/Maildir" "$w/Maildir"/{cur,new,tmp}

  make_certs "$w/tls" "$host"
  chmod 755 "$w/tls"
  chown root:Debian-exim "$w/tls/server.key"
  chmod 640 "$w/tls/server.key"

  printf '%s: %s\n' "$user" "$pass" >"$w/etc/passwd"
  chown root:Debian-exim "$w/etc/passwd"
  chmod 640 "$w/etc/passwd"
  write_conf "$w" "$port" "$host" "$size" "$muser" "$mgroup" "$exim" >"$w/etc/exim.conf"
  chmod 644 "$w/etc/exim.conf"

  "$exim" -C "$w/etc/exim.conf" -bV >"$w/log/exim-bV.txt" 2>&1 ||
    die "config check failed: $(tail -n 5 "$w/log/exim-bV.txt")"
  log "starting Exim on 127.0.0.1:$port (config $w/etc/exim.conf)"
  "$exim" -C "$w/etc/exim.conf" -bd -q1m >&2 || die "exim -bd failed (see $w/log/paniclog)"

  local i line=''
  for ((i = 0; i < 100; i++)); do
    line=$(banner "$port") && [[ $line == 220* ]] && break
    line=''
    sleep 0.2
  done
  [[ -n $line ]] || {
    cat "$w/log/paniclog" >&2 2>/dev/null || true
    cmd_stop "$w" || true
    die "no 220 banner on 127.0.0.1:$port after 20 s"
  }

  {
    echo "RELAY_HOST=127.0.0.1"
    echo "RELAY_PORT=$port"
    echo "RELAY_USER=$user"
    echo "RELAY_PASS=$pass"
    echo "RELAY_CA=$w/tls/ca.crt"
    echo "RELAY_CERT=$w/tls/server.crt"
    echo "RELAY_MAILDIR=$w/Maildir"
    echo "RELAY_LOG=$w/log/mainlog"
    echo "RELAY_PID=$(daemon_pid "$w" || true)"
  } | tee "$w/relay.env"
  log "ready: $line"
}

cmd_stop() {
  (($# == 1)) || usage
  local w pid i
  w=$(abspath "$1")
  [[ -f $w/etc/exim.conf ]] || die "no instance in $w"
  if ! pid=$(daemon_pid "$w"); then
    log "not running: $w"
    return 0
  fi
  kill "$pid"
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "daemon $pid still there after 5 s, sending KILL"
    kill -9 "$pid" || true
  fi
  rm -f "$w/run/exim.pid"
  log "stopped: $w (pid $pid)"
}

cmd_status() {
  (($# == 1)) || usage
  local w pid
  w=$(abspath "$1")
  if pid=$(daemon_pid "$w"); then
    echo "running pid=$pid"
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
