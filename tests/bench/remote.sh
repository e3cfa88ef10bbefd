#!/bin/sh
# Benchmark of remote devices (docs/benchmarks.md): measurements per minute through SSH against
# locally on the same machine, and a pool of two agents against one, one thread each. Starts its
# own sshd on 127.0.0.1 with keys generated into a temporary folder (needs openssh-server and a
# built build/), runs the same seeded random search ROUNDS times in each of three ways, rotating
# their order, and prints the medians and ratios. A fourth way, two independent local searches at
# once, is the control: what the two cores give two measuring processes.
#
#   tests/bench/remote.sh [OUT] [ROUNDS] [ITERATIONS]   (defaults: /tmp/lts-remote-bench, 3, 1)
#
# ITERATIONS of the random search, 48 architectures each: a longer search spreads each agent's
# fixed costs (its heap's first growth, its first model) over more measurements.
#
# The agent is started by sshd with the login environment, not this shell's; so that both sides
# run the same BLAS kernels and blocking, ssh sends the OPENBLAS_* variables along (SendEnv/AcceptEnv).
set -eu
out=${1:-/tmp/lts-remote-bench}
rounds=${2:-3}
iterations=${3:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/app/lts-search
[ -x "$bin" ] || { echo "remote bench: build first (packaging/build.sh)" >&2; exit 2; }
[ -x /usr/sbin/sshd ] || { echo "remote bench: needs openssh-server" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
sshd_pid=
cleanup() { [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

ssh-keygen -q -t ed25519 -N "" -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PidFile none
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AcceptEnv OPENBLAS_*
LogLevel ERROR
CONF
echo "[127.0.0.1]:$port $(cat "$tmp/host_key.pub")" >"$tmp/known_hosts"
cat >"$tmp/ssh_config" <<CONF
Host *
  IdentityFile $tmp/user_key
  IdentitiesOnly yes
  UserKnownHostsFile $tmp/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  SendEnv OPENBLAS_*
  LogLevel ERROR
CONF
mkdir -p /run/sshd 2>/dev/null || true
/usr/sbin/sshd -D -f "$tmp/sshd_config" &
sshd_pid=$!
sleep 1
export LTS_SSH_COMMAND="ssh -F $tmp/ssh_config"
url="ssh://127.0.0.1:$port/cpu"

# A random search of 48 architectures per iteration (its course does not depend on the measurements, so every
# way measures the same ones) of models that take a tenth of a second to a second to measure.
cat >"$out/space.json" <<JSON
{ "name": "bench-remote", "backbone": "gpt2",
  "n_layer": {"min": 2, "max": 6}, "d_model": [256, 384, 512], "n_head": [2, 4, 8],
  "d_inner": [512, 1024, 1536, 2048], "min_inner_ratio": 1.0, "div_val": 1, "d_embed": 128,
  "vocab_size": 8000, "seq_len": 128, "params_min": 0, "params_max": 0,
  "search": {"algorithm": "random", "iterations": $iterations, "parents": 8, "mutants": 20, "crossovers": 20, "seed": 3,
             "screening": false},
  "device": {"threads": 1} }
JSON
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; lts-search $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" | tee "$out/machine.txt"
"$bin" devices "$url" --remote-program "$bin" | grep '"blas"' | sed 's/^ */agent BLAS: /'

one() { # way round
  dir="$out/$1-$2"
  if [ "$1" = local2 ]; then # the control: two independent local searches at once, what two cores give
    "$bin" run --space "$out/space.json" --out "$dir-a" --no-cache >"$dir-a.out" 2>"$dir-a.log" &
    other=$!
    "$bin" run --space "$out/space.json" --out "$dir-b" --no-cache >"$dir-b.out" 2>"$dir-b.log"
    wait "$other"
    return
  fi
  case $1 in
    local) set -- ;;
    ssh1) set -- --device "$url" --remote-program "$bin" ;;
    ssh2) set -- --device "$url" --device "$url" --remote-program "$bin" ;;
  esac
  t0=$(date +%s.%N)
  "$bin" run --space "$out/space.json" --out "$dir" --no-cache "$@" >"$dir.out" 2>"$dir.log"
  t1=$(date +%s.%N)
  echo "$t0 $t1" >"$dir.time"
}
r=1
while [ "$r" -le "$rounds" ]; do
  case $((r % 3)) in
    1) order="local ssh1 ssh2 local2" ;;
    2) order="ssh1 ssh2 local2 local" ;;
    0) order="ssh2 local2 local ssh1" ;;
  esac
  for way in $order; do one "$way" "$r"; done
  r=$((r + 1))
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
# Steady state: the first measurements of the 48 architectures, from the search's start (its
# clock starts once the devices are connected) to the last of them; the confirmations of the
# frontier that follow depend on the measured values and are left out. Start-up: wall time
# before the search's clock started (LibTorch, ssh, the agents' greetings).
def firsts(d):
    first = {}
    for o in (json.loads(l) for l in open(d + "/candidates.jsonl") if l.strip()):
        first.setdefault(o["id"], o)
    return first
