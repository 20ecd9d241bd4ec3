/* Fixture maker: a small HEIC whose primary image carries irot/imir for an EXIF orientation, plus an
 * Exif block saying the same orientation (as phones write). Stored pixels: blue, red block top-left.
 * usage: heif_oriented out.heic orientation(1-8) */
#include <libheif/heif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(struct heif_error e, const char *what) {
    if (e.code != heif_error_Ok) { fprintf(stderr, "%s: %s\n", what, e.message); exit(1); }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s out.heic orientation\n", argv[0]); return 2; }
    int orientation = atoi(argv[2]), w = 64, h = 48;
    struct heif_image *img;
    check(heif_image_create(w, h, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &img), "create");
    check(heif_image_add_plane(img, heif_channel_interleaved, w, h, 8), "plane");
    int stride;
    uint8_t *p = heif_image_get_plane(img, heif_channel_interleaved, &stride);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + y * stride + 3 * x;
            int red = x < 16 && y < 12;
            q[0] = red ? 230 : 40; q[1] = red ? 30 : 90; q[2] = red ? 30 : 200;
        }
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc;
    check(heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc), "encoder");
    heif_encoder_set_lossy_quality(enc, 60);
    struct heif_encoding_options *opt = heif_encoding_options_alloc();
    opt->image_orientation = (enum heif_orientation)orientation;
    struct heif_image_handle *handle;
    check(heif_context_encode_image(ctx, img, enc, opt, &handle), "encode");
    /* Exif: "Exif\0\0" is not part of the HEIF Exif item; libheif wants a 4-byte offset then TIFF. */
    uint8_t exif[4 + 26] = {0, 0, 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    exif[4 + 8 + 2 + 8 + 1] = (uint8_t)orientation;
    check(heif_context_add_exif_metadata(ctx, handle, exif, sizeof exif), "exif");
    check(heif_context_write_to_file(ctx, argv[1]), "write");
    heif_image_handle_release(handle);
    heif_encoding_options_free(opt);
    heif_encoder_release(enc);
    heif_image_release(img);
    heif_context_free(ctx);
    return 0;
}
