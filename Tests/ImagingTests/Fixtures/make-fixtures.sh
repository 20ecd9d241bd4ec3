#!/usr/bin/env bash
# Re-creates the small image fixtures of ImagingTests (run from anywhere; needs imagemagick, webp,
# libheif-examples, libheif-dev, libimage-exiftool-perl, gcc). The committed files are what the tests use;
# this script only documents how they were made.
# Every picture: 64 × 48 stored pixels, blue, with a red 16 × 12 block in the stored top-left corner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
IM=$(command -v /usr/bin/convert || command -v convert)

"$IM" -size 64x48 xc:'rgb(40,90,200)' -fill 'rgb(230,30,30)' -draw 'rectangle 0,0 15,11' PNG24:"$tmp/base.png"

# JPEG with EXIF Orientation 6 (rotate 90° clockwise to show) and GPS position: shown 48 × 64, red top-right.
"$IM" "$tmp/base.png" -quality 90 orient6-gps.jpg
exiftool -q -overwrite_original -n -Orientation=6 -GPSLatitude=13.7563 -GPSLatitudeRef=N \
  -GPSLongitude=100.5018 -GPSLongitudeRef=E -Make=TestPhone orient6-gps.jpg

# PNG with an eXIf chunk, Orientation 8 (rotate 90° counter-clockwise): shown 48 × 64, red bottom-left.
cp "$tmp/base.png" orient8.png
exiftool -q -overwrite_original -n -Orientation=8 orient8.png

# WebP: lossy (VP8), lossless (VP8L), and extended (VP8X) with EXIF Orientation 3 (180°: red bottom-right).
cwebp -quiet -q 80 "$tmp/base.png" -o lossy.webp
cwebp -quiet -lossless "$tmp/base.png" -o lossless.webp
"$IM" "$tmp/base.png" -quality 95 "$tmp/o3.jpg"
exiftool -q -overwrite_original -n -Orientation=3 "$tmp/o3.jpg"
cwebp -quiet -q 80 -metadata exif "$tmp/o3.jpg" -o orient3.webp

# HEIC, plain; and as a phone writes it: irot in the container and the same Orientation 6 in Exif.
# libheif applies irot on decode, so the Exif value must not be applied a second time.
heif-enc -q 60 "$tmp/base.png" -o plain.heic
gcc ../../fixture-tools/heif_oriented.c -o "$tmp/heif_oriented" $(pkg-config --cflags --libs libheif)
"$tmp/heif_oriented" irot-exif6.heic 6

# AVIF and GIF, for the header reader.
"$IM" "$tmp/base.png" -quality 95 "$tmp/base.jpg"  # heif-enc 1.15 reads AVIF input best from JPEG
heif-enc -A -q 60 "$tmp/base.jpg" -o plain.avif
"$IM" "$tmp/base.png" plain.gif
ls -l orient6-gps.jpg orient8.png lossy.webp lossless.webp orient3.webp plain.heic irot-exif6.heic plain.avif plain.gif
