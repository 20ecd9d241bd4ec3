#!/usr/bin/env bash
# Identity-image watermark benchmark: a 12-megapixel phone-like JPEG (4000 × 3000 stored, EXIF Orientation 6)
# is decoded, turned upright, crossed with the repeated translucent bands and Thai text, and encoded at q85 by
#   ours     the Imaging library (release-built imaging-bench)
#   C        bench/watermark/gd_peer.c: the same job calling libgd directly
#   vips     a vips CLI pipeline doing the equivalent (text by Pango, bands as a rotated tiled mask)
#   convert  ImageMagick doing the equivalent (-draw polygons, -annotate text)
# Each runs RUNS times (default 5); median wall time and max RSS (/usr/bin/time %M) are printed and written to
# bench-results/watermark.txt. Targets: ours ≤ 1.25 × C in time, ≤ 120 MB extra peak memory per image.
# Usage: scripts/bench-watermark.sh   (env: RUNS, SCRATCH = swift scratch path, default .build; FONT)
# Needs: scripts/install-deps.sh bench (imagemagick, libvips-tools, time, gcc, libgd-dev).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
RUNS="${RUNS:-5}"
SCRATCH="${SCRATCH:-.build}"
FONT="${FONT:-/usr/share/fonts/truetype/tlwg/Loma.ttf}"
TEXT="ใช้สำหรับยืนยันตัวตนกับ เทศบาลตำบลบางกระทุ่ม เท่านั้น 1 ธ.ค. 2569"
OUT=bench-results
WORK="$OUT/watermark"
mkdir -p "$WORK"
IM=/usr/bin/convert; [ -x "$IM" ] || IM="$(command -v convert)"
for tool in "$IM" vips vipsheader /usr/bin/time gcc pkg-config; do
  command -v "$tool" >/dev/null || { echo "bench-watermark: $tool missing (scripts/install-deps.sh bench)" >&2; exit 1; }
done
[ -r "$FONT" ] || { echo "bench-watermark: font $FONT missing (fonts-thai-tlwg)" >&2; exit 1; }

# --- the input, made once: plasma (smooth colour areas) plus sensor-like noise, q92 4:2:0, then an APP1 Exif
# segment with Orientation 6 (big-endian TIFF, one IFD entry) spliced in after SOI.
IN="$OUT/photo-12mp-orient6.jpg"
if [ ! -s "$IN" ]; then
  echo "making $IN (once)"
  "$IM" -seed 7 -size 4000x3000 plasma:fractal -blur 0x1.5 -attenuate 0.4 +noise Gaussian \
    -sampling-factor 2x2 -quality 92 "$WORK/base.jpg"
  { printf '\xff\xd8\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08'
    printf '\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00'
    tail -c +3 "$WORK/base.jpg"; } > "$IN.tmp"
  mv "$IN.tmp" "$IN"
  rm -f "$WORK/base.jpg"
fi
# The same picture without the Exif segment (upright, no quarter turn): compares the rest of the job alone.
UPRIGHT="$OUT/photo-12mp-upright.jpg"
[ -s "$UPRIGHT" ] || { printf '\xff\xd8'; tail -c +39 "$IN"; } > "$UPRIGHT"
echo "input: $IN ($(vipsheader "$IN"), $(stat -c %s "$IN") bytes, EXIF Orientation 6 → shown 3000 × 4000)"

# --- builds
swift build -c release --scratch-path "$SCRATCH" --product imaging-bench 2>&1 | grep -v 'AVIF_DLL' | tail -1
OURS="$SCRATCH/release/imaging-bench"
PEER="$WORK/gd_peer"
gcc -O2 -o "$PEER" bench/watermark/gd_peer.c $(pkg-config --cflags --libs gdlib) -lm
SHAPED="$("$OURS" shape "$TEXT")"  # what gd draws (no libraqm): Thai marks placed via the font's PUA glyphs

# --- the plan (band geometry and text positions) for the shown size, shared by the vips and ImageMagick runs
W=3000 H=4000
"$OURS" plan $W $H "$FONT" "$TEXT" > "$WORK/plan.txt"
read -r _ EM _ ANGLE TEXTW PERIOD _ LINEOFF THICK < <(head -1 "$WORK/plan.txt")
OPACITY=0.622  # gd alpha 48 of 127

