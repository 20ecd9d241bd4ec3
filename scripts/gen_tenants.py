#!/usr/bin/env python3
"""Generate N tenant folders for the scale benchmark.

Names come from real sub-districts (geothai data); everything except
name/code/hosts/contact/colors is copied from a template tenant.

  scripts/gen_tenants.py --out DIR --count N [--from Tenants/bangkrathum]
                         [--geothai ../shared/data/geothai] [--seed 1] [--catalogue NAME]

With --catalogue NAME the template's services go once into DIR/_catalogues/NAME.yaml and every
tenant names that catalogue (as municipalities sharing the standard service set would); without it
every tenant.yaml carries its own full copy of the services.
"""
import argparse
import colorsys
import copy
import json
import os
import random
import re
import shutil
import sys

import yaml

SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KINDS = [
    # (th prefix, en suffix)
    ("เทศบาลตำบล", "Subdistrict Municipality"),
    ("องค์การบริหารส่วนตำบล", "Subdistrict Administrative Organization"),
]


def resolve(path):
    """Path as given if it exists, else relative to the repo root."""
    if os.path.exists(path) or os.path.isabs(path):
        return path
    return os.path.join(ROOT, path)


def load_json(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return json.load(f)


def romanise(en):
    return re.sub(r"[^a-z0-9]+", "-", en.lower()).strip("-")


def make_slug(i, en):
    return ("t%05d-%s" % (i, romanise(en)))[:40].rstrip("-")


def make_code(en, kind_index):
    words = [w for w in re.split(r"[^A-Za-z]+", en) if w]
    code = "".join(w[0] for w in words).upper()[:4]
    consonants = [c for c in "".join(words)[1:].upper() if c not in "AEIOU"]
    for c in consonants + ["X"] * 3:  # pad to at least 3 letters
        if len(code) >= 3:
            break
        code += c
    return code + ("M" if kind_index == 0 else "")  # 3-5 letters


def make_colors(rng):
    h = rng.random()
    p = colorsys.hls_to_rgb(h, 0.28, 0.55)  # dark enough for white text
    a = colorsys.hls_to_rgb((h + 0.08 + rng.random() * 0.1) % 1.0, 0.5, 0.75)
    hexc = lambda rgb: "#%02x%02x%02x" % tuple(round(x * 255) for x in rgb)
    return {"primary": hexc(p), "accent": hexc(a)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--from", dest="template", default="Tenants/bangkrathum")
    ap.add_argument("--geothai", default=os.path.join(ROOT, "..", "shared", "data", "geothai"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--catalogue", help="share the template's services through DIR/_catalogues/NAME.yaml")
    args = ap.parse_args()

    template_dir = resolve(args.template)
    geothai = resolve(args.geothai)
    with open(os.path.join(template_dir, "tenant.yaml"), encoding="utf-8") as f:
        template = yaml.safe_load(f)
    copy_files = [template.get("logo") or "logo.svg", template.get("terms") or "terms.md"]
    for name in copy_files:
        if not os.path.isfile(os.path.join(template_dir, name)):
            sys.exit("gen_tenants: template lacks %s" % name)

    provinces = {row[0]: row for row in load_json(geothai, "provinces.json")}
    districts = {row[0]: row for row in load_json(geothai, "districts.json")}
    subs = load_json(geothai, "subdistricts.json")
    rng = random.Random(args.seed)
    order = list(range(len(subs)))
    rng.shuffle(order)
    # First pass: mostly SAOs (as in reality); past len(subs), the other kind.
    first_kind = [1 if rng.random() < 0.7 else 0 for _ in subs]
    hours = (template.get("contact") or {}).get("hours") or "จันทร์–ศุกร์ 08:30–16:30 น."

    os.makedirs(args.out, exist_ok=True)
    if args.catalogue:
        os.makedirs(os.path.join(args.out, "_catalogues"), exist_ok=True)
        with open(os.path.join(args.out, "_catalogues", args.catalogue + ".yaml"), "w", encoding="utf-8") as f:
            yaml.dump({"menus": template["menus"]}, f, Dumper=SafeDumper, allow_unicode=True, sort_keys=False)
        template = {k: v for k, v in template.items() if k != "menus"}
        template["catalogue"] = args.catalogue
    for i in range(1, args.count + 1):
        n, lap = (i - 1) % len(subs), (i - 1) // len(subs)
        code_, th, en, postcode = subs[order[n]][:4]
        kind = first_kind[order[n]] ^ (lap & 1)
        th_prefix, en_suffix = KINDS[kind]
        dist = districts.get(code_[:4], [None, "", ""])
        prov = provinces.get(code_[:2], [None, "", ""])
        postcode = postcode.split()[0]
        slug = make_slug(i, en)
        if prov[0] == "10":
            address = "แขวง%s %s %s %s" % (th, dist[1], prov[1], postcode)
        else:
            address = "ตำบล%s อำเภอ%s จังหวัด%s %s" % (th, dist[1], prov[1], postcode)

        t = copy.deepcopy(template)
        t["name"] = {"th": th_prefix + th, "en": "%s %s" % (en, en_suffix)}
        t["code"] = make_code(en, kind)
        t["hosts"] = ["%s.localhost" % slug]
        t["contact"] = {
            "address": "สำนักงาน" + th_prefix + th + " " + address,
            "phone": "0 %04d %04d" % (rng.randrange(2000, 9999), rng.randrange(10000)),
            "email": "saraban@%s.example" % slug,
            "website": "http://%s.localhost/" % slug,
            "hours": hours,
        }
        t["colors"] = make_colors(rng)

        d = os.path.join(args.out, slug)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tenant.yaml"), "w", encoding="utf-8") as f:
            # = yaml.safe_dump, via libyaml when available (much faster)
            yaml.dump(t, f, Dumper=SafeDumper, allow_unicode=True, sort_keys=False)
        for name in copy_files:
            dst = os.path.join(d, name)
            if os.path.lexists(dst):
                os.remove(dst)
            shutil.copyfile(os.path.join(template_dir, name), dst)
    print("gen_tenants: wrote %d tenants to %s" % (args.count, args.out))


if __name__ == "__main__":
    main()
