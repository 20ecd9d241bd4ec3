# Sourced by scripts/with-postgres.sh and scripts/with-s3.sh as their last step: runs "$@" in the background
# (keeping stdin) so that INT or TERM reaches it and the caller's EXIT trap (its cleanup) runs at once, then
# exits with the command's status.
forward() { [ -n "$child" ] && kill "-$1" "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit "$2"; }
trap 'forward INT 130' INT
trap 'forward TERM 143' TERM
"$@" <&0 &
child=$!
set +e
wait "$child"
rc=$?
set -e
exit $rc
