# Helpers the benchmark scripts source.
# get KEY...: the values of `measurement` KEYs in the JSON of `lts-search eval` on stdin.
get() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(' '.join(str(d['measurement'][k]) for k in sys.argv[1:]))" "$@"; }
# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# remeasure_front RUN CACHE YARDSTICK: the common measurer of YARDSTICK/compare_frontiers.py times
# RUN's final frontier (frontier.json) into CACHE.
remeasure_front() {
  /usr/bin/python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["frontier"]:
    print(json.dumps({"arch": c["arch"], "decoder_params": c["decoder_params"], "latency_ms": c["latency_ms"], "elapsed_s": 1}))' \
    "$1/frontier.json" >"$1/front.jsonl"
  /usr/bin/python3 "$3/compare_frontiers.py" --a "$1/front.jsonl" --b "$1/front.jsonl" --step 1 --threads 1 \
    --cache "$2" >/dev/null
}
