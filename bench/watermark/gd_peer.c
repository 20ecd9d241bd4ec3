/* Bare-libgd peer of the Swift IdentityWatermark, for scripts/bench-watermark.sh.
 * Same job: read a JPEG, apply its EXIF orientation, draw the same repeated diagonal
 * bands (two lines, Thai text between them), encode JPEG q85.
 * The text is passed already shaped (`imaging-bench shape`), so both draw the same glyphs; the output is
 * byte-identical to ours for all 8 orientations (ours turns quarter turns faster, by a tiled transpose).
 * usage: gd_peer in.jpg out.jpg font.ttf shaped-text */
#include <gd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*size);
    if (buf && fread(buf, 1, *size, f) != (size_t)*size) { free(buf); buf = NULL; }
    fclose(f);
    return buf;
}

static unsigned rd16(const unsigned char *p, int le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static unsigned rd32(const unsigned char *p, int le) {
    return le ? p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24 : (unsigned)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* EXIF Orientation from a JPEG's APP1 segment; 1 when absent. */
static int jpeg_orientation(const unsigned char *b, long n) {
    long i = 2;
    while (i + 4 <= n && b[i] == 0xFF) {
        int marker = b[i + 1];
        long len = b[i + 2] << 8 | b[i + 3];
        if (marker == 0xDA || marker == 0xD9 || len < 2 || i + 2 + len > n) break;
        const unsigned char *s = b + i + 4;
        long sl = len - 2;
        if (marker == 0xE1 && sl >= 14 && memcmp(s, "Exif\0\0", 6) == 0) {
            const unsigned char *t = s + 6;
            long tl = sl - 6;
            int le = t[0] == 'I';
            unsigned ifd = rd32(t + 4, le);
            if (ifd + 2 > tl) return 1;
            unsigned count = rd16(t + ifd, le);
            for (unsigned k = 0; k < count && ifd + 2 + 12 * (k + 1) <= tl; k++) {
                const unsigned char *e = t + ifd + 2 + 12 * k;
                if (rd16(e, le) == 0x0112) { unsigned v = rd16(e + 8, le); return v >= 1 && v <= 8 ? (int)v : 1; }
            }
            return 1;
        }
        i += 2 + len;
    }
    return 1;
}

static gdImagePtr orient(gdImagePtr im, int o) {
    gdImagePtr r = NULL;
    switch (o) {
    case 2: gdImageFlipHorizontal(im); return im;
    case 3: gdImageFlipBoth(im); return im;
    case 4: gdImageFlipVertical(im); return im;
    case 5: r = gdImageRotateInterpolated(im, 270, 0); gdImageFlipHorizontal(r); break; /* transpose */
    case 6: r = gdImageRotateInterpolated(im, 270, 0); break;                            /* 90 clockwise */
    case 7: r = gdImageRotateInterpolated(im, 90, 0); gdImageFlipHorizontal(r); break;  /* transverse */
    case 8: r = gdImageRotateInterpolated(im, 90, 0); break;                             /* 90 counter-clockwise */
    default: return im;
    }
    gdImageDestroy(im);
    return r;
}

static void strip(gdImagePtr im, double cx, double cy, double ux, double uy, double half, double thick, int color) {
    double nx = uy * -1, ny = ux; /* any normal */
    gdPoint p[4];
    double t = thick / 2;
    p[0].x = (int)lround(cx - ux * half + nx * t); p[0].y = (int)lround(cy - uy * half + ny * t);
    p[1].x = (int)lround(cx + ux * half + nx * t); p[1].y = (int)lround(cy + uy * half + ny * t);
    p[2].x = (int)lround(cx + ux * half - nx * t); p[2].y = (int)lround(cy + uy * half - ny * t);
    p[3].x = (int)lround(cx - ux * half - nx * t); p[3].y = (int)lround(cy - uy * half - ny * t);
    gdImageFilledPolygon(im, p, 4, color);
}

static int draw(gdImagePtr im, const char *font, const char *text) {
    double W = gdImageSX(im), H = gdImageSY(im);
    double em = fmax(24.0, fmin(W, H) / 24.0);
    double pt = em * 0.75;
    double theta = fmin(fmax(atan2(H, W), M_PI / 12), M_PI * 5 / 12);
    double ux = cos(theta), uy = -sin(theta), nx = sin(theta), ny = cos(theta);
    double cx = W / 2, cy = H / 2, D = hypot(W, H);
    double reach = W / 2 * nx + H / 2 * ny;
    int k = (int)fmax(1, lround(reach / (6.5 * em)));
    double period = reach / k;
    double thick = fmax(2, em / 10), halfGap = 1.05 * em;
    int color = gdTrueColorAlpha(170, 20, 20, 48);
    int br[8];
    if (gdImageStringFT(NULL, br, color, (char *)font, pt, 0, 0, 0, (char *)text)) return 1;
    double tw = br[2] - br[0], unit = tw + 3 * em, half = D / 2 + em;
    gdImageAlphaBlending(im, 1);
    for (int j = -k; j <= k; j++) {
        double bx = cx + nx * j * period, by = cy + ny * j * period;
        strip(im, bx - nx * halfGap, by - ny * halfGap, ux, uy, half, thick, color);
        strip(im, bx + nx * halfGap, by + ny * halfGap, ux, uy, half, thick, color);
        double phase = fmod((j & 1) * unit / 2, unit);
        for (double t = -half - unit + phase; t < half; t += unit) {
            double x = bx + nx * 0.33 * em + ux * t, y = by + ny * 0.33 * em + uy * t;
            double mx = x + ux * tw / 2, my = y + uy * tw / 2, r = tw / 2 + em;
            if (mx + r < 0 || my + r < 0 || mx - r > W || my - r > H) continue;
            if (gdImageStringFT(im, br, color, (char *)font, pt, theta, (int)lround(x), (int)lround(y), (char *)text)) return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s in.jpg out.jpg font.ttf text\n", argv[0]); return 2; }
    long n;
    unsigned char *in = slurp(argv[1], &n);
    if (!in) { perror(argv[1]); return 1; }
    int o = jpeg_orientation(in, n);
    gdImagePtr im = gdImageCreateFromJpegPtr((int)n, in);
    free(in);
    if (!im) { fprintf(stderr, "decode failed\n"); return 1; }
    im = orient(im, o);
    if (!im || draw(im, argv[3], argv[4])) { fprintf(stderr, "draw failed\n"); return 1; }
    int size;
    void *out = gdImageJpegPtr(im, &size, 85);
    gdImageDestroy(im);
    FILE *f = fopen(argv[2], "wb");
    if (!out || !f || fwrite(out, 1, size, f) != (size_t)size) { fprintf(stderr, "write failed\n"); return 1; }
    fclose(f);
    gdFree(out);
    return 0;
}