# ImageMagick: one command with every line as a polygon and every text repetition as an annotation.
im_args=(-auto-orient -strip -fill "rgba(170,20,20,$OPACITY)" -stroke none)
while read -r kind a b c d e f g h; do
  [ "$kind" = line ] && im_args+=(-draw "polygon $a,$b $c,$d $e,$f $g,$h")
done < "$WORK/plan.txt"
im_args+=(-font "$FONT" -pointsize "$EM")
neg=$(awk -v a="$ANGLE" 'BEGIN { printf "%.2f", -a }')  # ImageMagick turns clockwise
while read -r kind a b _; do
  [ "$kind" = text ] && im_args+=(-annotate "${neg}x${neg}$(printf '%+d%+d' "$(printf '%.0f' "$a")" "$(printf '%.0f' "$b")")" "$SHAPED")
done < "$WORK/plan.txt"

# vips: text rendered once by Pango, placed in a band tile (period high, text + 3 em wide) between two lines,
# tiled over a D × D square, turned, cropped to the image, and blended over it with the same colour and opacity.
read -r TW TH D NX NY TY L1 L2 T < <(awk -v em="$EM" -v tw="$TEXTW" -v p="$PERIOD" -v lo="$LINEOFF" -v th="$THICK" -v w=$W -v h=$H '
  BEGIN { u = int(tw + 3 * em); d = int(sqrt(w * w + h * h)) + 2; c = int(p / 2)
          printf "%d %d %d %d %d %d %d %d %d\n", u, int(p), d, int(d / u) + 2, int(d / p) + 2, c - int(0.62 * em),
                 c - int(lo + th / 2), c + int(lo - th / 2), int(th + 0.5) }')
cat > "$WORK/vips.sh" <<EOF
set -e
t="$WORK/vtmp"; mkdir -p "\$t"
vips autorot "$IN" "\$t/rot.v"
vips text "\$t/txt.v" "$TEXT" --fontfile "$FONT" --font "Loma $EM" --dpi 72
vips black "\$t/tile0.v" $TW $TH
vips insert "\$t/tile0.v" "\$t/txt.v" "\$t/tile.v" 0 $TY
vips draw_rect "\$t/tile.v" 255 0 $L1 $TW $T --fill
vips draw_rect "\$t/tile.v" 255 0 $L2 $TW $T --fill
vips replicate "\$t/tile.v" "\$t/rep.v" $NX $NY
vips crop "\$t/rep.v" "\$t/sq.v" 0 0 $D $D
vips rotate "\$t/sq.v" "\$t/turned.v" $(awk -v a="$ANGLE" 'BEGIN { print 360 - a }')  # clockwise by the band angle
rw=\$(vipsheader -f width "\$t/turned.v"); rh=\$(vipsheader -f height "\$t/turned.v")
vips crop "\$t/turned.v" "\$t/mask.v" \$(( (rw - $W) / 2 )) \$(( (rh - $H) / 2 )) $W $H
vips linear "\$t/mask.v" "\$t/alpha.v" $OPACITY 0 --uchar
vips black "\$t/zero.v" $W $H --bands 3
vips linear "\$t/zero.v" "\$t/ink.v" "1 1 1" "170 20 20" --uchar
vips ifthenelse "\$t/alpha.v" "\$t/ink.v" "\$t/rot.v" "\$t/out.v" --blend
vips jpegsave "\$t/out.v" "$WORK/vips.jpg" --Q 85 --strip
rm -rf "\$t"
EOF

# --- runs: wall time in ms (date, ns resolution) and max RSS in KiB (/usr/bin/time, largest process)
measure() {  # name, command...
  local name="$1"; shift
  local times=() mems=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/$name.rss" "$@" > /dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
    mems+=("$(tail -1 "$WORK/$name.rss")")
  done
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  m=$(printf '%s\n' "${mems[@]}" | sort -n | tail -1)
  printf -v "T_$name" '%s' "$t"
  printf -v "M_$name" '%s' "$m"
  printf '%-9s median %6d ms   max RSS %7.1f MiB   (runs: %s ms)\n' "$name" "$t" "$(awk -v k="$m" 'BEGIN { print k / 1024 }')" "${times[*]}"
}

echo "running each $RUNS times"
# Baselines: the same programs doing nothing, so "extra" is what one image costs.
/usr/bin/time -f '%M' -o "$WORK/base-ours.rss" "$OURS" noop
/usr/bin/time -f '%M' -o "$WORK/base-c.rss" "$PEER" 2>/dev/null || true
B_ours=$(tail -1 "$WORK/base-ours.rss"); B_c=$(tail -1 "$WORK/base-c.rss")

measure ours "$OURS" mark "$IN" "$WORK/ours.jpg" "$FONT" "$TEXT"
measure c "$PEER" "$IN" "$WORK/c.jpg" "$FONT" "$SHAPED"
measure ours_up "$OURS" mark "$UPRIGHT" "$WORK/ours-upright.jpg" "$FONT" "$TEXT"
measure c_up "$PEER" "$UPRIGHT" "$WORK/c-upright.jpg" "$FONT" "$SHAPED"
measure vips bash "$WORK/vips.sh"
measure convert "$IM" "$IN" "${im_args[@]}" -quality 85 "$WORK/convert.jpg"

for f in ours c vips convert; do
  size=$(vipsheader "$WORK/$f.jpg" | sed 's/.*: \([0-9]*x[0-9]*\).*/\1/')
  [ "$size" = "${W}x${H}" ] || echo "WARNING: $f wrote $size, expected ${W}x${H}" >&2
done
same=$(cmp -s "$WORK/ours.jpg" "$WORK/c.jpg" && echo "byte-identical" || echo "different")

summary=$(awk -v to="$T_ours" -v tc="$T_c" -v tv="$T_vips" -v ti="$T_convert" -v tou="$T_ours_up" -v tcu="$T_c_up" \
  -v mou="$M_ours_up" -v mcu="$M_c_up" \
  -v mo="$M_ours" -v mc="$M_c" -v mv="$M_vips" -v mi="$M_convert" -v bo="$B_ours" -v bc="$B_c" -v same="$same" \
  -v runs="$RUNS" -v file="$(stat -c %s "$IN")" 'BEGIN {
  printf "Watermark of a 12 MP JPEG (4000x3000, EXIF Orientation 6, %.1f MB), median of %d runs, wall time / max RSS\n", file / 1e6, runs
  printf "  ours (Swift Imaging)  %5.2f s  %6.1f MiB  (extra over its idle process: %5.1f MiB)\n", to / 1000, mo / 1024, (mo - bo) / 1024
  printf "  bare libgd C          %5.2f s  %6.1f MiB  (extra over its idle process: %5.1f MiB)\n", tc / 1000, mc / 1024, (mc - bc) / 1024
  printf "  vips CLI pipeline     %5.2f s  %6.1f MiB\n", tv / 1000, mv / 1024
  printf "  ImageMagick convert   %5.2f s  %6.1f MiB\n", ti / 1000, mi / 1024
  printf "  upright copy (no Exif, no quarter turn):\n"
  printf "  ours                  %5.2f s  %6.1f MiB  (extra %5.1f MiB)\n", tou / 1000, mou / 1024, (mou - bo) / 1024
  printf "  bare libgd C          %5.2f s  %6.1f MiB  (extra %5.1f MiB)\n", tcu / 1000, mcu / 1024, (mcu - bc) / 1024
  printf "  ours / C      %.2f  (target <= 1.25; upright: %.2f)\n", to / tc, tou / tcu
  printf "  vips / ours   %.2f\n", tv / to
  printf "  convert / ours %.2f\n", ti / to
  printf "  extra peak memory of ours: %.1f MiB = %.1f MB (target <= 120 MB)\n", (mo - bo) / 1024, (mo - bo) * 1024 / 1e6
  printf "  ours and C outputs: %s\n", same
}')
echo "$summary"
echo "$summary" > "$OUT/watermark.txt"
echo "written: $OUT/watermark.txt (outputs in $WORK/)"
