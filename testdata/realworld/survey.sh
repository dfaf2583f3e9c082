#!/bin/sh
# Runs the current bin/sidecar over every file of the real-world corpus and keeps
# what each command prints, to compare with FINDINGS.md. Usage, from the repository
# root:  make build && testdata/realworld/survey.sh [OUTDIR]   (default /tmp/realworld-survey)
# For each file: validate, config -o json, export kube, export compose; per command
# NAME.CMD.out (stdout), NAME.CMD.err (stderr) and the exit status in NAME.CMD.rc.
# Nothing is started: no `up`.
set -u
bin=${SIDECAR:-bin/sidecar}
out=${1:-/tmp/realworld-survey}
here=$(dirname "$0")
mkdir -p "$out"
files=$(cd "$here" && { ls kube/*.yaml compose/*.yaml; ls compose/*/compose.yaml compose/*/docker-compose.yml 2>/dev/null; } | sort)
for f in $files; do
  name=$(echo "$f" | sed -e 's|/compose.yaml$||' -e 's|/docker-compose.yml$||' -e 's|\.yaml$||' -e 's|/|_|g')
  for cmd in validate config export-kube export-compose; do
    case $cmd in
      validate) set -- validate ;;
      config) set -- config -o json ;;
      export-kube) set -- export kube ;;
      export-compose) set -- export compose ;;
    esac
    "$bin" "$@" -f "$here/$f" >"$out/$name.$cmd.out" 2>"$out/$name.$cmd.err" </dev/null
    echo $? >"$out/$name.$cmd.rc"
  done
  printf '%-48s validate=%s config=%s kube=%s compose=%s\n' "$f" \
    "$(cat "$out/$name.validate.rc")" "$(cat "$out/$name.config.rc")" \
    "$(cat "$out/$name.export-kube.rc")" "$(cat "$out/$name.export-compose.rc")"
done