def load(way, r):
    d = f"{out}/{way}-{r}"
    t0, t1 = map(float, open(d + ".time").read().split())
    first = firsts(d)
    last = max(o["elapsed_s"] for o in first.values())
    session = json.load(open(d + "/session.json"))
    startup = (t1 - t0) - session["elapsed_s"]
    lat = {json.dumps(o["arch"], sort_keys=True): o["latency_ms"] for o in first.values()}
    return len(first), last, startup, lat, session["hypervolume"]
rate, lat, start, hv = {}, {}, {}, {}
for way in ("local", "ssh1", "ssh2"):
    rate[way], lat[way], start[way], hv[way] = [], [], [], []
    for r in range(1, rounds + 1):
        n, span, startup, l, h = load(way, r)
        rate[way].append(60 * n / span)
        lat[way].append(l)
        start[way].append(startup)
        hv[way].append(h)
        print(f"{way} round {r}: {n} first measurements in {span:.1f} s = {60 * n / span:.1f}/min; start-up {startup:.2f} s")
med = {w: statistics.median(v) for w, v in rate.items()}
for w in med:
    print(f"median {w}: {med[w]:.1f} measurements/min, start-up {statistics.median(start[w]):.2f} s")
print(f"SSH overhead: ssh1/local = {med['ssh1'] / med['local']:.3f} ({100 * (1 - med['ssh1'] / med['local']):+.1f}% fewer per minute)")
print(f"pool of two: ssh2/ssh1 = {med['ssh2'] / med['ssh1']:.2f}x measurements per minute")
# The control: both searches' first measurements over the longer of the two spans.
both = []
for r in range(1, rounds + 1):
    runs = [firsts(f"{out}/local2-{r}-{x}") for x in "ab"]
    n, span = sum(len(f) for f in runs), max(max(o["elapsed_s"] for o in f.values()) for f in runs)
    both.append(60 * n / span)
    print(f"local2 round {r}: two local searches at once, {n} first measurements in {span:.1f} s = {60 * n / span:.1f}/min")
control = statistics.median(both) / med["local"]
print(f"control: two local searches at once / one = {control:.2f}x; the pool reaches {med['ssh2'] / med['ssh1'] / control:.0%} of it")
def ratio(a, b):
    rs = []
    for la, lb in zip(lat[a], lat[b]):
        rs += [la[k] / lb[k] for k in la if k in lb and lb[k] > 0]
    return statistics.median(rs), len(rs)
for a, b in (("ssh1", "local"), ("ssh2", "ssh1")):
    m, n = ratio(a, b)
    print(f"latency of the same architectures, {a}/{b}: median ratio {m:.3f} over {n}; "
          f"final hypervolume {a}/{b}: {statistics.median(hv[a]) / statistics.median(hv[b]):.3f}")
PY
