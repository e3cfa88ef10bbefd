# Helpers the benchmark scripts source.
# get KEY...: the values of `measurement` KEYs in the JSON of `lts-search eval` on stdin.
get() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(' '.join(str(d['measurement'][k]) for k in sys.argv[1:]))" "$@"; }
# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
