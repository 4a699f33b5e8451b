#!/usr/bin/env python3
"""Deterministic generator for the synthetic sample datasets in ``datasets/raw/``.

Run from the repository root::

    python datasets/make_samples.py

It (re)writes, byte-for-byte identically on every run:

* ``datasets/raw/fruit_vegetable_nutrition.csv`` - latin-1, ``;``-delimited,
  USDA-style food descriptions with nutrients per 100 g.
* ``datasets/raw/recipes.jsonl`` - UTF-8 JSON lines, kitchen recipes
  (contains 3 deliberate exact duplicate rows).
* ``datasets/raw/cocktails/classics.parquet`` - classic cocktails + variations.
* ``datasets/raw/cocktails/modern.csv`` - UTF-8 CSV of generated modern
  cocktails (contains 2 deliberate rows with an empty ``ingredients`` field).

All data is synthetic (made up from hand-written vocabularies combined with a
seeded RNG); nutrient values are plausible approximations, not reference data.
Only the standard library and polars (for the Parquet file) are used.
"""

from __future__ import annotations

import copy
import csv
import json
import random
from pathlib import Path

import polars as pl

SEED = 20240613
ROOT = Path(__file__).resolve().parent
RAW_DIR = ROOT / "raw"
NUTRITION_PATH = RAW_DIR / "fruit_vegetable_nutrition.csv"
RECIPES_PATH = RAW_DIR / "recipes.jsonl"
COCKTAIL_DIR = RAW_DIR / "cocktails"
CLASSICS_PATH = COCKTAIL_DIR / "classics.parquet"
MODERN_PATH = COCKTAIL_DIR / "modern.csv"

N_NUTRITION = 300
N_RECIPES_UNIQUE = 297  # + 3 exact duplicates = 300 lines
N_CLASSICS = 120
N_MODERN = 130  # includes 2 rows with an empty ingredients field


# --------------------------------------------------------------------------
# small text helpers
# --------------------------------------------------------------------------
def nat_join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s else s


def art(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


_SMALL = {"and", "with", "in", "of", "on", "a", "the", "al", "e", "or", "alla", "de"}


def tcase(s: str) -> str:
    out = []
    for i, w in enumerate(s.split(" ")):
        if i > 0 and w in _SMALL:
            out.append(w)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


def dedupe(items: list) -> list:
    seen, out = set(), []
    for x in items:
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ==========================================================================
# 1. Fruit & vegetable nutrition (latin-1, ';')
# ==========================================================================
# Preparation transforms.  conc = density factor range, wt = target water %
# (density derived from the food's own water content), vc/fib/prot/fatr =
# retention ranges, sugar/fat = grams added per 100 g, vc_add = vitamin C mg
# gained (sprouting).
PREPS: dict[str, dict] = {
    "raw": dict(sfx="raw"),
    "fresh": dict(sfx="fresh"),
    "seeds_raw": dict(sfx="mature seeds, raw"),
    "imm_raw": dict(sfx="immature seeds, raw"),
    "frozen": dict(sfx="frozen, unsweetened", conc=(0.97, 1.02), vc=(0.8, 0.92)),
    "frozen_sw": dict(sfx="frozen, sweetened", conc=(0.97, 1.0), sugar=(12, 18), vc=(0.7, 0.85)),
    "frozen_veg": dict(sfx="frozen, unprepared", conc=(0.96, 1.03), vc=(0.75, 0.9)),
    "frozen_boiled": dict(sfx="frozen, cooked, boiled, drained, without salt", conc=(0.9, 0.98), vc=(0.45, 0.6)),
    "can_water": dict(sfx="canned, water pack, solids and liquids", conc=(0.82, 0.9), fib=(0.7, 0.85), vc=(0.4, 0.6)),
    "can_juice": dict(sfx="canned, juice pack, solids and liquids", conc=(0.86, 0.93), sugar=(2.5, 4.5), fib=(0.65, 0.8), vc=(0.4, 0.6)),
    "can_light": dict(sfx="canned, light syrup pack, solids and liquids", conc=(0.86, 0.92), sugar=(6, 9), fib=(0.6, 0.8), vc=(0.35, 0.55)),
    "can_heavy": dict(sfx="canned, heavy syrup pack, solids and liquids", conc=(0.82, 0.9), sugar=(11, 15), fib=(0.55, 0.75), vc=(0.3, 0.5)),
    "can_veg": dict(sfx="canned, drained solids", conc=(0.88, 0.97), fib=(0.85, 1.0), vc=(0.35, 0.55)),
    "can_nosalt": dict(sfx="canned, no salt added, solids and liquids", conc=(0.9, 1.0), vc=(0.5, 0.7)),
    "dried": dict(sfx="dried, uncooked", wt=(22, 32), vc=(0.05, 0.25)),
    "dried_sulf": dict(sfx="dried, sulfured, uncooked", wt=(28, 32), vc=(0.1, 0.3)),
    "dried_sw": dict(sfx="dried, sweetened", wt=(12, 18), sugar=(20, 30), vc=(0.05, 0.2)),
    "freeze": dict(sfx="freeze-dried", wt=(2, 4), vc=(0.55, 0.8)),
    "juice": dict(sfx="juice, raw", conc=(0.95, 1.03), fib=(0.05, 0.12), prot=(0.5, 0.8), fatr=(0.2, 0.5), vc=(0.8, 0.95)),
    "juice_b": dict(sfx="juice, canned or bottled, unsweetened", conc=(0.94, 1.02), fib=(0.03, 0.1), prot=(0.4, 0.7), fatr=(0.2, 0.5), vc=(0.45, 0.7)),
    "juice_conc": dict(sfx="juice, frozen concentrate, unsweetened, undiluted", wt=(56, 60), fib=(0.03, 0.08), prot=(0.5, 0.7), fatr=(0.2, 0.5), vc=(0.6, 0.8)),
    "juice_can": dict(sfx="juice, canned, without salt added", conc=(0.95, 1.05), fib=(0.15, 0.35), vc=(0.6, 0.8)),
    "puree": dict(sfx="canned, unsweetened", conc=(0.98, 1.08), fib=(0.85, 1.0), vc=(0.4, 0.65), puree=True),
    "stewed": dict(sfx="stewed, without added sugar", conc=(0.85, 0.95), vc=(0.3, 0.5)),
    "stewed_sugar": dict(sfx="cooked, with added sugar", conc=(0.92, 0.98), sugar=(14, 22), vc=(0.3, 0.5)),
    "boiled": dict(sfx="cooked, boiled, drained, without salt", conc=(0.93, 1.04), vc=(0.5, 0.7)),
    "steamed": dict(sfx="cooked, steamed", conc=(0.98, 1.08), vc=(0.75, 0.9)),
    "sauteed": dict(sfx="cooked, sautéed in olive oil", conc=(1.1, 1.3), fat=(3, 6), vc=(0.6, 0.8)),
    "stirfried": dict(sfx="cooked, stir-fried", conc=(1.05, 1.2), fat=(2, 4), vc=(0.6, 0.8)),
    "roasted": dict(sfx="roasted, without added fat", conc=(1.2, 1.5), vc=(0.5, 0.7)),
    "grilled": dict(sfx="cooked, grilled", conc=(1.15, 1.35), vc=(0.55, 0.75)),
    "baked": dict(sfx="cooked, baked in skin, flesh and skin, without salt", conc=(1.15, 1.3), vc=(0.5, 0.7)),
    "mashed": dict(sfx="mashed, home-prepared, whole milk and butter added", conc=(0.9, 0.97), fat=(3, 5), vc=(0.4, 0.6)),
    "fried": dict(sfx="fried", wt=(38, 46), fat=(6, 10), vc=(0.4, 0.6)),
    "pickled": dict(sfx="pickled, in brine", conc=(0.88, 0.98), vc=(0.1, 0.3)),
    "pickled_sw": dict(sfx="pickled, sweet", conc=(0.9, 0.97), sugar=(7, 12), vc=(0.1, 0.3)),
    "sundried": dict(sfx="sun-dried", wt=(12, 16), vc=(0.2, 0.4)),
    "seeds_boiled": dict(sfx="mature seeds, cooked, boiled, without salt", wt=(63, 70), vc=(0.0, 0.3)),
    "seeds_canned": dict(sfx="mature seeds, canned, drained, rinsed", wt=(70, 75), vc=(0.0, 0.2)),
    "sprouted": dict(sfx="sprouted, raw", wt=(66, 70), vc=(0.0, 0.2), vc_add=(8, 16)),
    "flour": dict(sfx="flour", wt=(9, 11), vc=(0.0, 0.2)),
    "herb_dried": dict(sfx="dried", wt=(7, 10), vc=(0.02, 0.1)),
    "herb_frozen": dict(sfx="frozen, chopped", conc=(0.97, 1.02), vc=(0.6, 0.8)),
    "herb_fd": dict(sfx="freeze-dried", wt=(2, 3), vc=(0.5, 0.7)),
    "dehydrated": dict(sfx="dehydrated flakes", wt=(4, 6), vc=(0.1, 0.3)),
}

# (USDA-style name, short name for "Purée of ...", category, water %,
#  (kcal, protein, carbs, fat, fiber, sugar, vitamin C) per 100 g raw,
#  preparations: "key[@density multiplier][|custom suffix]" separated by ';')
FOODS: list[tuple] = [
    # ---------------- fruits ----------------
    ("Apples", "apple", "Fruit", 86, (52, 0.3, 13.8, 0.2, 2.4, 10.4, 4.6),
     "raw|raw, with skin; raw|raw, without skin; dried_sulf; juice_b; puree|canned, unsweetened (applesauce); can_heavy|canned, sweetened, sliced"),
    ("Apricots", "apricot", "Fruit", 86, (48, 1.4, 11.1, 0.4, 2.0, 9.2, 10.0),
     "raw; dried_sulf; can_juice; can_heavy; frozen_sw"),
    ("Avocados", "avocado", "Fruit", 73, (160, 2.0, 8.5, 14.7, 6.7, 0.7, 10.0),
     "raw|raw, all commercial varieties; puree|frozen, unsweetened"),
    ("Bananas", "banana", "Fruit", 75, (89, 1.1, 22.8, 0.3, 2.6, 12.2, 8.7),
     "raw; freeze|dehydrated, or banana powder; puree|frozen, unsweetened"),
    ("Blackberries", "blackberry", "Fruit", 88, (43, 1.4, 9.6, 0.5, 5.3, 4.9, 21.0),
     "raw; frozen; can_heavy"),
    ("Blueberries", "blueberry", "Fruit", 84, (57, 0.7, 14.5, 0.3, 2.4, 10.0, 9.7),
     "raw; frozen; frozen_sw; dried_sw; can_heavy"),
    ("Cherries, sweet", "sweet cherry", "Fruit", 82, (63, 1.1, 16.0, 0.2, 2.1, 12.8, 7.0),
     "raw; can_juice|canned, pitted, juice pack; frozen_sw; dried_sw"),
    ("Cherries, sour, red", "sour cherry", "Fruit", 86, (50, 1.0, 12.2, 0.3, 1.6, 8.5, 10.0),
     "raw; frozen; can_water; juice_b; dried_sw"),
    ("Cranberries", "cranberry", "Fruit", 87, (46, 0.5, 12.2, 0.1, 3.6, 4.0, 14.0),
     "raw; dried_sw; juice_b|juice, unsweetened; stewed_sugar|sauce, canned, sweetened"),
    ("Figs", "fig", "Fruit", 79, (74, 0.8, 19.2, 0.3, 2.9, 16.3, 2.0),
     "raw; dried; stewed|dried, stewed"),
    ("Grapefruit", "grapefruit", "Fruit", 88, (42, 0.8, 10.7, 0.1, 1.6, 6.9, 31.2),
     "raw|raw, pink and red, all areas; can_light|sections, canned, light syrup pack; juice|juice, pink, raw; juice_b|juice, white, canned, unsweetened"),
    ("Grapes", "grape", "Fruit", 81, (69, 0.7, 18.1, 0.2, 0.9, 15.5, 3.2),
     "raw|red or green (European type), raw; dried@0.9|dried, seedless (raisins); juice_b; juice_conc|juice, purple, frozen concentrate, unsweetened, undiluted"),
    ("Guavas, common", "guava", "Fruit", 81, (68, 2.6, 14.3, 1.0, 5.4, 8.9, 228.3),
     "raw; puree|frozen, unsweetened; can_heavy"),
    ("Kiwifruit, green", "kiwifruit", "Fruit", 83, (61, 1.1, 14.7, 0.5, 3.0, 9.0, 92.7),
     "raw; freeze|freeze-dried slices; dried_sw"),
    ("Lemons", "lemon", "Fruit", 89, (29, 1.1, 9.3, 0.3, 2.8, 2.5, 53.0),
     "raw|raw, without peel; juice; juice_b|juice, bottled, unsweetened"),
    ("Limes", "lime", "Fruit", 88, (30, 0.7, 10.5, 0.2, 2.8, 1.7, 29.1),
     "raw; juice; juice_b|juice, bottled, unsweetened"),
    ("Mangos", "mango", "Fruit", 84, (60, 0.8, 15.0, 0.4, 1.6, 13.7, 36.4),
     "raw; frozen|frozen chunks, unsweetened; dried_sw; puree|frozen, unsweetened"),
    ("Melons, cantaloupe", "cantaloupe", "Fruit", 90, (34, 0.8, 8.2, 0.2, 0.9, 7.9, 36.7),
     "raw; frozen|frozen balls, unsweetened"),
    ("Melons, honeydew", "honeydew", "Fruit", 90, (36, 0.5, 9.1, 0.1, 0.8, 8.1, 18.0),
     "raw; frozen|frozen balls, unsweetened"),
    ("Watermelon", "watermelon", "Fruit", 91, (30, 0.6, 7.6, 0.2, 0.4, 6.2, 8.1),
     "raw; juice"),
    ("Nectarines", "nectarine", "Fruit", 88, (44, 1.1, 10.6, 0.3, 1.7, 7.9, 5.4),
     "raw; dried"),
    ("Oranges", "orange", "Fruit", 87, (47, 0.9, 11.8, 0.1, 2.4, 9.4, 53.2),
     "raw|raw, all commercial varieties; raw|raw, navels; juice; juice_b|juice, chilled, includes from concentrate; juice_conc"),
    ("Tangerines (mandarin oranges)", "mandarin orange", "Fruit", 85, (53, 0.8, 13.3, 0.3, 1.8, 10.6, 26.7),
     "raw; can_juice; can_light; juice"),
    ("Clementines", "clementine", "Fruit", 87, (47, 0.9, 12.0, 0.2, 1.7, 9.2, 48.8), "raw"),
    ("Papayas", "papaya", "Fruit", 88, (43, 0.5, 10.8, 0.3, 1.7, 7.8, 60.9),
     "raw; dried_sw; puree|frozen, unsweetened"),
    ("Passion-fruit, purple", "passion fruit", "Fruit", 73, (97, 2.2, 23.4, 0.7, 10.4, 11.2, 30.0),
     "raw; juice|juice, purple, raw"),
    ("Peaches, yellow", "peach", "Fruit", 89, (39, 0.9, 9.5, 0.3, 1.5, 8.4, 6.6),
     "raw; can_juice; can_heavy; frozen_sw|frozen, sliced, sweetened; dried_sulf"),
    ("Pears", "pear", "Fruit", 84, (57, 0.4, 15.2, 0.1, 3.1, 9.8, 4.3),
     "raw|raw, bartlett; can_juice; can_heavy; dried_sulf; puree"),
    ("Pineapple", "pineapple", "Fruit", 86, (50, 0.5, 13.1, 0.1, 1.4, 9.9, 47.8),
     "raw|raw, all varieties; can_juice; can_heavy; frozen_sw|frozen chunks, sweetened; juice_b; dried_sw"),
    ("Plums", "plum", "Fruit", 87, (46, 0.7, 11.4, 0.3, 1.4, 9.9, 9.5),
     "raw; dried|dried (prunes), uncooked; stewed|dried (prunes), stewed; can_heavy|canned, purple, heavy syrup pack"),
    ("Pomegranates", "pomegranate", "Fruit", 78, (83, 1.7, 18.7, 1.2, 4.0, 13.7, 10.2),
     "raw; juice_b|juice, bottled"),
    ("Raspberries", "raspberry", "Fruit", 86, (52, 1.2, 11.9, 0.7, 6.5, 4.4, 26.2),
     "raw; frozen; frozen_sw|frozen, red, sweetened; can_heavy|canned, red, heavy syrup pack; puree|seedless, frozen"),
    ("Strawberries", "strawberry", "Fruit", 91, (32, 0.7, 7.7, 0.3, 2.0, 4.9, 58.8),
     "raw; frozen; frozen_sw|frozen, sweetened, sliced; freeze; puree|frozen, unsweetened; can_heavy"),
    ("Rhubarb", "rhubarb", "Fruit", 94, (21, 0.9, 4.5, 0.2, 1.8, 1.1, 8.0),
     "raw; frozen|frozen, uncooked; stewed_sugar|frozen, cooked, with sugar"),
    ("Açaí berries", "açaí", "Fruit", 86, (70, 1.0, 6.0, 5.0, 3.0, 1.0, 1.0),
     "raw|frozen pulp, unsweetened; frozen_sw|frozen pulp, sweetened; freeze|freeze-dried powder"),
    ("Guanábana (soursop)", "guanábana", "Fruit", 81, (66, 1.0, 16.8, 0.3, 3.3, 13.5, 20.6),
     "raw; puree|frozen, unsweetened"),
    ("Lychees", "lychee", "Fruit", 82, (66, 0.8, 16.5, 0.4, 1.3, 15.2, 71.5),
     "raw; dried; can_heavy"),
    ("Persimmons, japanese", "persimmon", "Fruit", 80, (70, 0.6, 18.6, 0.2, 3.6, 12.5, 7.5),
     "raw; dried"),
    ("Quinces", "quince", "Fruit", 84, (57, 0.4, 15.3, 0.1, 1.9, 12.0, 15.0),
     "raw; stewed_sugar|cooked, with sugar"),
    ("Coconut meat", "coconut", "Fruit", 47, (354, 3.3, 15.2, 33.5, 9.0, 6.2, 3.3),
     "raw; dried@0.95|dried (desiccated), not sweetened; dried_sw|dried, sweetened, shredded"),
    ("Plantains, yellow", "plantain", "Fruit", 65, (122, 1.3, 31.9, 0.4, 2.3, 15.0, 18.4),
     "raw; fried|fried (plátanos maduros); boiled|cooked, boiled; baked|baked"),
    ("Dates, medjool", "date", "Fruit", 21, (277, 1.8, 75.0, 0.2, 6.7, 66.0, 0.0), "raw"),
    ("Elderberries", "elderberry", "Fruit", 80, (73, 0.7, 18.4, 0.5, 7.0, 6.0, 36.0),
     "raw; stewed_sugar|cooked, with sugar"),
    ("Gooseberries", "gooseberry", "Fruit", 88, (44, 0.9, 10.2, 0.6, 4.3, 5.0, 27.7),
     "raw; can_light"),
    ("Kumquats", "kumquat", "Fruit", 81, (71, 1.9, 15.9, 0.9, 6.5, 9.4, 43.9), "raw"),
    ("Carambola (starfruit)", "starfruit", "Fruit", 91, (31, 1.0, 6.7, 0.3, 2.8, 4.0, 34.4), "raw"),
    ("Currants, european black", "blackcurrant", "Fruit", 82, (63, 1.4, 15.4, 0.4, 4.8, 8.0, 181.0),
     "raw; frozen"),
    ("Pitaya (dragon fruit)", "dragon fruit", "Fruit", 84, (57, 0.4, 13.0, 0.1, 3.1, 7.7, 2.5),
     "raw; frozen|frozen pulp, unsweetened"),
    ("Jackfruit", "jackfruit", "Fruit", 74, (95, 1.7, 23.3, 0.6, 1.5, 19.1, 13.7),
     "raw; can_heavy"),
    ("Tamarinds", "tamarind", "Fruit", 31, (239, 2.8, 62.5, 0.6, 5.1, 57.4, 3.5),
     "raw; puree|paste, unsweetened"),
    # ---------------- vegetables ----------------
    ("Artichokes, (globe or french)", "artichoke", "Vegetable", 85, (47, 3.3, 10.5, 0.2, 5.4, 1.0, 11.7),
     "raw; boiled; frozen_veg; can_veg|hearts, canned, drained solids"),
    ("Asparagus", "asparagus", "Vegetable", 93, (20, 2.2, 3.9, 0.1, 2.1, 1.9, 5.6),
     "raw; boiled; roasted; frozen_veg; can_veg"),
    ("Beets", "beet", "Vegetable", 88, (43, 1.6, 9.6, 0.2, 2.8, 6.8, 4.9),
     "raw; boiled; roasted; pickled_sw|canned, pickled; juice_can|juice, bottled"),
    ("Peppers, sweet, red", "red pepper", "Vegetable", 92, (31, 1.0, 6.0, 0.3, 2.1, 4.2, 127.7),
     "raw; sauteed; roasted|roasted, jarred, drained; grilled; frozen_veg|frozen, chopped, unprepared"),
    ("Peppers, sweet, green", "green pepper", "Vegetable", 94, (20, 0.9, 4.6, 0.2, 1.7, 2.4, 80.4),
     "raw; boiled; sauteed; frozen_veg|frozen, chopped, unprepared"),
    ("Peppers, sweet, yellow", "yellow pepper", "Vegetable", 92, (27, 1.0, 6.3, 0.2, 0.9, 4.0, 183.5), "raw; grilled"),
    ("Broccoli", "broccoli", "Vegetable", 89, (34, 2.8, 6.6, 0.4, 2.6, 1.7, 89.2),
     "raw; boiled; steamed; frozen_veg|frozen, chopped, unprepared; frozen_boiled; stirfried; roasted"),
    ("Brussels sprouts", "brussels sprout", "Vegetable", 86, (43, 3.4, 9.0, 0.3, 3.8, 2.2, 85.0),
     "raw; boiled; roasted; frozen_veg; sauteed"),
    ("Cabbage, green", "cabbage", "Vegetable", 92, (25, 1.3, 5.8, 0.1, 2.5, 3.2, 36.6),
     "raw; boiled; pickled@0.85|pickled (sauerkraut), canned, solids and liquids; stirfried"),
    ("Cabbage, red", "red cabbage", "Vegetable", 90, (31, 1.4, 7.4, 0.2, 2.1, 3.8, 57.0),
     "raw; boiled; pickled_sw|pickled, sweet-sour"),
    ("Carrots", "carrot", "Vegetable", 88, (41, 0.9, 9.6, 0.2, 2.8, 4.7, 5.9),
     "raw; boiled; steamed; roasted; can_veg; frozen_veg; juice_can; puree|cooked, unsweetened"),
    ("Cauliflower", "cauliflower", "Vegetable", 92, (25, 1.9, 5.0, 0.3, 2.0, 1.9, 48.2),
     "raw; boiled; roasted; frozen_veg|frozen, riced, unprepared"),
    ("Celery", "celery", "Vegetable", 95, (14, 0.7, 3.0, 0.2, 1.6, 1.3, 3.1),
     "raw; boiled; juice"),
    ("Chard, swiss", "swiss chard", "Vegetable", 93, (19, 1.8, 3.7, 0.2, 1.6, 1.1, 30.0),
     "raw; boiled; sauteed"),
    ("Collards", "collard", "Vegetable", 90, (32, 3.0, 5.4, 0.6, 4.0, 0.5, 35.3),
     "raw; boiled; frozen_boiled"),
    ("Corn, sweet, yellow", "sweet corn", "Vegetable", 76, (86, 3.3, 18.7, 1.4, 2.0, 6.3, 6.8),
     "raw; boiled; can_veg|canned, whole kernel, drained solids; frozen_veg|frozen, kernels, unprepared; grilled|cooked, grilled, on the cob"),
    ("Cucumber", "cucumber", "Vegetable", 95, (15, 0.7, 3.6, 0.1, 0.5, 1.7, 2.8),
     "raw|with peel, raw; pickled|pickled, dill, in brine; pickled_sw|pickled, sweet (bread and butter)"),
    ("Eggplant", "eggplant", "Vegetable", 92, (25, 1.0, 5.9, 0.2, 3.0, 3.5, 2.2),
     "raw; boiled; grilled; roasted; sauteed"),
    ("Fennel, bulb", "fennel", "Vegetable", 90, (31, 1.2, 7.3, 0.2, 3.1, 3.9, 12.0),
     "raw; roasted; boiled|cooked, braised"),
    ("Garlic", "garlic", "Vegetable", 59, (149, 6.4, 33.1, 0.5, 2.1, 1.0, 31.2),
     "raw; roasted; dehydrated|dried, granulated"),
    ("Ginger root", "ginger", "Vegetable", 79, (80, 1.8, 17.8, 0.8, 2.0, 1.7, 5.0),
     "raw; herb_dried|ground, dried; pickled_sw|pickled (gari)"),
    ("Jalapeño peppers", "jalapeño", "Vegetable", 92, (29, 0.9, 6.5, 0.4, 2.8, 4.1, 118.6),
     "raw; pickled|canned, solids and liquids (pickled); grilled; herb_dried|dried, smoked (chipotle)"),
    ("Jícama (yambean), tuber", "jícama", "Vegetable", 90, (38, 0.7, 8.8, 0.1, 4.9, 1.8, 20.2),
     "raw; boiled"),
    ("Kale", "kale", "Vegetable", 84, (49, 4.3, 8.8, 0.9, 3.6, 2.3, 120.0),
     "raw; boiled; steamed; frozen_veg; sauteed"),
    ("Leeks (bulb and lower leaf-portion)", "leek", "Vegetable", 83, (61, 1.5, 14.2, 0.3, 1.8, 3.9, 12.0),
     "raw; boiled; sauteed"),
    ("Lettuce, cos or romaine", "romaine", "Vegetable", 95, (17, 1.2, 3.3, 0.3, 2.1, 1.2, 4.0),
     "raw; grilled|hearts, grilled"),
    ("Lettuce, iceberg", "iceberg lettuce", "Vegetable", 96, (14, 0.9, 3.0, 0.1, 1.2, 2.0, 2.8), "raw"),
    ("Mâche (lamb's lettuce, corn salad)", "mâche", "Vegetable", 93, (21, 2.0, 3.6, 0.4, 1.5, 0.5, 38.2), "raw"),
    ("Mushrooms, white", "mushroom", "Vegetable", 92, (22, 3.1, 3.3, 0.3, 1.0, 2.0, 2.1),
     "raw; sauteed; stirfried; boiled; can_veg"),
    ("Mushrooms, shiitake", "shiitake", "Vegetable", 90, (34, 2.2, 6.8, 0.5, 2.5, 2.4, 0.0),
     "raw; dried@0.95|dried; stirfried"),
    ("Okra", "okra", "Vegetable", 90, (33, 1.9, 7.5, 0.2, 3.2, 1.5, 23.0),
     "raw; boiled; frozen_veg; roasted"),
    ("Onions", "onion", "Vegetable", 89, (40, 1.1, 9.3, 0.1, 1.7, 4.2, 7.4),
     "raw; boiled; sauteed; dehydrated; frozen_veg|frozen, chopped, unprepared; grilled"),
    ("Onions, spring or scallions", "scallion", "Vegetable", 90, (32, 1.8, 7.3, 0.2, 2.6, 2.3, 18.8),
     "raw; grilled"),
    ("Shallots", "shallot", "Vegetable", 80, (72, 2.5, 16.8, 0.1, 3.2, 7.9, 8.0), "raw; roasted"),
    ("Parsnips", "parsnip", "Vegetable", 80, (75, 1.2, 18.0, 0.3, 4.9, 4.8, 17.0),
     "raw; boiled; roasted"),
    ("Potatoes, white", "potato", "Vegetable", 79, (77, 2.0, 17.5, 0.1, 2.2, 0.8, 19.7),
     "raw|flesh and skin, raw; boiled|boiled, cooked in skin, flesh, without salt; baked; mashed; roasted; fried@0.9|frozen, french fried, oven-heated"),
    ("Sweet potatoes", "sweet potato", "Vegetable", 77, (86, 1.6, 20.1, 0.1, 3.0, 4.2, 2.4),
     "raw; baked|cooked, baked in skin, flesh, without salt; boiled|cooked, boiled, without skin; can_light|canned, syrup pack, drained solids; puree|canned"),
    ("Pumpkin", "pumpkin", "Vegetable", 92, (26, 1.0, 6.5, 0.1, 0.5, 2.8, 9.0),
     "raw; boiled; puree@1.25|canned; roasted"),
    ("Radishes", "radish", "Vegetable", 95, (16, 0.7, 3.4, 0.1, 1.6, 1.9, 14.8),
     "raw; roasted"),
    ("Spinach", "spinach", "Vegetable", 91, (23, 2.9, 3.6, 0.4, 2.2, 0.4, 28.1),
     "raw; boiled; steamed; frozen_veg|frozen, chopped or leaf, unprepared; frozen_boiled; sauteed; can_veg"),
    ("Squash, winter, butternut", "butternut squash", "Vegetable", 86, (45, 1.0, 11.7, 0.1, 2.0, 2.2, 21.0),
     "raw; baked|cooked, baked, without salt; frozen_boiled; puree|frozen, unsweetened; roasted"),
    ("Squash, summer, zucchini, includes skin", "zucchini", "Vegetable", 95, (17, 1.2, 3.1, 0.3, 1.0, 2.5, 17.9),
     "raw; boiled; grilled; sauteed; frozen_veg"),
    ("Tomatoes, red, ripe", "tomato", "Vegetable", 95, (18, 0.9, 3.9, 0.2, 1.2, 2.6, 13.7),
     "raw; boiled|cooked; roasted; can_nosalt|canned, whole, no salt added; sundried; juice_can; puree@1.9|canned, without salt added"),
    ("Tomatillos", "tomatillo", "Vegetable", 92, (32, 1.0, 5.8, 1.0, 1.9, 3.9, 11.7),
     "raw; roasted"),
    ("Turnips", "turnip", "Vegetable", 92, (28, 0.9, 6.4, 0.1, 1.8, 3.8, 21.0),
     "raw; boiled"),
    ("Watercress", "watercress", "Vegetable", 95, (11, 2.3, 1.3, 0.1, 0.5, 0.2, 43.0), "raw"),
    ("Arugula", "arugula", "Vegetable", 92, (25, 2.6, 3.7, 0.7, 1.6, 2.1, 15.0), "raw"),
    ("Ají amarillo peppers (hot chili, yellow)", "ají amarillo", "Vegetable", 88, (40, 1.9, 8.8, 0.4, 1.5, 5.3, 143.7),
     "raw; puree|paste, jarred; herb_dried|dried (ají mirasol)"),
    ("Chayote, fruit", "chayote", "Vegetable", 94, (19, 0.8, 4.5, 0.1, 1.7, 1.7, 7.7),
     "raw; boiled"),
    ("Bok choy (pak-choi)", "bok choy", "Vegetable", 95, (13, 1.5, 2.2, 0.2, 1.0, 1.2, 45.0),
     "raw; boiled; stirfried"),
    ("Chicory, witloof (Belgian endive)", "endive", "Vegetable", 95, (17, 0.9, 4.0, 0.1, 3.1, 0.3, 2.8),
     "raw; boiled|cooked, braised"),
    ("Endive, curly", "curly endive", "Vegetable", 94, (17, 1.3, 3.4, 0.2, 3.1, 0.3, 6.5), "raw"),
    ("Nopales (cactus pads)", "nopal", "Vegetable", 94, (16, 1.3, 3.3, 0.1, 2.2, 1.2, 9.3),
     "raw; boiled|cooked, without salt; grilled; pickled|pickled, jarred (nopalitos)"),
    ("Kohlrabi", "kohlrabi", "Vegetable", 91, (27, 1.7, 6.2, 0.1, 3.6, 2.6, 62.0), "raw; boiled"),
    ("Rutabagas", "rutabaga", "Vegetable", 89, (37, 1.1, 8.6, 0.2, 2.3, 4.5, 25.0), "raw; boiled"),
    ("Celeriac", "celeriac", "Vegetable", 88, (42, 1.5, 9.2, 0.3, 1.8, 1.6, 8.0), "raw; boiled; roasted"),
    ("Radicchio", "radicchio", "Vegetable", 93, (23, 1.4, 4.5, 0.3, 0.9, 0.6, 8.0), "raw; grilled"),
    ("Taro", "taro", "Vegetable", 71, (112, 1.5, 26.5, 0.2, 4.1, 0.4, 4.5), "raw; boiled|cooked, without salt"),
    ("Cassava", "cassava", "Vegetable", 60, (160, 1.4, 38.1, 0.3, 1.8, 1.7, 20.6), "raw; boiled; fried@0.9|fried"),
    # ---------------- legumes ----------------
    ("Beans, black", "black bean", "Legume", 11, (341, 21.6, 62.4, 1.4, 15.5, 2.1, 0.0),
     "seeds_raw; seeds_boiled; seeds_canned"),
    ("Beans, kidney, red", "kidney bean", "Legume", 12, (333, 23.6, 60.0, 0.8, 24.9, 2.2, 4.5),
     "seeds_raw; seeds_boiled; seeds_canned"),
    ("Beans, pinto", "pinto bean", "Legume", 11, (347, 21.4, 62.6, 1.2, 15.5, 2.1, 6.3),
     "seeds_raw; seeds_boiled; seeds_canned"),
    ("Beans, navy", "navy bean", "Legume", 12, (337, 22.3, 60.8, 1.5, 15.3, 3.9, 0.0),
     "seeds_raw; seeds_boiled; seeds_canned"),
    ("Chickpeas (garbanzo beans, bengal gram)", "chickpea", "Legume", 8, (378, 20.5, 62.9, 6.0, 12.2, 10.7, 4.0),
     "seeds_raw; seeds_boiled; seeds_canned; flour|flour (besan)"),
    ("Lentils", "lentil", "Legume", 8, (352, 24.6, 63.4, 1.1, 10.7, 2.0, 4.5),
     "seeds_raw|raw; seeds_boiled|mature seeds, cooked, boiled, without salt; sprouted"),
    ("Lentils, pink or red", "red lentil", "Legume", 8, (358, 23.9, 63.1, 2.2, 10.8, 1.6, 1.7),
     "seeds_raw|raw; seeds_boiled|cooked, boiled, without salt"),
    ("Mung beans", "mung bean", "Legume", 9, (347, 23.9, 62.6, 1.2, 16.3, 6.6, 4.8),
     "seeds_raw; seeds_boiled; sprouted|mature seeds, sprouted, raw"),
    ("Peas, green", "green pea", "Legume", 79, (81, 5.4, 14.5, 0.4, 5.7, 5.7, 40.0),
     "raw; boiled; frozen_veg; frozen_boiled; can_veg"),
    ("Peas, split", "split pea", "Legume", 11, (364, 23.1, 61.6, 1.2, 22.2, 8.0, 1.8),
     "seeds_raw; seeds_boiled"),
    ("Edamame", "edamame", "Legume", 73, (121, 11.9, 8.9, 5.2, 5.2, 2.2, 6.1),
     "raw|frozen, unprepared; boiled|frozen, prepared"),
    ("Beans, snap, green", "green bean", "Legume", 90, (31, 1.8, 7.0, 0.2, 2.7, 3.3, 12.2),
     "raw; boiled; frozen_veg; can_veg; stirfried"),
    ("Lima beans", "lima bean", "Legume", 70, (113, 6.8, 20.2, 0.9, 4.9, 1.5, 23.4),
     "imm_raw; boiled|immature seeds, cooked, boiled, without salt; frozen_boiled"),
    ("Broadbeans (fava beans)", "fava bean", "Legume", 11, (341, 26.1, 58.3, 1.5, 25.0, 5.7, 1.4),
     "seeds_raw; seeds_boiled"),
    ("Cowpeas (black-eyed peas)", "black-eyed pea", "Legume", 12, (336, 23.5, 60.0, 1.3, 10.6, 6.9, 1.5),
     "seeds_raw; seeds_boiled; seeds_canned"),
    ("Adzuki beans", "adzuki bean", "Legume", 13, (329, 19.9, 62.9, 0.5, 12.7, 0.5, 0.0),
     "seeds_raw; seeds_boiled"),
    ("Soybeans", "soybean", "Legume", 9, (446, 36.5, 30.2, 19.9, 9.3, 7.3, 6.0),
     "seeds_raw; seeds_boiled"),
    # ---------------- herbs ----------------
    ("Basil", "basil", "Herb", 92, (23, 3.2, 2.7, 0.6, 1.6, 0.3, 18.0),
     "fresh; herb_dried; herb_frozen"),
    ("Parsley", "parsley", "Herb", 88, (36, 3.0, 6.3, 0.8, 3.3, 0.9, 133.0),
     "fresh; herb_dried; herb_fd"),
    ("Coriander (cilantro) leaves", "cilantro", "Herb", 92, (23, 2.1, 3.7, 0.5, 2.8, 0.9, 27.0),
     "raw; herb_dried; herb_fd"),
    ("Peppermint", "peppermint", "Herb", 79, (70, 3.8, 14.9, 0.9, 8.0, 1.0, 31.8),
     "fresh; herb_dried"),
    ("Spearmint", "spearmint", "Herb", 86, (44, 3.3, 8.4, 0.7, 6.8, 0.5, 13.3),
     "fresh; herb_dried"),
    ("Dill weed", "dill", "Herb", 86, (43, 3.5, 7.0, 1.1, 2.1, 0.5, 85.0),
     "fresh; herb_dried"),
    ("Thyme", "thyme", "Herb", 65, (101, 5.6, 24.5, 1.7, 14.0, 1.0, 160.1),
     "fresh; herb_dried"),
    ("Rosemary", "rosemary", "Herb", 68, (131, 3.3, 20.7, 5.9, 14.1, 1.0, 21.8),
     "fresh; herb_dried"),
    ("Chives", "chive", "Herb", 91, (30, 3.3, 4.4, 0.7, 2.5, 1.9, 58.1),
     "raw; herb_fd"),
    ("Lemongrass (citronella)", "lemongrass", "Herb", 71, (99, 1.8, 25.3, 0.5, 2.0, 1.0, 2.6),
     "raw; herb_dried"),
    ("Dock (sorrel)", "sorrel", "Herb", 93, (22, 2.0, 3.2, 0.7, 2.9, 0.2, 48.0),
     "raw; boiled"),
]

_NUTRIENTS = ("kcal", "p", "c", "f", "fib", "sug", "vc")


def _apply_prep(base: tuple, water: float, key: str, mult: float, rng: random.Random) -> dict:
    spec = PREPS[key]
    v = dict(zip(_NUTRIENTS, (float(x) for x in base)))
    if key in ("raw", "fresh", "seeds_raw", "imm_raw"):
        return v
    u = rng.uniform
    if "wt" in spec:
        wt = u(*spec["wt"])
        k = (100.0 - wt) / (100.0 - water)
    else:
        k = u(*spec.get("conc", (1.0, 1.0)))
    k *= mult
    for n in _NUTRIENTS:
        v[n] *= k
    v["vc"] *= u(*spec.get("vc", (1.0, 1.0)))
    if "fib" in spec:  # fibre lost with pulp -> carbs and energy drop too
        lost = v["fib"] * (1 - u(*spec["fib"]))
        v["fib"] -= lost
        v["c"] -= lost
        v["kcal"] -= 2 * lost
    if "prot" in spec:
        lost = v["p"] * (1 - u(*spec["prot"]))
        v["p"] -= lost
        v["kcal"] -= 4 * lost
    if "fatr" in spec:
        lost = v["f"] * (1 - u(*spec["fatr"]))
        v["f"] -= lost
        v["kcal"] -= 9 * lost
    if "sugar" in spec:  # added sugar dilutes everything else
        s = u(*spec["sugar"])
        for n in _NUTRIENTS:
            v[n] *= 1 - s / 100
        v["sug"] += s
        v["c"] += s
        v["kcal"] += 3.87 * s
    if "fat" in spec:  # added oil/butter
        a = u(*spec["fat"])
        for n in _NUTRIENTS:
            v[n] *= 1 - a / 100
        v["f"] += a
        v["kcal"] += 8.84 * a
    if "vc_add" in spec:
        v["vc"] += u(*spec["vc_add"])
    for n in _NUTRIENTS:  # measurement noise
        v[n] *= u(0.97, 1.03)
    v["fib"] = min(v["fib"], v["c"])
    if v["sug"] + v["fib"] > v["c"]:
        v["sug"] = max(0.0, v["c"] - v["fib"])
    return v


def build_nutrition(rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    for name, short, cat, water, base, spec in FOODS:
        for j, entry in enumerate(s.strip() for s in spec.split(";")):
            key_part, _, custom = entry.partition("|")
            key, _, mult = key_part.partition("@")
            key = key.strip()
            prep = PREPS[key]
            sfx = custom.strip() or prep["sfx"]
            food = f"Purée of {short}, {sfx}" if prep.get("puree") else f"{name}, {sfx}"
            v = _apply_prep(base, water, key, float(mult) if mult else 1.0, rng)
            rows.append(
                {
                    "Food": food,
                    "Category": cat,
                    "Serving": "100 g",
                    "Calories": int(round(v["kcal"])),
                    "Protein_g": round(v["p"], 1),
                    "Carbs_g": round(v["c"], 1),
                    "Fat_g": round(v["f"], 1),
                    "Fiber_g": round(v["fib"], 1),
                    "Sugar_g": round(v["sug"], 1),
                    "VitaminC_mg": round(v["vc"], 1),
                    "_primary": j == 0,
                }
            )
    # keep every food's first (fresh/raw) form, sample the rest down to N
    primary = [r for r in rows if r["_primary"]]
    others = [r for r in rows if not r["_primary"]]
    n_other = max(0, min(len(others), N_NUTRITION - len(primary)))
    keep = set(rng.sample(range(len(others)), n_other))
    rows = primary + [r for i, r in enumerate(others) if i in keep]
    for r in rows:
        del r["_primary"]
    rows.sort(key=lambda r: r["Food"].lower())
    foods = [r["Food"] for r in rows]
    assert len(foods) == len(set(foods)), "duplicate Food values"
    for r in rows:
        assert r["Sugar_g"] <= r["Carbs_g"] and r["Fiber_g"] <= r["Carbs_g"], r
        assert r["Protein_g"] + r["Carbs_g"] + r["Fat_g"] <= 100, r
    return rows


def write_nutrition(rows: list[dict]) -> None:
    cols = ["Food", "Category", "Serving", "Calories", "Protein_g", "Carbs_g",
            "Fat_g", "Fiber_g", "Sugar_g", "VitaminC_mg"]
    with open(NUTRITION_PATH, "w", encoding="latin-1", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(cols)
        for r in rows:
            w.writerow([f"{r[c]:.1f}" if isinstance(r[c], float) else r[c] for c in cols])


# ==========================================================================
# 2. Recipes (UTF-8 JSON lines)
# ==========================================================================
# Title labels for ingredient names (default: title-cased ingredient).
LABEL = {
    "baby spinach": "Spinach", "cherry tomatoes": "Cherry Tomato", "strawberries": "Strawberry",
    "blueberries": "Blueberry", "raspberries": "Raspberry", "blackberries": "Blackberry",
    "cherries": "Cherry", "tomatoes": "Tomato", "potatoes": "Potato", "sweet potatoes": "Sweet Potato",
    "carrots": "Carrot", "beets": "Beet", "roasted beets": "Roasted Beet", "mushrooms": "Mushroom",
    "parsnips": "Parsnip", "radishes": "Radish", "red lentils": "Red Lentil", "brown lentils": "Lentil",
    "chickpeas": "Chickpea", "white beans": "White Bean", "black beans": "Black Bean",
    "green peas": "Pea", "peaches": "Peach", "plums": "Plum", "apricots": "Apricot", "pears": "Pear",
    "apples": "Apple", "figs": "Fig", "firm tofu": "Tofu", "chicken thighs": "Chicken",
    "chicken breast": "Chicken", "beef chuck": "Beef", "lamb shoulder": "Lamb", "pork shoulder": "Pork",
    "beef sirloin": "Beef", "pork tenderloin": "Pork", "feta cheese": "Feta", "goat cheese": "Goat Cheese",
    "blue cheese": "Blue Cheese", "gruyère cheese": "Gruyère", "cheddar cheese": "Cheddar",
    "toasted almonds": "Almond", "walnuts": "Walnut", "pecans": "Pecan", "pomegranate seeds": "Pomegranate",
    "grapes": "Grape", "leeks": "Leek", "brussels sprouts": "Brussels Sprout", "green beans": "Green Bean",
    "red bell pepper": "Red Pepper", "bell peppers": "Pepper", "salmon fillets": "Salmon",
    "whole chicken": "Chicken", "leg of lamb": "Lamb", "fresh mint": "Mint", "fresh basil": "Basil",
    "fresh dill": "Dill", "flat-leaf parsley": "Parsley", "fresh thyme": "Thyme", "fresh rosemary": "Rosemary",
    "fresh sage": "Sage", "kiwis": "Kiwi", "portobello mushrooms": "Portobello", "shiitake mushrooms": "Shiitake",
    "snap peas": "Snap Pea", "snow peas": "Snow Pea", "italian sausage": "Sausage", "grilled chicken": "Chicken",
    "mixed greens": "Green", "romaine lettuce": "Romaine", "butter lettuce": "Butter Lettuce",
    "little gem lettuce": "Little Gem", "red onion": "Red Onion", "sunflower seeds": "Sunflower Seed",
    "lamb": "Lamb", "cod": "Cod", "paneer": "Paneer", "turnips": "Turnip", "pearl onions": "Pearl Onion",
    "tomatillos": "Tomatillo", "acorn squash": "Acorn Squash", "ground beef": "Beef", "ground lamb": "Lamb",
    "ground turkey": "Turkey", "artichoke hearts": "Artichoke", "cauliflower florets": "Cauliflower",
    "broccoli florets": "Broccoli", "quinces": "Quince", "nectarines": "Nectarine", "bananas": "Banana",
    "mangoes": "Mango", "dried apricots": "Apricot", "bean sprouts": "Bean Sprout", "baby corn": "Baby Corn",
    "napa cabbage": "Cabbage", "bok choy": "Bok Choy", "limes": "Lime", "lemons": "Lemon",
}


def label(x: str) -> str:
    return LABEL.get(x) or tcase(x)


# How to prep an ingredient (imperative, lower case).
PREP = {
    "cucumber": "slice the cucumber", "cherry tomatoes": "halve the cherry tomatoes",
    "red onion": "thinly slice the red onion", "apple": "core and thinly slice the apple",
    "pear": "core and slice the pear", "strawberries": "hull and quarter the strawberries",
    "orange": "peel and segment the orange", "avocado": "dice the avocado",
    "radishes": "thinly slice the radishes", "fennel": "shave the fennel",
    "roasted beets": "cut the roasted beets into wedges", "grapes": "halve the grapes",
    "mango": "dice the mango", "carrot": "grate the carrot", "celery": "slice the celery on the diagonal",
    "blueberries": "rinse the blueberries", "peach": "slice the peach", "corn": "cut the corn kernels off the cob",
    "red bell pepper": "dice the red bell pepper", "pomegranate seeds": "pick over the pomegranate seeds",
    "watermelon": "cube the watermelon", "figs": "quarter the figs", "snap peas": "trim the snap peas",
    "grapefruit": "segment the grapefruit", "tomatoes": "chop the tomatoes", "pineapple": "dice the pineapple",
    "zucchini": "slice the zucchini", "eggplant": "cube the eggplant", "mushrooms": "slice the mushrooms",
    "asparagus": "snap the woody ends off the asparagus", "broccoli": "cut the broccoli into florets",
    "cauliflower": "cut the cauliflower into florets", "green beans": "trim the green beans",
    "kale": "strip and shred the kale", "spinach": "wash the spinach", "potatoes": "cube the potatoes",
    "sweet potatoes": "peel and cube the sweet potatoes", "carrots": "slice the carrots",
    "parsnips": "cut the parsnips into batons", "butternut squash": "peel and cube the butternut squash",
    "brussels sprouts": "halve the brussels sprouts", "beets": "peel and cut the beets into wedges",
    "leeks": "slice and rinse the leeks", "bok choy": "quarter the bok choy", "snow peas": "trim the snow peas",
    "napa cabbage": "shred the napa cabbage", "shiitake mushrooms": "slice the shiitake mushrooms",
    "bean sprouts": "rinse the bean sprouts", "baby corn": "halve the baby corn",
    "green peas": "thaw the green peas", "artichoke hearts": "quarter the artichoke hearts",
    "okra": "trim the okra", "apples": "core and quarter the apples", "pears": "quarter the pears",
    "shallots": "peel and halve the shallots", "pumpkin": "peel and cube the pumpkin", "red onion wedges": "cut the red onion",
    "fennel bulb": "slice the fennel bulb", "turnips": "peel and dice the turnips", "celeriac": "peel and cube the celeriac",
}


def prep(x: str) -> str:
    return PREP.get(x, f"chop the {x}")


def _finish_recipe(title, ings, steps, cuisine, minutes, servings, rng):
    ings = dedupe(ings)
    if not 4 <= len(ings) <= 12:
        return None
    text = " ".join(steps).lower()
    if any(i.lower() not in text for i in ings):
        missing = [i for i in ings if i.lower() not in text]
        raise AssertionError(f"{title}: directions do not use {missing}")
    if rng.random() < 0.45:
        directions = " ".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    else:
        directions = " ".join(steps)
    return {
        "title": title,
        "ingredients": ", ".join(ings),
        "directions": directions,
        "cuisine": cuisine,
        "minutes": int(minutes),
        "servings": int(servings),
    }


# ---------------------------------------------------------------- salads
SALAD_GREENS = ["baby spinach", "arugula", "romaine lettuce", "kale", "mixed greens", "watercress",
                "butter lettuce", "radicchio", "little gem lettuce"]
SALAD_ADDS = ["cucumber", "cherry tomatoes", "red onion", "apple", "pear", "strawberries", "orange",
              "avocado", "radishes", "fennel", "roasted beets", "grapes", "mango", "carrot", "celery",
              "blueberries", "peach", "corn", "red bell pepper", "pomegranate seeds", "watermelon", "figs",
              "snap peas", "grapefruit"]
SALAD_EXTRAS = {
    "feta cheese": ["Crumble the feta cheese."],
    "goat cheese": ["Crumble the goat cheese into small pieces.", "Break the goat cheese into rough chunks."],
    "parmesan": ["Shave the parmesan with a vegetable peeler."],
    "walnuts": ["Toast the walnuts in a dry skillet until fragrant, then chop.", "Toast the walnuts at 180°C for 6 minutes."],
    "pecans": ["Toast the pecans in a dry pan until they smell nutty."],
    "toasted almonds": ["Roughly chop the toasted almonds."],
    "chickpeas": ["Drain and rinse the chickpeas and pat them dry."],
    "sunflower seeds": ["Toast the sunflower seeds in a dry pan for 2 minutes."],
    "blue cheese": ["Crumble the blue cheese."],
    "quinoa": ["Cook the quinoa in salted water for 15 minutes, drain and cool.", "Simmer the quinoa until tender, then spread out to cool."],
    "grilled chicken": ["Slice the grilled chicken into strips."],
    "halloumi": ["Fry the halloumi slices in a hot pan until golden on both sides."],
    "mozzarella": ["Tear the mozzarella into bite-sized pieces."],
}
DRESSINGS = [
    dict(items=["olive oil", "lemon juice", "dijon mustard"], adj="Lemony", cuisine="Mediterranean"),
    dict(items=["olive oil", "balsamic vinegar", "honey"], adj="Balsamic", cuisine="Italian"),
    dict(items=["olive oil", "lime juice", "honey"], adj="Honey-Lime", cuisine="Californian"),
    dict(items=["olive oil", "apple cider vinegar", "maple syrup"], adj="Maple", cuisine="American"),
    dict(items=["plain yogurt", "lemon juice", "garlic"], adj="Creamy", cuisine="Middle Eastern"),
    dict(items=["sesame oil", "rice vinegar", "soy sauce"], adj="Sesame", cuisine="Japanese"),
    dict(items=["olive oil", "red wine vinegar", "dried oregano"], adj="Herby", cuisine="Greek"),
    dict(items=["olive oil", "sherry vinegar", "shallot"], adj="Summer", cuisine="Spanish"),
    dict(items=["olive oil", "orange juice", "white wine vinegar"], adj="Citrus", cuisine="French"),
]


def gen_salad(rng):
    green = rng.choice(SALAD_GREENS)
    adds = rng.sample(SALAD_ADDS, rng.choice([1, 2, 2, 3]))
    extra = rng.choice(list(SALAD_EXTRAS) + [None, None])
    herb = rng.choice([None, None, "fresh mint", "fresh basil", "fresh dill", "flat-leaf parsley", "chives"])
    dr = rng.choice(DRESSINGS)
    ings = [green, *adds] + ([extra] if extra else []) + ([herb] if herb else []) + dr["items"] + ["salt", "black pepper"]
    A = label(adds[0])
    B = label(adds[1]) if len(adds) > 1 else None
    E = label(extra) if extra else None
    G = label(green)
    titles = [f"{G} Salad with {A}" + (f" and {E}" if E else ""), f"{dr['adj']} {A} Salad" + (f" with {E}" if E else "")]
    if B:
        titles += [f"{A} and {B} Salad", f"{dr['adj']} {A} and {B} Salad", f"{A}, {B} and {G} Salad"]
    if B and E:
        titles.append(f"{A}, {B} and {E} Salad")
    title = rng.choice(titles)
    cuisine = "Greek" if extra == "feta cheese" and "cucumber" in adds else dr["cuisine"]
    d = nat_join(dr["items"])
    steps = [rng.choice([
        f"Whisk the {d} together in a small bowl and season with salt and black pepper.",
        f"Shake the {d} in a jar with a pinch of salt and black pepper until emulsified.",
        f"For the dressing, whisk {d} until smooth; season with salt and black pepper.",
    ])]
    steps.append(cap(nat_join([prep(x) for x in adds])) + ".")
    if extra:
        steps.append(rng.choice(SALAD_EXTRAS[extra]))
    if green == "kale":
        steps.append("Massage the kale with a little of the dressing until it softens.")
    a = nat_join(adds)
    steps.append(rng.choice([
        f"Toss the {green} with the {a} and most of the dressing.",
        f"Arrange the {green} on a platter and scatter the {a} over the top.",
        f"Combine the {green} with the {a} in a large bowl and toss gently with the dressing.",
    ]))
    tops = [x for x in (extra, herb) if x]
    if tops:
        t = nat_join(tops)
        steps.append(rng.choice([f"Top with the {t} and serve.", f"Scatter over the {t}, drizzle with the remaining dressing and serve.",
                                 f"Finish with the {t} and serve right away."]))
    else:
        steps.append(rng.choice(["Serve immediately, with extra dressing on the side.", "Serve straight away."]))
    return _finish_recipe(title, ings, steps, cuisine, rng.randrange(10, 35, 5), rng.choice([2, 2, 4, 4, 6]), rng)


# ---------------------------------------------------------------- soups
SOUP_MAINS = ["butternut squash", "carrots", "tomatoes", "sweet potatoes", "cauliflower", "broccoli", "pumpkin",
              "potatoes", "red lentils", "green peas", "mushrooms", "zucchini", "parsnips", "beets", "corn",
              "spinach", "celeriac", "white beans", "fennel", "leeks", "kale", "chickpeas"]
SOUP_ROASTABLE = {"butternut squash", "carrots", "tomatoes", "sweet potatoes", "cauliflower", "pumpkin",
                  "parsnips", "beets", "celeriac", "fennel"}
SOUP_STYLES = [
    dict(cuisine=["French", "American", "British"], fat=["butter", "olive oil"],
         arom=[["onion", "garlic"], ["leeks", "garlic"], ["onion", "celery"], ["shallot", "garlic"]],
         spices=[["fresh thyme"], ["bay leaf"], ["nutmeg"], ["fresh thyme", "bay leaf"]],
         liquid=["vegetable broth", "chicken broth"], finish=["heavy cream", "crème fraîche", "whole milk", None],
         garnish=["chives", "croutons", "flat-leaf parsley", "toasted pumpkin seeds"], adj=["Creamy", "Velvety", "Classic", "Simple"]),
    dict(cuisine=["Indian"], fat=["ghee", "vegetable oil"], arom=[["onion", "garlic", "ginger"]],
         spices=[["cumin", "turmeric"], ["garam masala", "cumin"], ["curry powder"], ["mustard seeds", "turmeric"]],
         liquid=["vegetable broth", "water"], finish=["coconut milk", "plain yogurt"], garnish=["cilantro"],
         adj=["Spiced", "Curried", "Golden"]),
    dict(cuisine=["Thai"], fat=["coconut oil", "vegetable oil"], arom=[["shallot", "garlic", "lemongrass"], ["onion", "ginger", "garlic"]],
         spices=[["red curry paste"], ["green curry paste"]], liquid=["vegetable broth", "chicken broth"],
         finish=["coconut milk"], garnish=["cilantro", "thai basil", "lime wedges"], adj=["Thai", "Coconut"]),
    dict(cuisine=["Moroccan"], fat=["olive oil"], arom=[["onion", "garlic"], ["onion", "celery", "garlic"]],
         spices=[["cumin", "cinnamon"], ["ras el hanout"], ["harissa", "cumin"]], liquid=["vegetable broth"],
         finish=[None, "lemon juice"], garnish=["fresh mint", "plain yogurt", "cilantro"], adj=["Moroccan", "Spiced", "Harissa"]),
    dict(cuisine=["Italian"], fat=["olive oil"], arom=[["onion", "garlic", "celery"], ["onion", "garlic"]],
         spices=[["fresh rosemary"], ["dried oregano"], ["fresh thyme"], ["chili flakes"]],
         liquid=["vegetable broth", "chicken broth"], finish=["parmesan", None], garnish=["fresh basil", "flat-leaf parsley", "pesto"],
         adj=["Tuscan", "Rustic", "Italian"]),
    dict(cuisine=["Mexican"], fat=["vegetable oil", "olive oil"], arom=[["onion", "garlic", "jalapeño"]],
         spices=[["cumin", "chili powder"], ["smoked paprika", "cumin"], ["chipotle powder"]],
         liquid=["vegetable broth", "chicken broth"], finish=["lime juice"], garnish=["cilantro", "avocado", "sour cream", "tortilla strips"],
         adj=["Mexican", "Smoky", "Spicy"]),
]


def gen_soup(rng):
    st = rng.choice(SOUP_STYLES)
    mains = [rng.choice(SOUP_MAINS)]
    if rng.random() < 0.4:
        mains.append(rng.choice([m for m in SOUP_MAINS if m != mains[0]]))
    arom = [a for a in rng.choice(st["arom"]) if a not in mains]
    fat, spices = rng.choice(st["fat"]), list(rng.choice(st["spices"]))
    liquid, finish, garnish = rng.choice(st["liquid"]), rng.choice(st["finish"]), rng.choice(st["garnish"])
    roast = mains[0] in SOUP_ROASTABLE and rng.random() < 0.3
    blend = rng.random() < 0.75
    ings = [fat, *arom, *spices, *mains, liquid] + ([finish] if finish else []) + [garnish, "salt", "black pepper"]
    M1 = label(mains[0])
    M2 = label(mains[1]) if len(mains) > 1 else None
    adj = rng.choice(st["adj"])
    titles = [f"{adj} {M1} Soup", f"{M1} Soup with {label(garnish)}"]
    if M2:
        titles += [f"{M1} and {M2} Soup", f"{adj} {M1} and {M2} Soup"]
    if roast:
        titles += [f"Roasted {M1} Soup" + (f" with {M2}" if M2 else "")] * 2
    if finish in ("heavy cream", "crème fraîche") and not M2:
        titles.append(f"Cream of {M1} Soup")
    if blend and not M2 and rng.random() < 0.3:
        titles.append(f"{M1} Bisque" if finish else f"{adj} {M1} Purée")
    title = rng.choice(titles)
    steps = []
    if roast:
        t = rng.choice([190, 200, 220])
        steps.append(rng.choice([
            f"Toss the {mains[0]} with a spoonful of the {fat} and roast at {t}°C for {rng.choice([25, 30, 35])} minutes until caramelized.",
            f"Roast the {mains[0]} in a {t}°C oven with a little {fat} until tender and browned at the edges.",
        ]))
    steps.append(rng.choice([
        f"Heat the {fat} in a large pot over medium heat",
        f"Warm the {fat} in a heavy saucepan",
        f"Set a large pot over medium heat with the {fat}",
    ]) + rng.choice([
        f" and cook the {nat_join(arom)} until soft, about {rng.choice([5, 6, 8])} minutes.",
        f", add the {nat_join(arom)} with a pinch of salt and sweat until translucent.",
    ]))
    steps.append(rng.choice([
        f"Stir in the {nat_join(spices)} and cook for a minute until fragrant.",
        f"Add the {nat_join(spices)} and stir for 30 seconds.",
    ]))
    main_txt = nat_join([("roasted " + m if roast and i == 0 else m) for i, m in enumerate(mains)])
    n = rng.choice([15, 20, 25, 30])
    steps.append(rng.choice([
        f"Add the {main_txt} and {liquid}, bring to a boil, then simmer for {n} minutes until tender.",
        f"Tip in the {main_txt}, pour over the {liquid} and simmer gently, partly covered, for {n} minutes.",
    ]))
    fin = f" and stir in the {finish}" if finish else ""
    if blend:
        steps.append(rng.choice([f"Blend until smooth with an immersion blender{fin}.",
                                 f"Purée in a blender until silky, return to the pot{fin}."]))
    else:
        steps.append(f"Mash some of the {mains[0]} against the side of the pot to thicken the soup{fin}.")
    steps.append(rng.choice([
        f"Season with salt and black pepper and serve topped with {garnish}.",
        f"Taste for salt and black pepper, then ladle into bowls and finish with {garnish}.",
    ]))
    mins = rng.randrange(30, 75, 5) + (30 if roast else 0)
    return _finish_recipe(title, ings, steps, rng.choice(st["cuisine"]), mins, rng.choice([4, 4, 6, 6, 8]), rng)


# ---------------------------------------------------------------- stews
STEW_PROTEINS = [
    dict(p="beef chuck", kind="meat", cuisine=["French", "American", "Irish"], wine=["red wine", "dark beer", None],
         liquid=["beef broth"], spices=[["tomato paste"], ["tomato paste", "paprika"]], herbs=[["bay leaves", "fresh thyme"], ["fresh rosemary"]]),
    dict(p="lamb shoulder", kind="meat", cuisine=["Moroccan"], wine=[None], liquid=["chicken broth", "canned tomatoes"],
         spices=[["cumin", "cinnamon"], ["ras el hanout"], ["cumin", "ground coriander", "cinnamon"]], herbs=[["cilantro"], ["fresh mint"]],
         extra=["dried apricots", "honey"]),
    dict(p="chicken thighs", kind="meat", cuisine=["Hungarian", "French", "Spanish"], wine=["white wine", None],
         liquid=["chicken broth", "canned tomatoes"], spices=[["sweet paprika"], ["smoked paprika"], ["tomato paste"]],
         herbs=[["fresh thyme"], ["flat-leaf parsley"], ["bay leaves"]]),
    dict(p="chickpeas", kind="legume", cuisine=["Moroccan", "Spanish", "Indian"], wine=[None],
         spice_cuisine={"cumin": "Spanish", "garam masala": "Indian", "harissa": "Moroccan"},
         liquid=["vegetable broth", "canned tomatoes"], spices=[["cumin", "smoked paprika"], ["garam masala"], ["harissa"]],
         herbs=[["cilantro"], ["flat-leaf parsley"]]),
    dict(p="white beans", kind="legume", cuisine=["Italian"], wine=[None, "white wine"], liquid=["vegetable broth", "canned tomatoes"],
         spices=[["chili flakes"], ["fennel seeds"]], herbs=[["fresh rosemary"], ["fresh sage"]], extra=["parmesan rind"]),
    dict(p="pork shoulder", kind="meat", cuisine=["Mexican"], wine=[None], liquid=["chicken broth"],
         spices=[["cumin", "dried oregano"], ["chipotle in adobo"]], herbs=[["cilantro"]], extra=["tomatillos", "lime juice"]),
    dict(p="black beans", kind="legume", cuisine=["Cuban", "Caribbean"], wine=[None], liquid=["vegetable broth"],
         spices=[["cumin", "dried oregano"], ["allspice", "cumin"]], herbs=[["cilantro"]], extra=["orange juice"]),
    dict(p="brown lentils", kind="legume", cuisine=["French", "Middle Eastern"], wine=[None, "red wine"], liquid=["vegetable broth"],
         spices=[["cumin"], ["tomato paste"], ["smoked paprika"]], herbs=[["flat-leaf parsley"], ["fresh thyme"]]),
    dict(p="beef short ribs", kind="meat", cuisine=["Korean"], wine=[None], liquid=["beef broth"],
         spices=[["gochujang"], ["soy sauce", "brown sugar"]], herbs=[["scallions"]], extra=["asian pear"]),
]
STEW_VEG = ["carrots", "potatoes", "parsnips", "celery", "sweet potatoes", "butternut squash", "eggplant", "zucchini",
            "red bell pepper", "kale", "mushrooms", "green beans", "turnips", "tomatoes", "spinach", "pearl onions"]
_CUISINE_ADJ = {"Italian": "Tuscan", "American": "Country", "Caribbean": "Caribbean"}


def gen_stew(rng):
    pr = rng.choice(STEW_PROTEINS)
    p = pr["p"]
    veg = rng.sample(STEW_VEG, rng.choice([1, 2, 2, 3]))
    greens = [v for v in veg if v in ("kale", "spinach")]
    veg_main = [v for v in veg if v not in greens]
    arom = rng.choice([["onion", "garlic"], ["onion", "carrots", "celery"], ["shallot", "garlic"], ["leeks", "garlic"]])
    arom = [a for a in arom if a not in veg]
    fat = rng.choice(["olive oil", "vegetable oil", "butter"])
    wine, liquid = rng.choice(pr["wine"]), rng.choice(pr["liquid"])
    spices, herbs = rng.choice(pr["spices"]), rng.choice(pr["herbs"])
    extra = [x for x in pr.get("extra", []) if rng.random() < 0.6]
    ings = [p, fat, *arom, *spices] + ([wine] if wine else []) + [*veg, liquid, *extra, *herbs, "salt", "black pepper"]
    cuisine = pr.get("spice_cuisine", {}).get(spices[0]) or rng.choice(pr["cuisine"])
    P, V = label(p), label(veg[0])
    V2 = label(veg[1]) if len(veg) > 1 else None
    titles = [f"{P} and {V} Stew", f"{_CUISINE_ADJ.get(cuisine, cuisine)} {P} Stew with {V}", f"One-Pot {P} and {V} Stew"]
    if V2:
        titles += [f"Hearty {P} Stew with {V} and {V2}", f"{P}, {V} and {V2} Stew"]
    if pr["kind"] == "meat":
        titles += [f"Braised {P} with {V}" + (f" and {V2}" if V2 else ""), f"Slow-Cooked {P} and {V} Stew"]
    title = rng.choice(titles)
    steps = []
    if pr["kind"] == "meat":
        steps.append(rng.choice([
            f"Pat the {p} dry, cut into large chunks and season well with salt and black pepper.",
            f"Season the {p} all over with salt and black pepper.",
        ]))
        steps.append(rng.choice([
            f"Brown the meat in batches in the {fat} in a Dutch oven over medium-high heat, then set aside.",
            f"Heat the {fat} in a heavy casserole and sear the meat until deeply browned; remove to a plate.",
        ]))
        steps.append(f"Lower the heat, add the {nat_join(arom)} and cook until soft, about 8 minutes.")
    else:
        steps.append(rng.choice([f"Drain and rinse the {p}.", f"Rinse the {p} and pick out any grit."]))
        steps.append(f"Heat the {fat} in a large pot and cook the {nat_join(arom)} with a pinch of salt until soft.")
    s = f"Stir in the {nat_join(spices)}"
    s += f", then pour in the {wine} and scrape up the browned bits." if wine else " and cook for a minute."
    steps.append(s)
    back = f"Return the {p} to the pot with" if pr["kind"] == "meat" else f"Add the {p},"
    n = rng.choice([90, 120, 150]) if pr["kind"] == "meat" else rng.choice([25, 30, 40])
    vm = veg_main + extra + [h for h in herbs if h == "bay leaves"]
    herbs_end = [h for h in herbs if h != "bay leaves"]
    steps.append(f"{back} the {nat_join(vm + [liquid])}; cover and simmer gently for {n} minutes until tender."
                 if vm else f"{back} the {liquid}; cover and simmer for {n} minutes.")
    if greens:
        steps.append(f"Stir in the {nat_join(greens)} for the last 5 minutes.")
    if herbs_end:
        steps.append(("Discard the bay leaves, then s" if "bay leaves" in herbs else "S") + rng.choice([
            f"eason to taste with salt and black pepper and scatter with {nat_join(herbs_end)} before serving.",
            f"eason with salt and black pepper and finish with chopped {nat_join(herbs_end)}.",
        ]))
    else:
        steps.append("Discard the bay leaves, season with salt and black pepper and serve with crusty bread.")
    mins = n + rng.choice([20, 30, 40])
    return _finish_recipe(title, ings, steps, cuisine, mins, rng.choice([4, 6, 6, 8]), rng)


# ---------------------------------------------------------------- curries
CURRY_STYLES = [
    dict(cuisine="Indian", fat=["ghee", "vegetable oil"], arom=[["onion", "garlic", "ginger"], ["onion", "ginger", "green chili"]],
         spices=[["garam masala", "turmeric"], ["cumin", "ground coriander", "turmeric"], ["curry powder"], ["garam masala", "chili powder"]],
         liquid=[["canned tomatoes"], ["canned tomatoes", "plain yogurt"], ["coconut milk"], ["canned tomatoes", "heavy cream"]],
         season=[], finish=["cilantro", "lemon juice"], base=["basmati rice", "naan"], names=["Curry", "Masala"]),
    dict(cuisine="Thai", fat=["vegetable oil", "coconut oil"], arom=[["shallot", "garlic"], ["garlic", "ginger"]],
         spices=[["green curry paste"], ["red curry paste"], ["yellow curry paste"], ["massaman curry paste"]],
         liquid=[["coconut milk"], ["coconut milk", "vegetable broth"]], season=["fish sauce", "brown sugar"],
         finish=["thai basil", "lime juice", "cilantro"], base=["jasmine rice"], names=["Curry"]),
    dict(cuisine="Sri Lankan", fat=["coconut oil"], arom=[["onion", "garlic", "ginger"]],
         spices=[["curry powder", "cinnamon stick"], ["curry leaves", "mustard seeds", "turmeric"]],
         liquid=[["coconut milk"]], season=[], finish=["lime juice"], base=["basmati rice"], names=["Curry"]),
    dict(cuisine="Japanese", fat=["vegetable oil"], arom=[["onion", "garlic", "ginger"]],
         spices=[["japanese curry roux"], ["curry powder", "flour"]], liquid=[["chicken broth"], ["water"]],
         season=["soy sauce", "honey", "apple"], finish=["pickled ginger"], base=["short-grain rice"], names=["Curry"]),
    dict(cuisine="Caribbean", fat=["vegetable oil"], arom=[["onion", "garlic", "scotch bonnet"]],
         spices=[["curry powder", "allspice"]], liquid=[["coconut milk"]], season=["fresh thyme"],
         finish=["scallions"], base=["white rice"], names=["Curry"]),
]
CURRY_PROTEINS = ["chicken thighs", "chickpeas", "firm tofu", "shrimp", "red lentils", "paneer", "lamb", "cod"]
CURRY_VEG = ["spinach", "cauliflower", "sweet potatoes", "eggplant", "red bell pepper", "green peas", "potatoes",
             "butternut squash", "green beans", "zucchini", "mushrooms", "okra", "pumpkin", "carrots", "tomatoes", "snap peas"]


def gen_curry(rng):
    st = rng.choice(CURRY_STYLES)
    p = rng.choice(CURRY_PROTEINS)
    veg = rng.sample(CURRY_VEG, rng.choice([1, 1, 2]))
    fat, arom, spices = rng.choice(st["fat"]), rng.choice(st["arom"]), rng.choice(st["spices"])
    liquid = rng.choice(st["liquid"])
    season = rng.sample(st["season"], min(len(st["season"]), rng.choice([1, 2]))) if st["season"] else []
    finish = [rng.choice(st["finish"])]
    base = rng.choice(st["base"])
    ings = [p, fat, *arom, *spices, *veg, *liquid, *season, *finish, base, "salt"]
    if len(dedupe(ings)) > 12:
        ings.remove("salt")
    P, V = label(p), label(veg[0])
    V2 = label(veg[1]) if len(veg) > 1 else None
    titles = []
    if st["cuisine"] == "Thai":
        color = spices[0].split(" ")[0].capitalize()
        titles += [f"Thai {color} Curry with {P} and {V}", f"{color} Curry {P} with {V}" + (f" and {V2}" if V2 else "")]
    elif st["cuisine"] == "Indian":
        titles += [f"{P} and {V} Curry", f"{V} {P} Masala", f"{P} Curry with {V}" + (f" and {V2}" if V2 else ""),
                   f"{V} and {P} Curry"]
    elif st["cuisine"] == "Japanese":
        titles += [f"Japanese {P} Curry" + (f" with {V}" if rng.random() < 0.5 else ""), f"Japanese-Style {P} and {V} Curry"]
    else:
        titles += [f"{st['cuisine']} {P} Curry", f"{st['cuisine']} {V} and {P} Curry"]
    if "coconut milk" in liquid:
        titles.append(f"Coconut {P} Curry with {V}")
    title = rng.choice(titles)
    steps = [rng.choice([
        f"Heat the {fat} in a large pan over medium heat and fry the {nat_join(arom)} until golden, about 6 minutes.",
        f"Warm the {fat} in a wide pot, add the {nat_join(arom)} and cook, stirring, until soft and fragrant.",
    ])]
    steps.append(rng.choice([f"Stir in the {nat_join(spices)} and cook for 1 minute.",
                             f"Add the {nat_join(spices)} and fry briefly until aromatic."]))
    late = p in ("shrimp", "cod", "paneer")
    if p == "chicken thighs" or p == "lamb":
        steps.append(f"Add the diced {p} and cook until browned on all sides.")
    elif p == "firm tofu":
        steps.append("Add the cubed firm tofu and fry until lightly golden.")
    elif p in ("red lentils", "chickpeas"):
        steps.append(f"Stir in the rinsed {p}.")
    n = rng.choice([15, 20, 25, 30])
    steps.append(rng.choice([
        f"Pour in the {nat_join(liquid)}, add the {nat_join(veg)} and simmer for {n} minutes until tender.",
        f"Add the {nat_join(veg)} and {nat_join(liquid)}, cover and simmer gently for {n} minutes.",
    ]))
    if late:
        steps.append(f"Add the {p} for the last 5 minutes and cook through.")
    s = []
    if season:
        s.append(f"Season with the {nat_join(['grated apple' if x == 'apple' else x for x in season])}"
                 + (" and salt" if "salt" in ings else ""))
    elif "salt" in ings:
        s.append("Season with salt")
    s.append(f"finish with {nat_join(finish)}")
    steps.append(cap(", then ".join(s)) + ".")
    steps.append(rng.choice([f"Serve with {base}.", f"Spoon over steamed {base} to serve." if "rice" in base else f"Serve with warm {base}."]))
    return _finish_recipe(title, ings, steps, st["cuisine"], n + rng.choice([15, 20, 25]), rng.choice([2, 4, 4, 6]), rng)


# ---------------------------------------------------------------- stir-fries
STIRFRY_PROTEINS = ["chicken breast", "beef sirloin", "firm tofu", "shrimp", "pork tenderloin", "tempeh", "eggs"]
STIRFRY_VEG = ["broccoli", "snow peas", "red bell pepper", "bok choy", "carrots", "shiitake mushrooms", "green beans",
               "napa cabbage", "baby corn", "zucchini", "asparagus", "bean sprouts", "pineapple", "snap peas", "spinach"]
STIRFRY_SAUCES = [
    dict(items=["soy sauce", "honey", "rice vinegar"], title="Honey Garlic", cuisine="Chinese"),
    dict(items=["soy sauce", "sesame oil", "rice vinegar"], title="Ginger Sesame", cuisine="Chinese"),
    dict(items=["black bean sauce", "soy sauce"], title="Black Bean", cuisine="Chinese"),
    dict(items=["oyster sauce", "soy sauce", "cornstarch"], title="Oyster Sauce", cuisine="Chinese"),
    dict(items=["ketchup", "rice vinegar", "brown sugar"], title="Sweet and Sour", cuisine="Chinese"),
    dict(items=["chili garlic sauce", "lime juice", "fish sauce"], title="Chili-Lime", cuisine="Thai"),
    dict(items=["gochujang", "soy sauce", "honey"], title="Gochujang", cuisine="Korean"),
    dict(items=["soy sauce", "mirin", "brown sugar"], title="Teriyaki", cuisine="Japanese"),
    dict(items=["hoisin sauce", "soy sauce", "five-spice powder"], title="Hoisin", cuisine="Chinese"),
]


def gen_stirfry(rng):
    p = rng.choice(STIRFRY_PROTEINS)
    sauce = rng.choice(STIRFRY_SAUCES)
    veg = rng.sample(STIRFRY_VEG, rng.choice([1, 2, 2, 3]))
    if sauce["title"] == "Sweet and Sour" and "pineapple" not in veg:
        veg[-1] = "pineapple"
    arom = rng.choice([["garlic", "ginger"], ["garlic", "ginger", "scallions"], ["garlic", "scallions"]])
    oil = rng.choice(["vegetable oil", "peanut oil"])
    base = rng.choice(["jasmine rice", "rice noodles", "egg noodles", "udon noodles", "brown rice", None])
    garnish = rng.choice(["sesame seeds", "crushed peanuts", "cilantro", "chili flakes", None])
    ings = [p, *veg, *arom, *sauce["items"], oil] + ([base] if base else []) + ([garnish] if garnish else [])
    P, V = label(p), label(veg[0])
    V2 = label(veg[1]) if len(veg) > 1 else None
    titles = [f"{sauce['title']} {P} Stir-Fry", f"{P} and {V} Stir-Fry", f"{sauce['title']} {P} with {V}"]
    if V2:
        titles.append(f"{P} Stir-Fry with {V} and {V2}")
    if base and "noodles" in base:
        titles += [f"{sauce['title']} {P} Noodles", f"{P} and {V} {label(base)}"]
    if p == "eggs":
        titles = [f"{sauce['title']} Egg Fried " + ("Noodles" if base and "noodles" in base else "Rice") + f" with {V}",
                  f"{V} and Egg Stir-Fry"]
    title = rng.choice(titles)
    steps = [rng.choice([f"Whisk together the {nat_join(sauce['items'])} with 2 tablespoons of water.",
                         f"Mix the {nat_join(sauce['items'])} in a small bowl and set aside."])]
    if base:
        steps.append(rng.choice([f"Cook the {base} according to the package directions.", f"Cook the {base}, drain and keep warm."]))
    cut = {"firm tofu": "Press the firm tofu and cut it into cubes", "shrimp": "Peel and devein the shrimp",
           "eggs": "Beat the eggs", "tempeh": "Slice the tempeh"}.get(p, f"Slice the {p} thinly against the grain")
    if p == "eggs":
        steps.append(f"{cut}, scramble them softly in a little of the {oil} in a hot wok and set aside.")
    else:
        steps.append(f"{cut}, then stir-fry in half the {oil} in a very hot wok until just cooked; remove.")
    steps.append(rng.choice([
        f"Add the remaining oil and the {nat_join(arom)}, followed by the {nat_join(veg)}; stir-fry for 3 to 4 minutes until crisp-tender.",
        f"Stir-fry the {nat_join(arom)} for 30 seconds, add the {nat_join(veg)} and toss over high heat for 3 minutes.",
    ]))
    back = "eggs" if p == "eggs" else p
    steps.append(f"Return the {back} to the wok, pour in the sauce and toss until glossy.")
    end = []
    if base:
        end.append(f"Serve over the {base}")
    if garnish:
        end.append(f"sprinkle with {garnish}")
    if end:
        steps.append(cap(" and ".join(end)) + ".")
    return _finish_recipe(title, ings, steps, sauce["cuisine"], rng.choice([20, 25, 30, 35]), rng.choice([2, 3, 4]), rng)


# ---------------------------------------------------------------- roasts
ROAST_MEATS = [("whole chicken", (70, 90)), ("pork loin", (50, 70)), ("leg of lamb", (80, 110)),
               ("salmon fillets", (12, 18)), ("chicken thighs", (35, 45)), ("pork tenderloin", (20, 30)),
               ("beef sirloin", (30, 45)), ("duck legs", (90, 120))]
ROAST_VEG = ["potatoes", "carrots", "parsnips", "butternut squash", "brussels sprouts", "red onion", "beets",
             "sweet potatoes", "cauliflower", "fennel", "broccoli", "cherry tomatoes", "apples", "pears",
             "shallots", "asparagus", "green beans", "celeriac", "turnips"]
ROAST_FLAVORS = [
    dict(items=["lemon juice", "garlic"], title="Lemon-Garlic"), dict(items=["honey", "dijon mustard"], title="Honey-Mustard"),
    dict(items=["maple syrup", "balsamic vinegar"], title="Maple-Balsamic"), dict(items=["harissa", "plain yogurt"], title="Harissa"),
    dict(items=["pomegranate molasses", "cumin"], title="Pomegranate"), dict(items=["smoked paprika", "garlic"], title="Smoky"),
    dict(items=["miso paste", "honey"], title="Miso-Honey"), dict(items=["orange juice", "fennel seeds"], title="Orange and Fennel"),
]
ROAST_HERBS = ["fresh rosemary", "fresh thyme", "fresh sage", "dried oregano", "fresh dill", "tarragon"]


def gen_roast(rng):
    fl = rng.choice(ROAST_FLAVORS)
    herb = rng.choice(ROAST_HERBS)
    fat = rng.choice(["olive oil", "olive oil", "butter"])
    temp = rng.choice([180, 190, 200, 220])
    if rng.random() < 0.55:
        meat, (lo, hi) = rng.choice(ROAST_MEATS)
        veg = rng.sample(ROAST_VEG, rng.choice([1, 2, 2]))
        ings = [meat, *veg, *fl["items"], herb, fat, "salt", "black pepper"]
        M, V = label(meat), label(veg[0])
        V2 = label(veg[1]) if len(veg) > 1 else None
        titles = [f"{label(herb)} Roast {M} with {V}" + (f" and {V2}" if V2 else ""), f"{fl['title']} Roast {M}",
                  f"Sheet-Pan {fl['title']} {M} with {V}", f"{fl['title']} {M} with Roasted {V}"]
        title = rng.choice(titles)
        n = rng.randrange(lo, hi + 1, 5)
        steps = [rng.choice([f"Preheat the oven to {temp}°C.", f"Heat the oven to {temp}°C and line a large roasting tin."])]
        steps.append(cap(nat_join([prep(v) for v in veg])) + f", then toss with half the {fat}, salt and black pepper.")
        steps.append(rng.choice([
            f"Mix the {nat_join(fl['items'])} with the {herb} and remaining {fat}, and rub all over the {meat}.",
            f"Season the {meat} with salt and black pepper, then brush with the {nat_join(fl['items'])}, {herb} and remaining {fat}.",
        ]))
        steps.append(rng.choice([
            f"Set the {meat} on top of the vegetables and roast for {n} minutes, basting once halfway.",
            f"Roast the {meat} on the vegetables for {n} minutes, until cooked through and golden.",
        ]))
        steps.append(rng.choice(["Rest for 10 minutes before carving and serve with the pan juices.",
                                 "Let it rest briefly, then serve with the roasted vegetables."] if "salmon" not in meat
                                else ["Serve straight from the tray with the roasted vegetables."]))
        mins, cuisine = n + 20, rng.choice(["British", "American", "French", "Mediterranean"])
    else:
        veg = rng.sample(ROAST_VEG, rng.choice([2, 3, 3]))
        finish = rng.choice(["feta cheese", "toasted hazelnuts", "pomegranate seeds", "tahini", "parmesan", "goat cheese"])
        ings = [*veg, *fl["items"], herb, fat, finish, "salt", "black pepper"]
        Vs = [label(v) for v in veg]
        titles = [f"Roasted {nat_join(Vs)}", f"{fl['title']} Roasted {Vs[0]} and {Vs[1]}",
                  f"Tray-Roasted {Vs[0]} with {label(finish)}", f"Crispy Roasted {Vs[0]} and {Vs[1]} with {label(herb)}"]
        title = rng.choice(titles)
        n = rng.choice([25, 30, 35, 40, 45])
        steps = [f"Preheat the oven to {temp}°C."]
        steps.append(cap(nat_join([prep(v) for v in veg])) + ".")
        steps.append(rng.choice([
            f"Toss with the {fat}, {herb}, salt and black pepper and spread out on a large baking sheet.",
            f"Spread the vegetables on a tray, drizzle with the {fat}, scatter over the {herb} and season with salt and black pepper.",
        ]))
        steps.append(f"Roast for {n} minutes, turning once, until browned and tender.")
        steps.append(rng.choice([
            f"Drizzle with the {nat_join(fl['items'])}, return to the oven for 5 minutes, then top with the {finish}.",
            f"Toss the hot vegetables with the {nat_join(fl['items'])} and finish with the {finish}.",
        ]))
        mins, cuisine = n + 15, rng.choice(["Mediterranean", "American", "Middle Eastern", "British"])
    return _finish_recipe(title, ings, steps, cuisine, mins, rng.choice([2, 4, 4, 6]), rng)


# ---------------------------------------------------------------- pasta
PASTA_SHAPES = ["spaghetti", "penne", "fusilli", "linguine", "rigatoni", "orzo", "farfalle", "orecchiette",
                "tagliatelle", "pappardelle", "conchiglie", "bucatini"]
PASTA_VEG = ["cherry tomatoes", "zucchini", "spinach", "mushrooms", "asparagus", "green peas", "broccoli", "eggplant",
             "kale", "red bell pepper", "butternut squash", "cauliflower", "artichoke hearts", "leeks", "arugula", "fennel"]
PASTA_SAUCES = [
    dict(key="aglio", items=["garlic", "olive oil", "chili flakes"], finish=["flat-leaf parsley", "parmesan", "lemon zest"],
         proteins=["anchovies", "shrimp", "pancetta"]),
    dict(key="tomato", items=["canned tomatoes", "garlic", "onion", "olive oil"], finish=["fresh basil", "parmesan", "ricotta salata"],
         proteins=["italian sausage", "pancetta", "anchovies", "shrimp"]),
    dict(key="cream", items=["heavy cream", "garlic", "butter"], finish=["parmesan", "chives", "nutmeg"],
         proteins=["pancetta", "chicken breast", "smoked salmon"]),
    dict(key="pesto", items=["basil pesto", "olive oil"], finish=["parmesan", "toasted pine nuts"], proteins=["chicken breast", "shrimp"]),
    dict(key="lemon", items=["lemon", "butter", "garlic"], finish=["parmesan", "flat-leaf parsley", "fresh mint"],
         proteins=["shrimp", "smoked salmon", "chicken breast"]),
    dict(key="ricotta", items=["ricotta", "lemon", "garlic", "olive oil"], finish=["parmesan", "fresh basil", "toasted walnuts"],
         proteins=["pancetta", "italian sausage"]),
]


def gen_pasta(rng):
    pasta = rng.choice(PASTA_SHAPES)
    sc = rng.choice(PASTA_SAUCES)
    veg = rng.sample(PASTA_VEG, rng.choice([1, 1, 2]))
    prot = rng.choice(sc["proteins"] + [None, None])
    finish = rng.sample(sc["finish"], rng.choice([1, 2]))
    ings = [pasta, *veg] + ([prot] if prot else []) + sc["items"] + finish + ["salt", "black pepper"]
    Pa, V = tcase(pasta), label(veg[0])
    V2 = label(veg[1]) if len(veg) > 1 else None
    Pr = label(prot) if prot else None
    vv = V + (f" and {V2}" if V2 else "")
    titles = [f"{Pa} with {vv}" + (f" and {Pr}" if Pr and not V2 else "")]
    k = sc["key"]
    if k == "aglio":
        titles.append(f"{Pa} Aglio e Olio with {V}")
    elif k == "tomato":
        titles += [f"{Pa} al Pomodoro with {V}", f"{V} and {Pr} {Pa}" if Pr else f"{V} {Pa} in Tomato Sauce"]
    elif k == "cream":
        titles += [f"Creamy {vv} {Pa}", f"Creamy {V} and {Pr} {Pa}" if Pr else f"Creamy {Pa} with {V}"]
    elif k == "pesto":
        titles += [f"Pesto {Pa} with {vv}"]
    elif k == "lemon":
        titles += [f"Lemony {vv} {Pa}", f"Lemon {Pa} with {V}" + (f" and {Pr}" if Pr else "")]
    else:
        titles += [f"{Pa} with {V} and Ricotta"]
    title = rng.choice(titles)
    fat = "olive oil" if "olive oil" in sc["items"] else "butter"
    steps = [rng.choice([
        f"Bring a large pot of salted water to a boil and cook the {pasta} until al dente; reserve a cup of the cooking water.",
        f"Cook the {pasta} in plenty of boiling salted water until just al dente, then drain, keeping some pasta water.",
    ])]
    late_prot = prot == "smoked salmon"
    if prot and not late_prot:
        steps.append({
            "pancetta": f"Meanwhile, crisp the pancetta in a large skillet with a little {fat}.",
            "italian sausage": f"Meanwhile, squeeze the italian sausage from its casings and brown it in the {fat}, breaking it up.",
            "shrimp": f"Meanwhile, sear the shrimp in the {fat} for 2 minutes per side and set aside.",
            "chicken breast": f"Meanwhile, slice the chicken breast and cook it in the {fat} until golden; set aside.",
            "anchovies": f"Meanwhile, melt the anchovies in the {fat} over low heat.",
        }[prot])
    arom = [x for x in sc["items"] if x in ("garlic", "onion", "chili flakes")]
    if k == "aglio":
        steps.append(f"Gently cook the sliced garlic and chili flakes in the olive oil until pale gold, then add the {nat_join(veg)} and cook until tender.")
    elif not arom:
        pan = "the pan" if prot and not late_prot else f"a large skillet with the {fat}"
        steps.append(f"Cook the {nat_join(veg)} in {pan} until just tender, about 5 minutes.")
    else:
        pan = "the pan" if prot and not late_prot else f"a large skillet with the {fat}"
        steps.append(rng.choice([
            f"Add the {nat_join(arom)} to {pan}, cook for a minute, then add the {nat_join(veg)} and cook until tender, about 5 minutes.",
            f"Soften the {nat_join(arom)} in {pan}, then stir in the {nat_join(veg)} and cook for 4 to 6 minutes.",
        ]))
    sauce_step = {
        "tomato": f"Pour in the canned tomatoes and simmer for {rng.choice([10, 15, 20])} minutes until thickened.",
        "cream": "Pour in the heavy cream and simmer until slightly thickened.",
        "pesto": "Take the pan off the heat and stir in the basil pesto.",
        "lemon": "Add the butter with the zest and juice of the lemon and swirl until melted.",
        "ricotta": "Loosen the ricotta with the zest and juice of the lemon and a splash of pasta water.",
        "aglio": "Add a ladle of the pasta water and swirl to emulsify.",
    }[k]
    steps.append(sauce_step)
    toss = f"Toss the drained {pasta} with the sauce, adding pasta water until glossy"
    if prot and prot != "anchovies":
        toss += f", and fold the {prot} back in" if not late_prot else ", then fold in the torn smoked salmon"
    steps.append(toss + ".")
    steps.append(rng.choice([f"Serve topped with {nat_join(finish)} and plenty of black pepper.",
                             f"Finish with {nat_join(finish)} and a grind of black pepper."]))
    cuisine = "Italian-American" if prot == "chicken breast" else "Italian"
    return _finish_recipe(title, ings, steps, cuisine, rng.choice([20, 25, 30, 35, 40]), rng.choice([2, 4, 4, 6]), rng)


# ---------------------------------------------------------------- bakes
def gen_bake(rng):
    kind = rng.choice(["gratin", "frittata", "stuffed", "galette", "pie"])
    temp = rng.choice([180, 190, 200])
    if kind == "gratin":
        veg = rng.sample(["potatoes", "cauliflower", "fennel", "leeks", "sweet potatoes", "butternut squash", "zucchini",
                          "celeriac", "turnips", "broccoli", "parsnips"], rng.choice([1, 2]))
        cheese = rng.choice(["gruyère cheese", "cheddar cheese", "parmesan", "comté cheese"])
        dairy = rng.choice(["heavy cream", "whole milk"])
        season = rng.choice(["nutmeg", "fresh thyme", "dijon mustard"])
        crumbs = rng.random() < 0.4
        ings = [*veg, cheese, dairy, "garlic", "butter", season] + (["breadcrumbs"] if crumbs else []) + ["salt", "black pepper"]
        V = label(veg[0])
        titles = [f"{V} Gratin" if len(veg) == 1 else f"{V} and {label(veg[1])} Gratin", f"{label(cheese)} {V} Gratin",
                  f"{V} Gratin with {label(season)}"]
        n = rng.choice([40, 45, 50, 60])
        steps = [f"Preheat the oven to {temp}°C and rub a baking dish with the butter.",
                 rng.choice([f"Slice the {nat_join(veg)} very thinly.", f"Cut the {nat_join(veg)} into thin slices, ideally on a mandoline."]),
                 f"Warm the {dairy} with the crushed garlic and {season}, and season with salt and black pepper.",
                 rng.choice([f"Layer the vegetables in the dish, pour over the {dairy} mixture and scatter with the {cheese}"
                             + (" and breadcrumbs." if crumbs else "."),
                             f"Arrange the slices in overlapping rows, pour over the warm {dairy} and top with the {cheese}"
                             + (" mixed with the breadcrumbs." if crumbs else ".")]),
                 f"Bake for {n} minutes until bubbling, golden and tender when pierced with a knife."]
        return _finish_recipe(rng.choice(titles), ings, steps, "French", n + 20, rng.choice([4, 6]), rng)
    if kind == "frittata":
        veg = rng.sample(["spinach", "zucchini", "cherry tomatoes", "red bell pepper", "mushrooms", "potatoes", "asparagus",
                          "kale", "onion", "green peas", "leeks", "broccoli", "sweet potatoes"], rng.choice([1, 2, 3]))
        cheese = rng.choice(["feta cheese", "goat cheese", "parmesan", "cheddar cheese", "ricotta"])
        herb = rng.choice(["chives", "fresh basil", "flat-leaf parsley", "fresh dill", "fresh mint"])
        ings = ["eggs", *veg, cheese, herb, "olive oil", "salt", "black pepper"]
        V = label(veg[0])
        titles = [f"{V} and {label(cheese)} Frittata", f"Baked {V} Frittata with {label(cheese)}"]
        if len(veg) > 1:
            titles.append(f"{V}, {label(veg[1])} and {label(herb)} Frittata")
        steps = [f"Preheat the oven to {temp}°C.",
                 rng.choice([f"Whisk the eggs with the {herb}, salt and black pepper.", f"Beat the eggs with salt, black pepper and most of the {herb}."]),
                 f"Cook the {nat_join(veg)} in the olive oil in an ovenproof skillet until tender, about {rng.choice([5, 6, 8])} minutes.",
                 f"Pour in the eggs, dot with the {cheese} and cook undisturbed until the edges set.",
                 rng.choice([f"Bake for {rng.choice([10, 12, 15])} minutes until just set, then cut into wedges.",
                             "Transfer to the oven until puffed and set in the centre; serve warm or at room temperature."])]
        return _finish_recipe(rng.choice(titles), ings, steps, "Italian", rng.choice([25, 30, 35]), rng.choice([4, 6]), rng)
    if kind == "stuffed":
        vessel, how = rng.choice([("bell peppers", "halve the bell peppers and remove the seeds"),
                                  ("zucchini", "halve the zucchini lengthwise and scoop out the centres"),
                                  ("eggplant", "halve the eggplant and scoop out some of the flesh"),
                                  ("tomatoes", "slice the tops off the tomatoes and hollow them out"),
                                  ("portobello mushrooms", "remove the stems from the portobello mushrooms"),
                                  ("acorn squash", "halve the acorn squash and scoop out the seeds")])
        filling = rng.choice(["rice", "quinoa", "couscous", "ground beef", "ground lamb", "brown lentils", "ground turkey"])
        spice, cuisine = rng.choice([("cumin", "Mexican"), ("dried oregano", "Greek"), ("smoked paprika", "Spanish"),
                                     ("ras el hanout", "Moroccan"), ("allspice", "Turkish")])
        cheese = rng.choice(["mozzarella", "feta cheese", "cheddar cheese", "parmesan"])
        herb = rng.choice(["flat-leaf parsley", "fresh mint", "cilantro", "fresh basil"])
        tom = [] if vessel == "tomatoes" else ["canned tomatoes"]
        ings = [vessel, filling, "onion", "garlic", *tom, spice, cheese, herb, "olive oil", "salt"]
        Ve, F = label(vessel), label(filling)
        titles = [f"Stuffed {Ve} with {F} and {label(cheese)}", f"{F}-Stuffed {Ve}", f"{cuisine} Stuffed {Ve}"]
        meat = filling.startswith("ground")
        fill_txt = (f"add the {filling} and brown it" if meat else f"stir in the cooked {filling}")
        steps = [f"Preheat the oven to {temp}°C and {how}.",
                 f"Soften the onion and garlic in the olive oil, then {fill_txt}.",
                 f"Add the {nat_join([spice] + tom)}, season with salt and simmer for 5 minutes; stir in the {herb}.",
                 f"Spoon the filling into the {vessel}, top with the {cheese} and bake for {rng.choice([25, 30, 35, 40])} minutes until tender."]
        return _finish_recipe(rng.choice(titles), ings, steps, cuisine, rng.choice([50, 55, 60, 70]), rng.choice([4, 4, 6]), rng)
    if kind == "galette":
        crust = rng.choice(["puff pastry", "pie crust"])
        veg = rng.sample(["tomatoes", "zucchini", "leeks", "onions", "butternut squash", "mushrooms", "asparagus",
                          "potatoes", "red bell pepper", "figs", "pears"], rng.choice([1, 2]))
        cheese = rng.choice(["goat cheese", "ricotta", "gruyère cheese", "feta cheese", "blue cheese"])
        herb = rng.choice(["fresh thyme", "fresh basil", "fresh rosemary", "chives"])
        ings = [crust, *veg, cheese, "egg", herb, "olive oil", "salt", "black pepper"]
        V, C = label(veg[0]), label(cheese)
        titles = [f"{V} and {C} Galette", f"{V} Tart with {C} and {label(herb)}", f"Rustic {V}" + (f" and {label(veg[1])}" if len(veg) > 1 else "") + " Galette"]
        fold = crust == "pie crust"
        steps = [f"Preheat the oven to {temp + 10}°C and roll out the {crust} on a sheet of baking paper.",
                 f"Spread the {cheese} over the pastry, leaving a 3 cm border.",
                 f"Arrange the sliced {nat_join(veg)} on top, drizzle with olive oil, season with salt and black pepper and scatter with the {herb}.",
                 ("Fold the edges over the filling and brush the pastry with the beaten egg." if fold else
                  "Score the border and brush it with the beaten egg."),
                 f"Bake for {rng.choice([30, 35, 40])} minutes until the pastry is puffed and deep golden."]
        return _finish_recipe(rng.choice(titles), ings, steps, "French", rng.choice([50, 55, 60]), rng.choice([4, 6]), rng)
    # shepherd's / cottage pie
    prot, name = rng.choice([("ground lamb", "Shepherd's Pie"), ("ground beef", "Cottage Pie"),
                             ("brown lentils", "Lentil Shepherd's Pie"), ("ground turkey", "Turkey Cottage Pie")])
    topping = rng.choice(["potatoes", "sweet potatoes", "celeriac", "cauliflower", "parsnips"])
    veg = rng.sample([v for v in ["carrots", "green peas", "mushrooms", "celery", "leeks", "corn", "parsnips"] if v != topping],
                     rng.choice([1, 2]))
    cheese = rng.random() < 0.35
    ings = [prot, "onion", *veg, "tomato paste", "fresh thyme", topping, "butter", "whole milk"] + (["cheddar cheese"] if cheese else []) + ["salt", "black pepper"]
    T = label(topping)
    titles = [f"{name} with {T} Mash", f"{T}-Topped {name}", f"{name} with {label(veg[0])}"]
    steps = [f"Boil the peeled {topping} until tender, then mash with the butter, whole milk and a good pinch of salt.",
             f"Brown the {prot} with the chopped onion" + (", breaking it up" if prot.startswith("ground") else "") + ".",
             f"Add the {nat_join(veg)}, tomato paste and fresh thyme with a splash of water and simmer for 15 minutes; season with black pepper.",
             f"Spoon into a baking dish, spread the mash on top" + (" and sprinkle with the cheddar cheese" if cheese else "") +
             f", then bake at {temp + 10}°C for {rng.choice([25, 30])} minutes until golden."]
    return _finish_recipe(rng.choice(titles), ings, steps, "British", rng.choice([60, 70, 75, 90]), rng.choice([4, 6]), rng)


# ---------------------------------------------------------------- breakfasts
BREAKFAST_FRUIT = ["banana", "blueberries", "apple", "pear", "strawberries", "raspberries", "peach", "mango",
                   "blackberries", "cherries", "figs", "plums"]


def gen_breakfast(rng):
    kind = rng.choice(["oatmeal", "pancakes", "omelette", "shakshuka", "overnight", "toast", "hash"])
    if kind == "oatmeal":
        fruit = rng.sample(BREAKFAST_FRUIT, rng.choice([1, 2]))
        milk = rng.choice(["whole milk", "almond milk", "oat milk", "water"])
        sweet = rng.choice(["maple syrup", "honey", "brown sugar"])
        spice = rng.choice(["cinnamon", "cardamom", "nutmeg", "ginger"])
        top = rng.choice(["walnuts", "pecans", "toasted almonds", "chia seeds", "greek yogurt"])
        ings = ["rolled oats", milk, *fruit, sweet, spice, top, "salt"]
        F = label(fruit[0])
        titles = [f"{F} {label(spice)} Oatmeal", f"{F} and {label(top)} Porridge"]
        if len(fruit) > 1:
            titles.append(f"{F} and {label(fruit[1])} Porridge")
        steps = [rng.choice([f"Simmer the rolled oats in the {milk} with a pinch of salt for 5 minutes, stirring often.",
                             f"Combine the rolled oats, {milk} and salt in a saucepan and cook over medium heat until creamy."]),
                 f"Stir in the {spice} and {sweet}.",
                 f"Spoon into bowls and top with the {nat_join(fruit + [top])}."]
        return _finish_recipe(rng.choice(titles), ings, steps, "American", rng.choice([10, 15]), rng.choice([1, 2, 2]), rng)
    if kind == "pancakes":
        fruit = rng.choice(["blueberries", "banana", "apple", "strawberries", "raspberries", "pumpkin purée", "peach"])
        flavor = rng.choice(["cinnamon", "vanilla extract", "lemon zest", "nutmeg"])
        milk = rng.choice(["buttermilk", "whole milk"])
        shape = rng.choice(["Pancakes", "Pancakes", "Waffles"])
        ings = ["flour", "baking powder", "sugar", milk, "eggs", "butter", fruit, flavor, "maple syrup", "salt"]
        F = "Pumpkin" if fruit == "pumpkin purée" else label(fruit)
        titles = [f"{F} {shape}", f"{F} {label(flavor).replace('Vanilla Extract', 'Vanilla')} {shape}",
                  f"{F} {label(milk).replace('Whole Milk', 'Fluffy')} {shape}"]
        cook = ("Pour small ladlefuls onto a hot buttered griddle and cook until bubbles form, then flip."
                if shape == "Pancakes" else "Cook in a hot, buttered waffle iron until crisp and golden.")
        steps = [f"Whisk the flour, baking powder, sugar, salt and {flavor} in a bowl.",
                 f"In another bowl beat the {milk} with the eggs and melted butter, then stir into the dry ingredients until just combined.",
                 f"Fold in the {fruit}." if fruit != "pumpkin purée" else "Whisk in the pumpkin purée.",
                 cook, "Serve warm with maple syrup."]
        return _finish_recipe(rng.choice(titles), ings, steps, "American", rng.choice([20, 25, 30]), rng.choice([2, 4]), rng)
    if kind == "omelette":
        veg = rng.sample(["spinach", "mushrooms", "cherry tomatoes", "red bell pepper", "onion", "zucchini", "asparagus", "kale"],
                         rng.choice([1, 2]))
        cheese = rng.choice(["cheddar cheese", "goat cheese", "feta cheese", "gruyère cheese", "parmesan"])
        herb = rng.choice(["chives", "flat-leaf parsley", "fresh dill", "fresh basil"])
        style = rng.choice(["Omelette", "Scramble"])
        ings = ["eggs", "butter", *veg, cheese, herb, "salt", "black pepper"]
        V = label(veg[0])
        titles = [f"{V} and {label(cheese)} {style}", f"{V} {style} with {label(herb)}"]
        if style == "Omelette":
            last = f"Pour in the eggs, cook until almost set, scatter over the {cheese} and fold in half."
        else:
            last = f"Add the eggs and stir gently over low heat until softly set, then fold in the {cheese}."
        steps = [f"Beat the eggs with salt, black pepper and the {herb}.",
                 f"Melt the butter in a non-stick pan and cook the {nat_join(veg)} for 3 minutes.", last]
        return _finish_recipe(rng.choice(titles), ings, steps, "French" if style == "Omelette" else "American",
                              rng.choice([10, 15]), rng.choice([1, 2]), rng)
    if kind == "shakshuka":
        green = rng.random() < 0.3
        extra = rng.choice(["zucchini", "chickpeas", "spinach", "chorizo", None])
        cheese = rng.choice(["feta cheese", "goat cheese", "labneh"])
        herb = rng.choice(["cilantro", "flat-leaf parsley", "fresh dill"])
        if green:
            base = ["leeks", "spinach" if extra != "spinach" else "kale", "garlic"]
            ings = ["eggs", *base] + ([extra] if extra else []) + ["cumin", "olive oil", cheese, herb, "salt"]
            title = rng.choice([f"Green Shakshuka with {label(cheese)}", "Green Shakshuka" + (f" with {label(extra)}" if extra else "")])
            steps = [f"Soften the {base[0]} and {base[2]} in the olive oil, then add the cumin.",
                     f"Stir in the {base[1]}" + (f" and {extra}" if extra else "") + " until wilted; season with salt.",
                     f"Make wells, crack in the eggs, cover and cook for 6 minutes until the whites set.",
                     f"Top with the {cheese} and {herb}."]
        else:
            ings = ["eggs", "canned tomatoes", "red bell pepper", "onion", "garlic"] + ([extra] if extra else []) + \
                   ["cumin", "smoked paprika", "olive oil", cheese, herb, "salt"]
            title = rng.choice([f"Shakshuka with {label(extra)} and {label(cheese)}" if extra else f"Shakshuka with {label(cheese)}",
                                f"{label(extra)} Shakshuka" if extra else "Classic Shakshuka"])
            steps = [f"Cook the onion, garlic and red bell pepper in the olive oil until soft" + (f", adding the {extra}" if extra else "") + ".",
                     "Stir in the cumin and smoked paprika, then the canned tomatoes; season with salt and simmer for 10 minutes.",
                     "Make wells in the sauce, crack in the eggs, cover and cook until the whites are set.",
                     f"Scatter with the {cheese} and {herb} and serve from the pan."]
        return _finish_recipe(title, ings, steps, "Middle Eastern", rng.choice([25, 30, 35]), rng.choice([2, 4]), rng)
    if kind == "overnight":
        fruit = rng.choice(BREAKFAST_FRUIT)
        liquid = rng.choice(["greek yogurt", "almond milk", "oat milk", "whole milk"])
        extra = rng.choice(["peanut butter", "cocoa powder", "vanilla extract", "cinnamon", "coconut flakes", "almond butter"])
        sweet = rng.choice(["honey", "maple syrup"])
        ings = ["rolled oats", liquid, "chia seeds", fruit, extra, sweet]
        title = rng.choice([f"{label(fruit)} Overnight Oats", f"{label(fruit)} and {label(extra)} Overnight Oats"])
        steps = [f"Stir the rolled oats, chia seeds, {liquid}, {extra} and {sweet} together in a jar.",
                 "Cover and refrigerate overnight.",
                 f"In the morning, loosen with a splash more {liquid} and top with the {fruit}."]
        return _finish_recipe(title, ings, steps, "American", 10, 1, rng)
    if kind == "toast":
        spread = rng.choice(["avocado", "ricotta", "hummus"])
        top = rng.sample(["cherry tomatoes", "radishes", "strawberries", "figs", "cucumber", "poached egg", "peach", "smoked salmon"],
                         rng.choice([1, 2]))
        acid = rng.choice(["lemon juice", "lime juice"])
        extra = rng.choice(["chili flakes", "honey", "everything bagel seasoning", "pistachios"])
        ings = ["sourdough bread", spread, *top, acid, extra, "olive oil", "salt"]
        S, T = label(spread), label(top[0])
        titles = [f"{S} Toast with {T}" + (f" and {label(top[1])}" if len(top) > 1 else ""), f"{T} and {S} Toast"]
        steps = [f"Toast the sourdough bread and drizzle with a little olive oil.",
                 f"Mash or spread the {spread} with the {acid} and a pinch of salt, and pile onto the toast.",
                 f"Top with the {nat_join(top)} and finish with {extra}."]
        return _finish_recipe(rng.choice(titles), ings, steps, "Californian", rng.choice([10, 15]), rng.choice([1, 2]), rng)
    base = rng.choice(["potatoes", "sweet potatoes"])
    add = rng.choice(["chorizo", "bacon", "kale", "mushrooms", "corn", "black beans", "brussels sprouts"])
    herb = rng.choice(["chives", "scallions", "cilantro", "flat-leaf parsley"])
    ings = [base, "onion", "red bell pepper", add, "eggs", "smoked paprika", "vegetable oil", herb, "salt", "black pepper"]
    title = rng.choice([f"{label(base)} and {label(add)} Breakfast Hash", f"{label(add)} Hash with Fried Eggs"])
    steps = [f"Dice the {base} and fry in the vegetable oil over medium-high heat for 10 minutes until crisp.",
             f"Add the onion, red bell pepper and {add} with the smoked paprika, salt and black pepper; cook 5 minutes more.",
             "Make four wells, crack in the eggs and cover until the whites set.",
             f"Scatter with {herb} and serve from the skillet."]
    return _finish_recipe(title, ings, steps, "American", rng.choice([25, 30, 35]), rng.choice([2, 4]), rng)


# ---------------------------------------------------------------- desserts
DESSERT_FRUIT = ["apples", "pears", "peaches", "strawberries", "blueberries", "rhubarb", "raspberries", "plums", "bananas",
                 "mango", "cherries", "blackberries", "apricots", "pineapple", "figs", "nectarines", "quinces"]


def gen_dessert(rng):
    kind = rng.choice(["crumble", "cake", "sorbet", "poached", "compote", "clafoutis", "baked", "fruit_salad", "cobbler"])
    fr = rng.sample(DESSERT_FRUIT, 2)
    F1, F2 = label(fr[0]), label(fr[1])
    if kind in ("crumble", "cobbler"):
        two = rng.random() < 0.5
        fruit = fr if two else fr[:1]
        spice = rng.choice(["cinnamon", "ground ginger", "cardamom", "vanilla extract"])
        sugar = rng.choice(["brown sugar", "sugar"])
        if kind == "crumble":
            ings = [*fruit, sugar, "lemon juice", "cornstarch", "flour", "butter", "rolled oats", spice, "salt"]
            titles = [f"{F1} and {F2} Crumble" if two else f"{F1} Crumble", f"Spiced {F1} Crisp" if not two else f"{F1}-{F2} Crisp",
                      f"{F1} Crumble with {label(spice).replace('Vanilla Extract', 'Vanilla')}"]
            top = rng.choice(["Rub the butter into the flour, rolled oats, remaining sugar and salt until clumpy.",
                              "Pulse the flour, rolled oats, salt, butter and remaining sugar into a rough crumb."])
        else:
            ings = [*fruit, sugar, "lemon juice", "cornstarch", "flour", "baking powder", "butter", "buttermilk", spice, "salt"]
            titles = [f"{F1} and {F2} Cobbler" if two else f"{F1} Cobbler", f"Old-Fashioned {F1} Cobbler"]
            top = "Mix the flour, baking powder, salt and remaining sugar, cut in the butter and stir in the buttermilk to a soft dough."
        t = rng.choice([180, 190])
        steps = [f"Preheat the oven to {t}°C.",
                 f"Toss the {nat_join(fruit)} with half the {sugar}, the lemon juice, cornstarch and {spice} in a baking dish.",
                 top,
                 ("Scatter the topping over the fruit" if kind == "crumble" else "Drop spoonfuls of dough over the fruit")
                 + f" and bake for {rng.choice([35, 40, 45])} minutes until golden and bubbling."]
        if rng.random() < 0.5:
            steps.append(rng.choice(["Cool for 10 minutes and serve with custard or ice cream.", "Serve warm."]))
        return _finish_recipe(rng.choice(titles), ings, steps, "British" if kind == "crumble" else "American",
                              rng.choice([50, 55, 60, 65]), rng.choice([6, 8]), rng)
    if kind == "cake":
        flavor = rng.choice(["almond flour", "lemon zest", "cinnamon", "vanilla extract", "orange zest", "ground ginger"])
        style = rng.choice(["Upside-Down Cake", "Loaf Cake", "Snack Cake", "Cake"])
        ings = ["flour", "sugar", "eggs", "butter", "baking powder", "milk", fr[0], flavor, "salt"]
        FL = label(flavor).replace(" Flour", "").replace(" Extract", "").replace(" Zest", "")
        titles = [f"{F1} {style}", f"{F1} and {FL} {style}"]
        arrange = (f"Arrange the {fr[0]} in the bottom of a buttered tin and pour over the batter."
                   if style == "Upside-Down Cake" else f"Fold in the {fr[0]}, scrape into a lined tin and smooth the top.")
        steps = [f"Preheat the oven to 175°C.",
                 f"Beat the butter and sugar until pale, then beat in the eggs one at a time.",
                 f"Fold in the flour, baking powder, salt and {flavor}, loosening with the milk.",
                 arrange, f"Bake for {rng.choice([35, 40, 45, 50])} minutes until a skewer comes out clean."]
        return _finish_recipe(rng.choice(titles), ings, steps, "American", rng.choice([60, 70, 75]), rng.choice([8, 10, 12]), rng)
    if kind == "sorbet":
        fruit = rng.choice(["mango", "strawberries", "raspberries", "pineapple", "watermelon", "peaches", "cherries",
                            "blackberries", "kiwis", "cantaloupe", "lemon", "passion fruit"])
        acid = "lime juice" if fruit != "lemon" else "lemon zest"
        herb = rng.choice([None, "fresh mint", "fresh basil", "fresh thyme"])
        ings = [fruit, "sugar", "water", acid] + ([herb] if herb else [])
        titles = [f"{label(fruit)} Sorbet"] + ([f"{label(fruit)} and {label(herb)} Sorbet"] * 2 if herb else [])
        syrup = f"Simmer the sugar and water" + (f" with the {herb}" if herb else "") + " until dissolved, then cool" + (" and strain" if herb else "") + "."
        steps = [syrup, f"Purée the {fruit} with the syrup and {acid} until smooth" + ("; strain out the seeds." if fruit in ("raspberries", "blackberries", "passion fruit") else "."),
                 "Chill well, then churn in an ice-cream maker and freeze until firm."]
        return _finish_recipe(rng.choice(titles), ings, steps, rng.choice(["Italian", "French"]), rng.choice([30, 40]) + 240, rng.choice([4, 6]), rng)
    if kind == "poached":
        fruit = rng.choice(["pears", "peaches", "apricots", "plums", "quinces", "figs"])
        liquid = rng.choice(["red wine", "white wine", "water", "port"])
        spice = rng.choice(["cinnamon stick", "star anise", "vanilla bean", "cloves", "cardamom pods"])
        zest = rng.choice(["orange peel", "lemon peel"])
        serve = rng.choice(["crème fraîche", "greek yogurt", "vanilla ice cream", "mascarpone"])
        ings = [fruit, liquid, "sugar", spice, zest, serve]
        L = {"water": "Vanilla", "port": "Port"}.get(liquid, label(liquid))
        titles = [f"{L}-Poached {label(fruit)} with {label(spice)}", f"{L}-Poached {label(fruit)} with {label(serve)}"]
        steps = [f"Bring the {liquid}, sugar, {spice} and {zest} to a simmer in a saucepan just big enough for the fruit.",
                 f"Add the {fruit} and poach gently for {rng.choice([15, 20, 25, 30])} minutes until tender.",
                 "Lift out the fruit and boil the liquid until syrupy.",
                 f"Serve the fruit with the syrup spooned over and a dollop of {serve}."]
        return _finish_recipe(rng.choice(titles), ings, steps, "French", rng.choice([40, 45, 50]), 4, rng)
    if kind == "compote":
        fruit = fr if rng.random() < 0.6 else fr[:1]
        sweet = rng.choice(["honey", "sugar", "maple syrup"])
        flavor = rng.choice(["vanilla extract", "cinnamon", "orange zest", "fresh ginger"])
        ings = [*fruit, sweet, "lemon juice", flavor, "water"]
        titles = [f"{F1} and {F2} Compote" if len(fruit) > 1 else f"{F1} Compote", f"Spiced {F1} Compote" if flavor in ("cinnamon", "fresh ginger") else f"Easy {F1} Compote"]
        steps = [f"Put the {nat_join(fruit)} in a saucepan with the {sweet}, lemon juice, {flavor} and a splash of water.",
                 f"Simmer for {rng.choice([8, 10, 12, 15])} minutes, stirring now and then, until the fruit collapses.",
                 "Cool and serve over yogurt, pancakes or ice cream."]
        return _finish_recipe(rng.choice(titles), ings, steps, "French", rng.choice([15, 20, 25]), rng.choice([4, 6]), rng)
    if kind == "clafoutis":
        fruit = rng.choice(["cherries", "plums", "apricots", "pears", "blueberries", "raspberries", "peaches", "blackberries"])
        ings = [fruit, "eggs", "milk", "flour", "sugar", "butter", "vanilla extract", "powdered sugar"]
        steps = [f"Preheat the oven to 190°C and butter a baking dish.", f"Scatter the {fruit} over the base.",
                 "Blend the eggs, milk, flour, sugar and vanilla extract into a smooth batter and pour over the fruit.",
                 f"Bake for {rng.choice([35, 40, 45])} minutes until puffed and set, then dust with powdered sugar."]
        return _finish_recipe(f"{label(fruit)} Clafoutis", ings, steps, "French", 55, 6, rng)
    if kind == "baked":
        fruit = rng.choice(["apples", "pears", "peaches", "figs", "nectarines", "plums", "bananas"])
        nut = rng.choice(["walnuts", "pecans", "almonds", "hazelnuts", "pistachios"])
        sweet = rng.choice(["honey", "brown sugar", "maple syrup"])
        spice = rng.choice(["cinnamon", "nutmeg", "cardamom"])
        ings = [fruit, "butter", sweet, spice, nut, "greek yogurt"]
        cut = {"bananas": "Peel and split the bananas lengthwise", "figs": "Halve the figs",
               "apples": "Halve and core the apples", "pears": "Halve and core the pears"}.get(fruit, f"Halve and stone the {fruit}")
        steps = ["Preheat the oven to 190°C.", f"{cut} and place cut-side up in a baking dish.",
                 f"Dot with the butter, drizzle with the {sweet} and sprinkle with {spice} and chopped {nut}.",
                 f"Bake for {rng.choice([20, 25, 30, 35])} minutes until soft and caramelized; serve with greek yogurt."]
        return _finish_recipe(rng.choice([f"Baked {label(fruit)} with {label(nut)} and {label(sweet)}", f"Honey-Roasted {label(fruit)} with {label(nut)}"
                                          if sweet == "honey" else f"Baked {label(fruit)} with {label(spice)}"]),
                              ings, steps, "American", rng.choice([30, 35, 40]), 4, rng)
    if kind == "fruit_salad":
        fruit = rng.sample(["strawberries", "pineapple", "mango", "kiwis", "blueberries", "watermelon", "oranges", "grapes",
                            "peaches", "cantaloupe", "raspberries", "papaya"], 3)
        herb = rng.choice(["fresh mint", "fresh basil", "lemon verbena"])
        acid = rng.choice(["lime juice", "lemon juice", "orange juice"])
        ings = [*fruit, herb, acid, "honey"]
        title = rng.choice([f"{label(fruit[0])}, {label(fruit[1])} and {label(fruit[2])} Fruit Salad",
                            f"{label(fruit[0])} and {label(fruit[1])} Fruit Salad with {label(herb)}"])
        steps = [cap(nat_join([prep(f) for f in fruit])) + ".",
                 f"Whisk the {acid} with the honey and finely chopped {herb}.",
                 "Pour over the fruit, toss gently and chill for 15 minutes before serving."]
        return _finish_recipe(title, ings, steps, rng.choice(["Mexican", "Caribbean", "American"]), 20, rng.choice([4, 6]), rng)
    return None


# ---------------------------------------------------------------- sauces
def gen_sauce(rng):
    kind = rng.choice(["salsa", "chutney", "pesto", "yogurt", "herb", "jam", "tomato"])
    if kind == "salsa":
        main = rng.sample(["tomatoes", "mango", "pineapple", "strawberries", "peaches", "watermelon", "corn", "black beans",
                           "cucumber", "avocado", "tomatillos", "kiwis"], rng.choice([1, 2]))
        chili = rng.choice(["jalapeño", "serrano chili", "habanero"])
        ings = [*main, "red onion", chili, "cilantro", "lime juice", "salt"]
        M = label(main[0])
        titles = [f"{M} Salsa", f"{M} and {label(main[1])} Salsa" if len(main) > 1 else f"Fresh {M} Salsa",
                  f"{M} {label(chili).replace(' Chili', '')} Salsa"]
        steps = [f"Finely dice the {nat_join(main)} and red onion.", f"Seed and mince the {chili}.",
                 f"Combine everything with the chopped cilantro, lime juice and a pinch of salt; rest for 15 minutes before serving."]
        return _finish_recipe(rng.choice(titles), ings, steps, "Mexican", 15, rng.choice([4, 6, 8]), rng)
    if kind == "chutney":
        fruit = rng.choice(["apples", "mango", "pears", "plums", "tomatoes", "apricots", "rhubarb", "cranberries", "peaches"])
        spice = rng.sample(["mustard seeds", "cumin", "chili flakes", "cinnamon", "cloves", "nigella seeds"], 2)
        ings = [fruit, "onion", "fresh ginger", "apple cider vinegar", "brown sugar", *spice, "salt"]
        titles = [f"{label(fruit)} Chutney", f"{label(fruit)} and Ginger Chutney", f"Spiced {label(fruit)} Chutney"]
        steps = [f"Chop the {fruit}, onion and fresh ginger.",
                 f"Toast the {nat_join(spice)} in a dry pan for a minute.",
                 f"Add everything with the apple cider vinegar, brown sugar and salt and simmer for {rng.choice([40, 45, 60])} minutes until thick and jammy.",
                 "Spoon into sterilized jars and cool."]
        return _finish_recipe(rng.choice(titles), ings, steps, "Indian", rng.choice([60, 70, 80]), 12, rng)
    if kind == "pesto":
        green = rng.sample(["fresh basil", "kale", "arugula", "flat-leaf parsley", "spinach", "cilantro", "fresh mint", "wild garlic"],
                           rng.choice([1, 2]))
        nut = rng.choice(["pine nuts", "walnuts", "almonds", "pistachios", "sunflower seeds"])
        cheese = rng.choice(["parmesan", "pecorino", None])
        ings = [*green, nut, "garlic", "olive oil", "lemon juice"] + ([cheese] if cheese else []) + ["salt"]
        G = label(green[0])
        titles = [f"{G} and {label(nut)} Pesto", f"{G} Pesto" if len(green) == 1 else f"{G} and {label(green[1])} Pesto"]
        steps = [f"Toast the {nut} in a dry pan until golden.",
                 f"Blitz the {nat_join(green)}, {nut} and garlic in a food processor until finely chopped.",
                 f"With the motor running, pour in the olive oil, then add the lemon juice" + (f", grated {cheese}" if cheese else "") + " and salt to taste."]
        return _finish_recipe(rng.choice(titles), ings, steps, "Italian", 10, rng.choice([4, 6, 8]), rng)
    if kind == "yogurt":
        veg = rng.choice(["cucumber", "roasted beets", "spinach", "zucchini", "roasted eggplant", "carrot"])
        herb = rng.choice(["fresh mint", "fresh dill", "cilantro"])
        ings = ["greek yogurt", veg, "garlic", herb, "lemon juice", "olive oil", "salt"]
        title = {"cucumber": rng.choice([f"Cucumber Tzatziki with {label(herb)}", f"Cucumber {label(herb)} Raita"])}.get(
            veg, rng.choice([f"{label(veg)} Yogurt Dip", f"{label(veg)} and {label(herb)} Yogurt Sauce"]))
        steps = [f"Grate or finely chop the {veg} and squeeze out excess water.",
                 f"Stir into the greek yogurt with the crushed garlic, chopped {herb}, lemon juice and salt.",
                 "Drizzle with olive oil and chill until needed."]
        return _finish_recipe(title, ings, steps, "Greek" if "Tzatziki" in title else "Middle Eastern", 10, rng.choice([4, 6]), rng)
    if kind == "herb":
        herbs = rng.sample(["flat-leaf parsley", "cilantro", "fresh oregano", "fresh mint", "fresh basil", "chives"], 2)
        vin = rng.choice(["red wine vinegar", "sherry vinegar", "lemon juice", "lime juice"])
        extra = rng.choice(["capers", "shallot", "chili flakes", "anchovies"])
        ings = [*herbs, "garlic", vin, "olive oil", extra, "salt"]
        H1, H2 = label(herbs[0]), label(herbs[1])
        title = rng.choice([f"{H1} and {H2} Chimichurri", f"{H1} Salsa Verde with {label(extra)}", f"{H1}-{H2} Herb Sauce"])
        steps = [f"Finely chop the {nat_join(herbs)}, garlic and {extra}.",
                 f"Stir in the {vin}, olive oil and a good pinch of salt.",
                 "Let it stand for 20 minutes so the flavours meld."]
        return _finish_recipe(title, ings, steps, "Argentinian" if "Chimichurri" in title else "Italian", 25, 6, rng)
    if kind == "jam":
        fruit = rng.choice(["strawberries", "raspberries", "blueberries", "apricots", "figs", "blackberries", "plums", "cherries", "peaches"])
        thick = rng.choice(["chia seeds", "pectin", None])
        ings = [fruit, "sugar", "lemon juice"] + ([thick] if thick else []) + [rng.choice(["vanilla extract", "fresh thyme", "black pepper"])]
        steps = [f"Mash the {fruit} with the sugar and lemon juice in a heavy saucepan.",
                 f"Boil, stirring, for {rng.choice([10, 12, 15])} minutes until it thickens" + (f"; stir in the {thick} at the end." if thick else "."),
                 f"Add the {ings[-1]}, then spoon into clean jars and cool."]
        title = rng.choice([f"Quick {label(fruit)} Jam", f"{label(fruit)} and {label(ings[-1]).replace(' Extract', '')} Jam"])
        return _finish_recipe(title, ings, steps, "British", 25, 16, rng)
    herb = rng.choice(["fresh basil", "dried oregano", "fresh thyme"])
    extra = rng.choice(["red bell pepper", "carrot", "olives", "capers", "chili flakes", "roasted garlic"])
    ings = ["canned tomatoes", "onion", "garlic", "olive oil", herb, extra, "sugar", "salt"]
    title = rng.choice([f"Tomato and {label(extra)} Sauce", f"Simple Tomato Sauce with {label(herb)} and {label(extra)}"])
    steps = [f"Soften the onion and garlic in the olive oil with the {extra}.",
             f"Add the canned tomatoes, {herb}, a pinch of sugar and salt, and simmer for {rng.choice([20, 25, 30])} minutes.",
             "Blend for a smooth sauce or leave chunky."]
    return _finish_recipe(title, ings, steps, "Italian", 35, 6, rng)


# ---------------------------------------------------------------- smoothies
def gen_smoothie(rng):
    fruit = rng.sample(["banana", "strawberries", "mango", "pineapple", "blueberries", "raspberries", "peach", "apple",
                        "pear", "kiwi", "orange", "cherries", "avocado", "papaya"], rng.choice([1, 2, 2]))
    green = rng.choice([None, None, "spinach", "kale", "cucumber", "celery"])
    liquid = rng.choice(["almond milk", "oat milk", "coconut water", "orange juice", "apple juice", "whole milk", "greek yogurt"])
    extras = rng.sample(["honey", "chia seeds", "fresh ginger", "mint leaves", "rolled oats", "peanut butter", "flax seeds",
                         "lime juice", "vanilla extract", "dates", "cinnamon"], rng.choice([1, 2]))
    bowl = rng.random() < 0.2
    ings = [*fruit] + ([green] if green else []) + [liquid, *extras, "ice"]
    F = label(fruit[0])
    kind = "Smoothie Bowl" if bowl else "Smoothie"
    titles = [f"{F} {label(extras[0]).replace(' Extract', '')} {kind}"]
    if len(fruit) > 1:
        titles.append(f"{F} and {label(fruit[1])} {kind}")
    if green:
        titles.append(f"Green {F} {kind}" + (f" with {label(green)}" if rng.random() < 0.5 else ""))
    if any(f in fruit for f in ("mango", "pineapple", "papaya")):
        titles.append(f"Tropical {F} {kind}")
    steps = [f"Add the {nat_join(fruit + ([green] if green else []))} to a blender with the {liquid}.",
             f"Add the {nat_join(extras)} and a handful of ice.",
             rng.choice(["Blend on high until completely smooth.", "Blend for 60 seconds until thick and creamy, adding a splash more liquid if needed."])]
    if bowl:
        steps.append("Pour into a bowl and top with sliced fruit and granola.")
    return _finish_recipe(rng.choice(titles), ings, steps, "American", rng.choice([5, 5, 10]), rng.choice([1, 2]), rng)


RECIPE_PLAN = [(gen_salad, 28), (gen_soup, 28), (gen_stew, 22), (gen_curry, 26), (gen_stirfry, 26), (gen_roast, 24),
               (gen_pasta, 28), (gen_bake, 24), (gen_breakfast, 26), (gen_dessert, 28), (gen_sauce, 20), (gen_smoothie, 17)]


def build_recipes(rng: random.Random) -> list[dict]:
    assert sum(n for _, n in RECIPE_PLAN) == N_RECIPES_UNIQUE
    rows, titles = [], set()
    for gen, n in RECIPE_PLAN:
        made, tries = 0, 0
        while made < n:
            tries += 1
            if tries > 5000:
                raise RuntimeError(f"{gen.__name__}: could not generate {n} unique recipes")
            r = gen(rng)
            if r is None or r["title"].lower() in titles:
                continue
            titles.add(r["title"].lower())
            rows.append(r)
            made += 1
    rng.shuffle(rows)
    # deliberate quirk: 3 exact duplicate rows, inserted at random positions
    for src in rng.sample(range(len(rows)), 3):
        dup = dict(rows[src])
        rows.insert(rng.randrange(len(rows) + 1), dup)
    return rows


def write_recipes(rows: list[dict]) -> None:
    with open(RECIPES_PATH, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


# ==========================================================================
# 3. Cocktails (classics.parquet + modern.csv)
# ==========================================================================
_PARTS = ("base", "mods", "juice", "sweet", "muddle", "egg", "bitters", "top", "rim", "rinse", "float", "garnish_ing")
_UP_GLASSES = {"coupe", "martini glass", "nick and nora glass", "flute"}


def C(name, glass, category, method, garnish, **parts):
    d = {"name": name, "glass": glass, "category": category, "method": method, "garnish": garnish}
    for p in _PARTS:
        d[p] = list(parts.get(p, []))
    return d


def cocktail_ingredients(c: dict) -> list[str]:
    order = c["base"] + c["mods"] + c["juice"] + c["sweet"] + c["muddle"] + c["egg"] + c["bitters"] + \
        c["rinse"] + c["top"] + c["float"] + c["rim"] + c["garnish_ing"]
    return dedupe(order)


CLASSICS = [
    C("Mojito", "highball glass", "Highball", "build", "a mint sprig", base=["white rum"], juice=["lime juice"],
      sweet=["simple syrup"], muddle=["mint leaves"], top=["soda water"]),
    C("Daiquiri", "coupe", "Sour", "shake", "a lime wheel", base=["white rum"], juice=["lime juice"], sweet=["simple syrup"]),
    C("Negroni", "rocks glass", "Stirred", "stir", "an orange peel", base=["gin"], mods=["campari", "sweet vermouth"]),
    C("Old Fashioned", "rocks glass", "Stirred", "stir", "an orange peel", base=["bourbon"], muddle=["sugar cube"],
      bitters=["angostura bitters"]),
    C("Margarita", "coupe", "Sour", "shake", "a lime wheel", base=["blanco tequila"], mods=["triple sec"],
      juice=["lime juice"], rim=["salt"]),
    C("Manhattan", "coupe", "Stirred", "stir", "a brandied cherry", base=["rye whiskey"], mods=["sweet vermouth"],
      bitters=["angostura bitters"]),
    C("Dry Martini", "martini glass", "Stirred", "stir", "a lemon twist", base=["gin"], mods=["dry vermouth"], bitters=["orange bitters"]),
    C("Whiskey Sour", "rocks glass", "Sour", "shake", "a brandied cherry", base=["bourbon"], juice=["lemon juice"],
      sweet=["simple syrup"], egg=["egg white"], bitters=["angostura bitters"]),
    C("Tom Collins", "collins glass", "Fizz", "build", "a lemon wheel", base=["gin"], juice=["lemon juice"],
      sweet=["simple syrup"], top=["soda water"]),
    C("Gin Fizz", "highball glass", "Fizz", "shake", "a lemon twist", base=["gin"], juice=["lemon juice"],
      sweet=["simple syrup"], egg=["egg white"], top=["soda water"]),
    C("Ramos Gin Fizz", "collins glass", "Fizz", "shake", "an orange twist", base=["gin"], juice=["lemon juice", "lime juice"],
      sweet=["simple syrup"], egg=["heavy cream", "egg white"], bitters=["orange flower water"], top=["soda water"]),
    C("French 75", "flute", "Sparkling", "shake", "a lemon twist", base=["gin"], juice=["lemon juice"],
      sweet=["simple syrup"], top=["champagne"]),
    C("Moscow Mule", "copper mug", "Highball", "build", "a lime wedge", base=["vodka"], juice=["lime juice"], top=["ginger beer"]),
    C("Dark 'n' Stormy", "highball glass", "Highball", "build", "a lime wedge", juice=["lime juice"], top=["ginger beer"],
      float=["dark rum"]),
    C("Cuba Libre", "highball glass", "Highball", "build", "a lime wedge", base=["white rum"], juice=["lime juice"], top=["cola"]),
    C("Paloma", "highball glass", "Highball", "build", "a grapefruit wedge", base=["blanco tequila"], juice=["lime juice"],
      top=["grapefruit soda"], rim=["salt"]),
    C("Caipirinha", "rocks glass", "Sour", "build", "a lime wheel", base=["cachaça"], muddle=["lime wedges", "sugar"]),
    C("Pisco Sour", "coupe", "Sour", "shake", None, base=["pisco"], juice=["lime juice"], sweet=["simple syrup"],
      egg=["egg white"], float=["angostura bitters"]),
    C("Sidecar", "coupe", "Sour", "shake", "an orange twist", base=["cognac"], mods=["cointreau"], juice=["lemon juice"], rim=["sugar"]),
    C("Mai Tai", "rocks glass", "Tiki", "shake", "a mint sprig and a spent lime shell", base=["aged rum", "rhum agricole"],
      mods=["orange curaçao"], juice=["lime juice"], sweet=["orgeat"]),
    C("Piña Colada", "hurricane glass", "Tiki", "blend", "a pineapple wedge", base=["white rum"], juice=["pineapple juice"],
      sweet=["cream of coconut"]),
    C("Zombie", "tiki mug", "Tiki", "shake", "a mint sprig", base=["white rum", "dark rum", "overproof rum"],
      juice=["lime juice", "grapefruit juice"], sweet=["falernum", "cinnamon syrup", "grenadine"], bitters=["angostura bitters", "absinthe"]),
    C("Painkiller", "tiki mug", "Tiki", "shake", "freshly grated nutmeg", base=["dark rum"], juice=["pineapple juice", "orange juice"],
      sweet=["cream of coconut"], garnish_ing=["nutmeg"]),
    C("Jungle Bird", "rocks glass", "Tiki", "shake", "a pineapple wedge", base=["dark rum"], mods=["campari"],
      juice=["pineapple juice", "lime juice"], sweet=["demerara syrup"]),
    C("Hurricane", "hurricane glass", "Tiki", "shake", "an orange slice and a cherry", base=["white rum", "dark rum"],
      juice=["lime juice", "orange juice"], sweet=["passion fruit syrup", "grenadine"]),
    C("Boulevardier", "rocks glass", "Stirred", "stir", "an orange peel", base=["bourbon"], mods=["campari", "sweet vermouth"]),
    C("Sazerac", "rocks glass", "Stirred", "rinse_stir", "a lemon peel", base=["rye whiskey"], muddle=["sugar cube"],
      bitters=["peychaud's bitters"], rinse=["absinthe"]),
    C("Vieux Carré", "rocks glass", "Stirred", "stir", "a lemon twist", base=["rye whiskey", "cognac"],
      mods=["sweet vermouth", "bénédictine"], bitters=["angostura bitters", "peychaud's bitters"]),
    C("Aviation", "coupe", "Sour", "shake", "a brandied cherry", base=["gin"], mods=["maraschino liqueur", "crème de violette"],
      juice=["lemon juice"]),
    C("Last Word", "coupe", "Sour", "shake", "a lime twist", base=["gin"], mods=["green chartreuse", "maraschino liqueur"],
      juice=["lime juice"]),
    C("Corpse Reviver No. 2", "coupe", "Sour", "shake", "an orange twist", base=["gin"], mods=["cointreau", "lillet blanc"],
      juice=["lemon juice"], rinse=["absinthe"]),
    C("Bee's Knees", "coupe", "Sour", "shake", "a lemon twist", base=["gin"], juice=["lemon juice"], sweet=["honey syrup"]),
    C("Gimlet", "coupe", "Sour", "shake", "a lime wheel", base=["gin"], juice=["lime juice"], sweet=["simple syrup"]),
    C("Southside", "coupe", "Sour", "shake", "a mint leaf", base=["gin"], juice=["lime juice"], sweet=["simple syrup"],
      muddle=["mint leaves"]),
    C("Cosmopolitan", "martini glass", "Sour", "shake", "a flamed orange peel", base=["citron vodka"], mods=["cointreau"],
      juice=["lime juice", "cranberry juice"]),
    C("Bloody Mary", "highball glass", "Highball", "build", "a celery stalk and a lemon wedge", base=["vodka"],
      juice=["tomato juice", "lemon juice"], bitters=["worcestershire sauce", "hot sauce", "black pepper"], rim=["celery salt"]),
    C("Mint Julep", "julep cup", "Stirred", "build", "a bouquet of mint", base=["bourbon"], sweet=["simple syrup"], muddle=["mint leaves"]),
    C("Aperol Spritz", "wine glass", "Sparkling", "build", "an orange slice", mods=["aperol"], top=["prosecco", "soda water"]),
    C("Bellini", "flute", "Sparkling", "build", None, juice=["white peach purée"], top=["prosecco"]),
    C("Mimosa", "flute", "Sparkling", "build", None, juice=["orange juice"], top=["champagne"]),
    C("Kir Royale", "flute", "Sparkling", "build", "a blackberry", mods=["crème de cassis"], top=["champagne"]),
    C("Americano", "highball glass", "Highball", "build", "an orange slice", mods=["campari", "sweet vermouth"], top=["soda water"]),
    C("Espresso Martini", "martini glass", "Dessert", "shake", "three coffee beans", base=["vodka"], mods=["coffee liqueur"],
      juice=["espresso"], sweet=["simple syrup"]),
    C("White Russian", "rocks glass", "Dessert", "build", None, base=["vodka"], mods=["coffee liqueur"], float=["heavy cream"]),
    C("Grasshopper", "coupe", "Dessert", "shake", "a mint leaf", mods=["crème de menthe", "white crème de cacao"], egg=["heavy cream"]),
    C("Brandy Alexander", "coupe", "Dessert", "shake", "freshly grated nutmeg", base=["cognac"], mods=["dark crème de cacao"],
      egg=["heavy cream"], garnish_ing=["nutmeg"]),
    C("Tequila Sunrise", "highball glass", "Highball", "layer", "an orange slice and a cherry", base=["blanco tequila"],
      juice=["orange juice"], sweet=["grenadine"]),
    C("Sea Breeze", "highball glass", "Highball", "build", "a lime wedge", base=["vodka"], juice=["cranberry juice", "grapefruit juice"]),
    C("Singapore Sling", "hurricane glass", "Tiki", "shake", "a pineapple wedge and a cherry", base=["gin"],
      mods=["cherry heering", "cointreau", "bénédictine"], juice=["pineapple juice", "lime juice"], sweet=["grenadine"],
      bitters=["angostura bitters"], top=["soda water"]),
    C("Clover Club", "coupe", "Sour", "shake", "three raspberries", base=["gin"], juice=["lemon juice"], sweet=["raspberry syrup"],
      egg=["egg white"]),
    C("Hemingway Daiquiri", "coupe", "Sour", "shake", "a lime wheel", base=["white rum"], mods=["maraschino liqueur"],
      juice=["grapefruit juice", "lime juice"]),
    C("El Diablo", "highball glass", "Highball", "build", "a lime wheel", base=["reposado tequila"], mods=["crème de cassis"],
      juice=["lime juice"], top=["ginger beer"]),
    C("Penicillin", "rocks glass", "Sour", "shake", "candied ginger", base=["blended scotch"], juice=["lemon juice"],
      sweet=["honey-ginger syrup"], float=["islay scotch"]),
    C("Paper Plane", "coupe", "Sour", "shake", None, base=["bourbon"], mods=["aperol", "amaro nonino"], juice=["lemon juice"]),
    C("Gold Rush", "rocks glass", "Sour", "shake", "a lemon twist", base=["bourbon"], juice=["lemon juice"], sweet=["honey syrup"]),
    C("Bramble", "rocks glass", "Sour", "shake", "a blackberry and a lemon slice", base=["gin"], juice=["lemon juice"],
      sweet=["simple syrup"], float=["crème de mûre"]),
    C("Tommy's Margarita", "rocks glass", "Sour", "shake", "a lime wheel", base=["blanco tequila"], juice=["lime juice"],
      sweet=["agave syrup"]),
    C("Irish Coffee", "irish coffee glass", "Dessert", "hot", None, base=["irish whiskey"], juice=["hot coffee"],
      sweet=["brown sugar"], float=["heavy cream"]),
    C("Pimm's Cup", "highball glass", "Highball", "build", "cucumber slices, strawberries and a mint sprig", mods=["pimm's no. 1"],
      top=["lemonade"], garnish_ing=["cucumber slices", "strawberries", "mint sprig"]),
    C("Gin and Tonic", "highball glass", "Highball", "build", "a lime wedge", base=["gin"], top=["tonic water"]),
    C("Greyhound", "highball glass", "Highball", "build", "a grapefruit wedge", base=["vodka"], juice=["grapefruit juice"]),
    C("Salty Dog", "highball glass", "Highball", "build", "a grapefruit wedge", base=["gin"], juice=["grapefruit juice"], rim=["salt"]),
    C("Pink Lady", "coupe", "Sour", "shake", "a brandied cherry", base=["gin", "applejack"], juice=["lemon juice"],
      sweet=["grenadine"], egg=["egg white"]),
    C("Jack Rose", "coupe", "Sour", "shake", "an apple slice", base=["applejack"], juice=["lemon juice"], sweet=["grenadine"]),
    C("Between the Sheets", "coupe", "Sour", "shake", "a flamed orange peel", base=["cognac", "white rum"], mods=["cointreau"],
      juice=["lemon juice"]),
    C("Rob Roy", "coupe", "Stirred", "stir", "a brandied cherry", base=["blended scotch"], mods=["sweet vermouth"],
      bitters=["angostura bitters"]),
    C("Martinez", "coupe", "Stirred", "stir", "an orange twist", base=["old tom gin"], mods=["sweet vermouth", "maraschino liqueur"],
      bitters=["angostura bitters"]),
    C("Vesper", "martini glass", "Stirred", "stir", "a long lemon peel", base=["gin", "vodka"], mods=["lillet blanc"]),
    C("Gibson", "martini glass", "Stirred", "stir", "a cocktail onion", base=["gin"], mods=["dry vermouth"], garnish_ing=["cocktail onion"]),
    C("Mary Pickford", "coupe", "Sour", "shake", "a brandied cherry", base=["white rum"], mods=["maraschino liqueur"],
      juice=["pineapple juice"], sweet=["grenadine"]),
    C("Blood and Sand", "coupe", "Sour", "shake", "an orange peel", base=["blended scotch"], mods=["cherry heering", "sweet vermouth"],
      juice=["orange juice"]),
    C("Gin Rickey", "highball glass", "Fizz", "build", "a lime wheel", base=["gin"], juice=["lime juice"], top=["soda water"]),
    C("Virgin Mojito", "highball glass", "Mocktail", "build", "a mint sprig", juice=["lime juice"], sweet=["simple syrup"],
      muddle=["mint leaves"], top=["soda water"]),
    C("Shirley Temple", "highball glass", "Mocktail", "build", "a maraschino cherry", sweet=["grenadine"], top=["ginger ale"],
      garnish_ing=["maraschino cherry"]),
    C("Arnold Palmer", "highball glass", "Mocktail", "build", "a lemon wheel", juice=["iced tea", "lemonade"]),
    C("Virgin Mary", "highball glass", "Mocktail", "build", "a celery stalk", juice=["tomato juice", "lemon juice"],
      bitters=["worcestershire sauce", "hot sauce"], rim=["celery salt"]),
    C("Bijou", "coupe", "Stirred", "stir", "a lemon twist", base=["gin"], mods=["sweet vermouth", "green chartreuse"], bitters=["orange bitters"]),
    C("Hanky Panky", "coupe", "Stirred", "stir", "an orange peel", base=["gin"], mods=["sweet vermouth", "fernet-branca"]),
    C("Brooklyn", "coupe", "Stirred", "stir", "a brandied cherry", base=["rye whiskey"],
      mods=["dry vermouth", "maraschino liqueur", "amer picon"]),
    C("Ward Eight", "coupe", "Sour", "shake", "an orange slice", base=["rye whiskey"], juice=["lemon juice", "orange juice"], sweet=["grenadine"]),
    C("Scofflaw", "coupe", "Sour", "shake", "a lemon twist", base=["rye whiskey"], mods=["dry vermouth"], juice=["lemon juice"],
      sweet=["grenadine"], bitters=["orange bitters"]),
    C("Planter's Punch", "highball glass", "Tiki", "shake", "an orange slice and a cherry", base=["dark rum"], juice=["lime juice"],
      sweet=["demerara syrup", "grenadine"], bitters=["angostura bitters"], top=["soda water"]),
    C("Queen's Park Swizzle", "highball glass", "Tiki", "swizzle", "a mint sprig", base=["demerara rum"], juice=["lime juice"],
      sweet=["demerara syrup"], muddle=["mint leaves"], float=["angostura bitters"]),
    C("Navy Grog", "rocks glass", "Tiki", "shake", "a mint sprig", base=["white rum", "dark rum"], juice=["lime juice", "grapefruit juice"],
      sweet=["honey syrup"], top=["soda water"]),
    C("Rusty Nail", "rocks glass", "Stirred", "stir", "a lemon twist", base=["blended scotch"], mods=["drambuie"]),
    C("Black Russian", "rocks glass", "Stirred", "build", None, base=["vodka"], mods=["coffee liqueur"]),
    C("Whiskey Smash", "rocks glass", "Sour", "shake", "a mint sprig", base=["bourbon"], sweet=["simple syrup"],
      muddle=["lemon wedges", "mint leaves"]),
    C("Lemon Drop", "martini glass", "Sour", "shake", "a lemon twist", base=["vodka"], mods=["triple sec"], juice=["lemon juice"],
      sweet=["simple syrup"], rim=["sugar"]),
    C("Garibaldi", "highball glass", "Highball", "build", "an orange wedge", mods=["campari"], juice=["orange juice"]),
    C("Hugo", "wine glass", "Sparkling", "build", "a lime wheel", mods=["elderflower liqueur"], muddle=["mint leaves"],
      top=["prosecco", "soda water"]),
    C("Death in the Afternoon", "flute", "Sparkling", "build", None, mods=["absinthe"], top=["champagne"]),
    C("Batanga", "highball glass", "Highball", "build", "a lime wedge", base=["blanco tequila"], juice=["lime juice"], top=["cola"], rim=["salt"]),
    C("Ti' Punch", "rocks glass", "Stirred", "build", None, base=["rhum agricole"], sweet=["cane syrup"], muddle=["lime disc"]),
    C("El Presidente", "coupe", "Stirred", "stir", "an orange twist", base=["white rum"], mods=["blanc vermouth", "orange curaçao"],
      sweet=["grenadine"]),
]

# name root used when a classic gets a twist / spirit swap
TWIST_ROOT = {
    "Daiquiri": "Daiquiri", "Margarita": "Margarita", "Gimlet": "Gimlet", "Mojito": "Mojito", "Caipirinha": "Caipirinha",
    "Tom Collins": "Collins", "Moscow Mule": "Mule", "Whiskey Sour": "Whiskey Sour", "Bee's Knees": "Bee's Knees",
    "Gin Fizz": "Gin Fizz", "Whiskey Smash": "Smash", "Paloma": "Paloma", "Southside": "Southside", "Bramble": "Bramble",
    "Mai Tai": "Mai Tai", "Lemon Drop": "Lemon Drop", "Mint Julep": "Julep", "French 75": "French 75",
    "Gin and Tonic": "Gin and Tonic", "Gold Rush": "Gold Rush", "Aperol Spritz": "Spritz", "Gin Rickey": "Rickey",
}
SWAP_ROOT = {"Negroni": "Negroni", "Old Fashioned": "Old Fashioned", "Manhattan": "Manhattan", "Moscow Mule": "Mule",
             "Whiskey Sour": "Sour", "Dry Martini": "Martini", "Gimlet": "Gimlet", "Tom Collins": "Collins",
             "Mint Julep": "Julep", "Boulevardier": "Boulevardier", "Margarita": "Margarita", "Whiskey Smash": "Smash",
             "Daiquiri": "Daiquiri", "Gin Rickey": "Rickey"}
FROZEN_OK = {"Daiquiri", "Margarita", "Mojito", "Paloma", "Caipirinha", "Mai Tai", "Bee's Knees"}

FRUIT_TWISTS = [("Strawberry", "strawberries", "muddle"), ("Raspberry", "raspberries", "muddle"),
                ("Blackberry", "blackberries", "muddle"), ("Watermelon", "watermelon juice", "juice"),
                ("Mango", "mango purée", "juice"), ("Passion Fruit", "passion fruit purée", "juice"),
                ("Pineapple", "pineapple juice", "juice"), ("Peach", "peach purée", "juice"),
                ("Cucumber", "cucumber slices", "muddle"), ("Blood Orange", "blood orange juice", "juice"),
                ("Pear", "pear purée", "juice"), ("Grapefruit", "grapefruit juice", "juice"), ("Cherry", "cherries", "muddle"),
                ("Green Apple", "green apple juice", "juice"), ("Pomegranate", "pomegranate juice", "juice"),
                ("Kiwi", "kiwi", "muddle"), ("Blueberry", "blueberries", "muddle"), ("Guava", "guava nectar", "juice")]
HERB_TWISTS = [("Ginger", "ginger syrup", "sweet"), ("Rosemary", "rosemary syrup", "sweet"), ("Lavender", "lavender syrup", "sweet"),
               ("Cinnamon", "cinnamon syrup", "sweet"), ("Honey", "honey syrup", "sweet"), ("Hibiscus", "hibiscus syrup", "sweet"),
               ("Basil", "basil leaves", "muddle"), ("Thyme", "thyme syrup", "sweet"), ("Spicy", "jalapeño slices", "muddle"),
               ("Vanilla", "vanilla syrup", "sweet"), ("Elderflower", "elderflower liqueur", "mods"), ("Mint", "mint leaves", "muddle"),
               ("Maple", "maple syrup", "sweet"), ("Chai", "chai syrup", "sweet"), ("Sage", "sage leaves", "muddle")]
SPIRIT_SWAPS = [("Mezcal", "mezcal"), ("Rye", "rye whiskey"), ("Rum", "aged rum"), ("Tequila", "reposado tequila"),
                ("Apple Brandy", "apple brandy"), ("Scotch", "blended scotch"), ("Cognac", "cognac"), ("Vodka", "vodka"),
                ("Gin", "gin"), ("Bourbon", "bourbon"), ("Aquavit", "aquavit"), ("Pisco", "pisco"), ("Japanese Whisky", "japanese whisky")]
FRUIT_GARNISH = {"strawberries": "a strawberry slice", "raspberries": "a skewered raspberry", "blackberries": "a blackberry",
                 "watermelon juice": "a small watermelon wedge", "cucumber slices": "a cucumber ribbon",
                 "blood orange juice": "a blood orange wheel", "grapefruit juice": "a grapefruit peel", "cherries": "a cherry",
                 "pineapple juice": "a pineapple wedge", "green apple juice": "a thin apple fan", "kiwi": "a kiwi wheel",
                 "blueberries": "a few blueberries", "basil leaves": "a basil leaf", "jalapeño slices": "a jalapeño slice",
                 "rosemary syrup": "a rosemary sprig", "thyme syrup": "a thyme sprig", "sage leaves": "a sage leaf",
                 "cinnamon syrup": "a cinnamon stick", "ginger syrup": "candied ginger", "lavender syrup": "a lavender sprig",
                 "mint leaves": "a mint sprig"}


def make_variation(rng: random.Random, by_name: dict) -> dict | None:
    kind = rng.choice(["fruit", "fruit", "herb", "herb_fruit", "swap", "swap", "frozen"])
    if kind == "swap":
        src = by_name[rng.choice(sorted(SWAP_ROOT))]
    elif kind == "frozen":
        src = by_name[rng.choice(sorted(FROZEN_OK))]
    else:
        src = by_name[rng.choice(sorted(TWIST_ROOT))]
    c = copy.deepcopy(src)
    labels: list[str] = []
    root = TWIST_ROOT.get(src["name"], src["name"])
    present = set(cocktail_ingredients(c))

    def add_fruit():
        lab, item, slot = rng.choice(FRUIT_TWISTS)
        if item in present or lab.lower() in src["name"].lower():
            return False
        c[slot].append(item)
        c["garnish"] = FRUIT_GARNISH.get(item, c["garnish"])
        labels.append(lab)
        return True

    def add_herb():
        lab, item, slot = rng.choice(HERB_TWISTS)
        if item in present or lab.lower() in src["name"].lower():
            return False
        if slot == "sweet" and c["sweet"]:
            c["sweet"][0] = item
        else:
            c[slot].append(item)
        c["garnish"] = FRUIT_GARNISH.get(item, c["garnish"])
        labels.append(lab)
        return True

    if kind == "fruit":
        if not add_fruit():
            return None
    elif kind == "herb":
        if not add_herb():
            return None
    elif kind == "herb_fruit":
        if not add_herb() or not add_fruit():
            return None
    elif kind == "swap":
        lab, spirit = rng.choice(SPIRIT_SWAPS)
        if not c["base"] or spirit in c["base"]:
            return None
        c["base"][0] = spirit
        labels.append(lab)
        root = SWAP_ROOT[src["name"]]
    else:  # frozen
        if rng.random() < 0.6 and not add_fruit():
            return None
        labels.insert(0, "Frozen")
        c["method"], c["category"] = "blend", "Frozen"
        c["glass"] = rng.choice(["hurricane glass", "coupe", "highball glass"])
        c["rim"] = [r for r in c["rim"] if r != "salt"] if c["glass"] != "coupe" else c["rim"]
        c["top"] = []
    if kind in ("fruit", "herb", "herb_fruit") and c["method"] == "stir":
        return None
    c["name"] = " ".join(labels + [root])
    return c


def cocktail_instructions(rng: random.Random, c: dict) -> str:
    g = c["glass"]
    m = c["method"]
    base_mods = c["base"] + c["mods"]
    liq = base_mods + c["juice"] + c["sweet"] + c["bitters"]
    egg, muddle, top, flt = c["egg"], c["muddle"], c["top"], c["float"]
    S: list[str] = []
    glass_ref = art(g)
    if c["rim"]:
        S.append(rng.choice([f"Rim {art(g)} with {nat_join(c['rim'])}.", f"Moisten the edge of {art(g)} and dip it in {nat_join(c['rim'])}."]))
        glass_ref = "the prepared glass"
    if c["rinse"] and m != "rinse_stir":
        S.append(f"Rinse a chilled {g} with the {nat_join(c['rinse'])} and discard the excess.")
        glass_ref = "the rinsed glass"
    over_ice = g in ("rocks glass", "highball glass", "collins glass", "tiki mug", "hurricane glass", "copper mug", "julep cup", "wine glass")
    crushed = c["category"] == "Tiki" or g == "julep cup"

    if m == "shake":
        rest = liq + egg
        if muddle:
            S.append(rng.choice([f"Muddle the {nat_join(muddle)} in a cocktail shaker.",
                                 f"Gently press the {nat_join(muddle)} in the base of a shaker."]))
            mix = f"Add the {nat_join(rest)}" + (", dry-shake, then shake again with ice" if "egg white" in egg else ", fill with ice and shake hard")
        elif "egg white" in egg:
            mix = rng.choice([f"Dry-shake the {nat_join(rest)} without ice, then shake again with ice",
                              f"Shake the {nat_join(rest)} without ice to froth the egg white, then add ice and shake again"])
        else:
            mix = rng.choice([f"Shake the {nat_join(rest)} hard with ice", f"Add the {nat_join(rest)} to a shaker with ice and shake until well chilled",
                              f"Combine the {nat_join(rest)} in a shaker, fill with ice and shake vigorously"])
        if glass_ref.startswith("the "):
            strain = f"strain into {glass_ref}" + (" over fresh ice" if over_ice else "")
        elif over_ice:
            strain = f"strain over {'crushed' if crushed else 'fresh'} ice in {art(g)}"
        else:
            strain = f"double-strain into a chilled {g}"
        top_txt = f" and top {rng.choice(['', 'up '])}with {nat_join(top)}" if top else ""
        if "egg white" in egg:
            S.append(mix + ".")
            S.append(cap(strain) + top_txt + ".")
        else:
            S.append(mix + ", then " + strain + top_txt + ".")
    elif m == "stir":
        if muddle:
            S.append(f"Muddle the {nat_join(muddle)} with the {nat_join(c['bitters'])} and a splash of water in {art(g)}."
                     if c["bitters"] else f"Muddle the {nat_join(muddle)} in {art(g)}.")
            rest = base_mods + c["juice"] + c["sweet"]
            S.append(f"Add the {nat_join(rest)} and a large ice cube and stir until well chilled.")
        else:
            mix = rng.choice([f"Stir the {nat_join(liq)} with ice in a mixing glass until well chilled",
                              f"Add the {nat_join(liq)} to a mixing glass with ice and stir for about 30 seconds"])
            if glass_ref.startswith("the "):
                mix += f", then strain into {glass_ref}"
            elif g == "rocks glass":
                mix += f", then strain over a large ice cube in {art(g)}"
            else:
                mix += f", then strain into a chilled {g}"
            S.append(mix + ".")
            if top:
                S.append(f"Top with {nat_join(top)}.")
    elif m == "rinse_stir":
        S.append(f"Rinse a chilled {g} with the {nat_join(c['rinse'])} and discard the excess.")
        S.append(f"In a mixing glass, muddle the {nat_join(muddle)} with the {nat_join(c['bitters'])}, add the "
                 f"{nat_join(base_mods)} and ice and stir, then strain into the rinsed glass.")
    elif m == "build":
        used_sweet = bool(muddle and c["sweet"])
        rest = base_mods + c["juice"] + ([] if used_sweet else c["sweet"]) + c["bitters"]
        ice = "crushed ice" if (crushed or (muddle and "mint leaves" in muddle)) else "ice"
        no_ice = g in _UP_GLASSES
        if muddle:
            S.append(f"Muddle the {nat_join(muddle)}" + (f" with the {nat_join(c['sweet'])}" if used_sweet else "")
                     + f" in {glass_ref if glass_ref.startswith('the ') else art(g)}.")
            tail = f" and top with {nat_join(top)}" if top else " and stir until the glass is frosty"
            S.append((f"Add the {nat_join(rest)}, fill with {ice}" if rest else f"Fill with {ice}") + tail + ".")
        elif no_ice:
            S.append(f"Pour the {nat_join(rest)} into {glass_ref if glass_ref.startswith('the ') else 'a chilled ' + g}"
                     + (f" and top with {nat_join(top)}." if top else "."))
        elif rest:
            where = glass_ref if glass_ref.startswith("the ") else art(g)
            S.append(rng.choice([
                f"Fill {where} with ice and add the {nat_join(rest)}" + (f", then top with {nat_join(top)}." if top else ", then stir."),
                f"Build the {nat_join(rest)} over ice in {where}" + (f" and top with {nat_join(top)}." if top else " and stir briefly."),
            ]))
        else:
            S.append(f"Fill {art(g)} with ice and pour in the {nat_join(top)}.")
    elif m == "layer":
        S.append(f"Pour the {nat_join(base_mods + c['juice'])} over ice in {art(g)} and stir.")
        S.append(f"Slowly pour in the {nat_join(c['sweet'])} so it sinks to the bottom.")
    elif m == "blend":
        S.append(rng.choice([f"Blend the {nat_join(liq + muddle + egg)} with a cup of crushed ice until smooth.",
                             f"Add the {nat_join(liq + muddle + egg)} to a blender with plenty of ice and blend until slushy."]))
        S.append(f"Pour into {glass_ref if glass_ref.startswith('the ') else art(g)}.")
    elif m == "swizzle":
        if muddle:
            S.append(f"Lightly muddle the {nat_join(muddle)} in {art(g)}, then add the {nat_join(liq)} and fill with crushed ice.")
        else:
            S.append(f"Add the {nat_join(liq)} to {art(g)} and fill with crushed ice.")
        S.append("Swizzle until the glass frosts over" + (f", then top with {nat_join(top)}." if top else " and top with more ice."))
    elif m == "hot":
        S.append(f"Stir the {nat_join(c['sweet'])} into the {nat_join(c['juice'])} in a warmed {g} until dissolved, then add the {nat_join(base_mods)}.")
    else:
        raise ValueError(m)

    end = []
    if flt:
        f = nat_join(flt)
        if all("bitters" in x for x in flt):
            end.append(f"Dash the {f} over the top")
        elif flt == ["heavy cream"]:
            end.append("Float the lightly whipped heavy cream on top")
        else:
            end.append(rng.choice([f"Float the {f} on top", f"Gently pour the {f} over the top"]))
    if c["garnish"]:
        gar = c["garnish"]
        if m in ("stir", "rinse_stir") and ("peel" in gar or "twist" in gar):
            end.append(f"express {gar} over the drink" if end else f"Express {gar} over the drink and drop it in")
        else:
            word = rng.choice(["garnish with", "finish with"]) if end else rng.choice(["Garnish with", "Garnish with", "Finish with"])
            end.append(f"{word} {gar}")
    if end:
        S.append(end[0] + (" and " + lower_first(end[1]) if len(end) > 1 else "") + ".")
    while len(S) > 3:  # keep it to 1-3 sentences
        S[-2] = S[-2].rstrip(".") + ", then " + lower_first(S[-1])
        S.pop()
    text = " ".join(S)
    low = text.lower()
    missing = [i for i in cocktail_ingredients(c) if i.lower() not in low]
    assert not missing, (c["name"], missing, text)
    return text


def _cocktail_row(rng, c):
    return {"name": c["name"], "ingredients": ", ".join(cocktail_ingredients(c)),
            "instructions": cocktail_instructions(rng, c), "glass": c["glass"], "category": c["category"]}


def build_classics(rng: random.Random) -> list[dict]:
    by_name = {c["name"]: c for c in CLASSICS}
    assert len(by_name) == len(CLASSICS)
    drinks = list(CLASSICS)
    names = {c["name"].lower() for c in drinks}
    tries = 0
    while len(drinks) < N_CLASSICS:
        tries += 1
        assert tries < 20000
        v = make_variation(rng, by_name)
        if v is None or v["name"].lower() in names or len(cocktail_ingredients(v)) > 12:
            continue
        names.add(v["name"].lower())
        drinks.append(v)
    return [_cocktail_row(rng, c) for c in drinks]


# ------------------------------------------------------------- modern bar
M_SPIRITS = ["london dry gin", "navy strength gin", "vodka", "white rum", "aged rum", "dark rum", "blanco tequila",
             "reposado tequila", "mezcal", "bourbon", "rye whiskey", "japanese whisky", "blended scotch", "cognac", "pisco",
             "cachaça", "calvados", "aquavit", "genever", "sotol"]
M_LIQUEURS = ["elderflower liqueur", "cointreau", "aperol", "campari", "maraschino liqueur", "green chartreuse",
              "yellow chartreuse", "amaretto", "coffee liqueur", "crème de cassis", "ginger liqueur", "pear liqueur",
              "peach liqueur", "passion fruit liqueur", "amaro montenegro", "amaro nonino", "cynar", "bénédictine",
              "apricot liqueur", "crème de violette", "triple sec", "falernum"]
M_FORTIFIED = ["sweet vermouth", "dry vermouth", "blanc vermouth", "fino sherry", "amontillado sherry", "lillet blanc",
               "cocchi americano", "ruby port", "amaro montenegro", "cynar", "campari", "suze"]
M_CITRUS = ["lime juice", "lemon juice", "grapefruit juice", "blood orange juice", "yuzu juice", "orange juice"]
M_FRUIT = ["passion fruit purée", "mango purée", "strawberry purée", "raspberry purée", "peach purée", "pear purée",
           "watermelon juice", "cucumber juice", "pineapple juice", "apple juice", "cranberry juice", "pomegranate juice",
           "guava nectar", "lychee purée", "rhubarb cordial", "tomato water"]
M_MUDDLE = ["mint leaves", "basil leaves", "cucumber slices", "strawberries", "raspberries", "blackberries", "fresh ginger",
            "jalapeño slices", "sage leaves", "shiso leaves", "blueberries", "orange wedges", "kumquats"]
M_SYRUPS = ["simple syrup", "honey syrup", "agave syrup", "demerara syrup", "ginger syrup", "cinnamon syrup", "rosemary syrup",
            "lavender syrup", "vanilla syrup", "orgeat", "grenadine", "passion fruit syrup", "maple syrup", "hibiscus syrup",
            "chai syrup", "thyme syrup", "earl grey syrup", "cardamom syrup", "black pepper syrup", "smoked honey syrup"]
M_BITTERS = ["angostura bitters", "orange bitters", "peychaud's bitters", "chocolate bitters", "celery bitters",
             "grapefruit bitters", "cardamom bitters", "mole bitters", "saline solution"]
M_TOPS = ["soda water", "tonic water", "ginger beer", "ginger ale", "grapefruit soda", "sparkling water", "kombucha", "lemonade",
          "cola", "elderflower tonic"]
M_SPARKLING = ["prosecco", "champagne", "cava", "crémant", "sparkling rosé"]
M_MOCK_BASE = ["cold-brew hibiscus tea", "jasmine tea", "cold brew coffee", "raspberry shrub", "apple cider vinegar",
               "verjus", "non-alcoholic aperitif", "coconut water", "rooibos tea", "lapsang souchong tea"]

_ADJ = ["Velvet", "Smoked", "Golden", "Midnight", "Copper", "Wild", "Silent", "Electric", "Crimson", "Jade", "Paper",
        "Neon", "Hidden", "Lost", "Salted", "Burnt", "Emerald", "Amber", "Ivory", "Northern", "Low Tide", "Secret", "Scarlet",
        "Lunar", "Dusty", "Frosted", "Gilded", "Hazy", "Quiet", "Solar", "Tidal", "Wandering", "Broken", "Sunken"]
_NOUN = ["Orchard", "Meridian", "Garden", "Compass", "Lantern", "Harbor", "Fox", "Sparrow", "Parade", "Ember", "Frontier",
         "Satellite", "Voyage", "Veranda", "Canopy", "Alibi", "Serenade", "Mirage", "Outpost", "Almanac", "Signal", "Halo",
         "Nomad", "Lighthouse", "Postcard", "Orbit", "Monsoon", "Atlas", "Pavilion", "Riviera", "Telegram", "Heron", "Cartographer"]
_PLACES = ["Oaxaca", "Kyoto", "Havana", "Lisbon", "Marrakesh", "Tulum", "Bergen", "Seville", "Amalfi", "Kingston", "Brooklyn",
           "Valparaíso", "Tbilisi", "Hanoi", "Cape Town", "Bali", "Reykjavík", "Santorini", "Zanzibar", "Porto"]
_STYLE_WORD = {"Sour": ["Sour", "Smash", "Daisy"], "Highball": ["Highball", "Cooler", "Long Drink"],
               "Stirred": ["Old Fashioned", "Nightcap", "Stirrer"], "Tiki": ["Swizzle", "Punch", "Grog"],
               "Fizz": ["Fizz", "Collins", "Rickey"], "Mocktail": ["Cooler", "Spritz", "Soda"],
               "Sparkling": ["Spritz", "Royale", "Sparkler"], "Frozen": ["Slush", "Frappé", "Frozé"]}
_SINGULAR = {"strawberries": "strawberry", "raspberries": "raspberry", "blackberries": "blackberry",
             "blueberries": "blueberry", "kumquats": "kumquat"}


def _flavor_label(item: str) -> str:
    x = _SINGULAR.get(item, item)
    for s in (" purée", " juice", " syrup", " nectar", " leaves", " slices", " cordial", " wedges", " liqueur", " water"):
        x = x.replace(s, "")
    x = x.replace("fresh ", "")
    return tcase(x)


def _pick_garnish(rng, c) -> str:
    items = c["muddle"] + c["sweet"] + c["juice"] + c["mods"]
    for it in items:
        if it in FRUIT_GARNISH:
            return FRUIT_GARNISH[it]
    for it in c["juice"]:
        if "grapefruit" in it:
            return "a grapefruit peel"
        if "blood orange" in it:
            return "a blood orange wheel"
        if "lemon" in it:
            return rng.choice(["a lemon twist", "a lemon wheel"])
        if "lime" in it:
            return rng.choice(["a lime wheel", "a lime wedge", "a dehydrated lime wheel"])
    if c["category"] == "Stirred":
        return rng.choice(["an orange peel", "a lemon twist", "a brandied cherry", "a grapefruit twist"])
    if c["category"] == "Tiki":
        return rng.choice(["a mint sprig and a pineapple wedge", "an orchid", "a pineapple frond"])
    return rng.choice(["an edible flower", "a dehydrated orange wheel", "an orange twist", "a lemon twist"])


def _modern_parts(rng, cat: str) -> dict:
    r = rng.random
    p = {k: [] for k in _PARTS}
    if cat == "Sour":
        p["base"] = [rng.choice(M_SPIRITS)] + ([rng.choice(M_SPIRITS)] if r() < 0.15 else [])
        if r() < 0.4:
            p["mods"] = [rng.choice(M_LIQUEURS)]
        p["juice"] = [rng.choice(M_CITRUS[:3])]
        if r() < 0.5:
            p["juice"].append(rng.choice(M_FRUIT))
        elif r() < 0.5:
            p["muddle"] = [rng.choice(M_MUDDLE)]
        p["sweet"] = [rng.choice(M_SYRUPS)]
        if r() < 0.25:
            p["egg"] = [rng.choice(["egg white", "aquafaba"])]
        if r() < 0.3:
            p["bitters"] = [rng.choice(M_BITTERS)]
        p["method"], p["glass"] = "shake", rng.choice(["coupe", "rocks glass", "nick and nora glass"])
    elif cat == "Highball":
        p["base"] = [rng.choice(M_SPIRITS)]
        if r() < 0.4:
            p["mods"] = [rng.choice(M_LIQUEURS + M_FORTIFIED)]
        if r() < 0.7:
            p["juice"] = [rng.choice(M_CITRUS + M_FRUIT)]
        if r() < 0.5:
            p["sweet"] = [rng.choice(M_SYRUPS)]
        if r() < 0.4:
            p["muddle"] = [rng.choice(M_MUDDLE)]
        p["top"] = [rng.choice(M_TOPS)]
        p["method"], p["glass"] = "build", rng.choice(["highball glass", "collins glass", "copper mug"])
    elif cat == "Stirred":
        p["base"] = [rng.choice(M_SPIRITS)] + ([rng.choice(M_SPIRITS)] if r() < 0.3 else [])
        p["mods"] = rng.sample(M_FORTIFIED + M_LIQUEURS, rng.choice([1, 2]))
        if r() < 0.25:
            p["sweet"] = [rng.choice(["demerara syrup", "maple syrup", "honey syrup", "vanilla syrup", "smoked honey syrup"])]
        p["bitters"] = rng.sample(M_BITTERS, rng.choice([1, 1, 2]))
        p["method"], p["glass"] = "stir", rng.choice(["rocks glass", "coupe", "nick and nora glass", "martini glass"])
    elif cat == "Tiki":
        rums = ["white rum", "aged rum", "dark rum", "overproof rum", "demerara rum", "rhum agricole", "jamaican rum"]
        p["base"] = rng.sample(rums, rng.choice([1, 2, 2])) + ([rng.choice(["mezcal", "cognac", "pisco", "bourbon"])] if r() < 0.2 else [])
        p["juice"] = ["lime juice", rng.choice(["pineapple juice", "passion fruit purée", "orange juice", "grapefruit juice", "guava nectar", "mango purée"])]
        p["sweet"] = rng.sample(["orgeat", "falernum", "cinnamon syrup", "passion fruit syrup", "demerara syrup", "honey syrup",
                                 "allspice dram", "cream of coconut"], rng.choice([1, 2]))
        if r() < 0.4:
            p["bitters"] = [rng.choice(["angostura bitters", "tiki bitters", "absinthe"])]
        if r() < 0.25:
            p["float"] = [rng.choice([x for x in ("overproof rum", "dark rum", "jamaican rum") if x not in p["base"]])]
        p["method"] = rng.choice(["shake", "shake", "swizzle"])
        p["glass"] = rng.choice(["tiki mug", "hurricane glass", "rocks glass"])
    elif cat == "Fizz":
        p["base"] = [rng.choice(M_SPIRITS)]
        p["juice"] = [rng.choice(["lemon juice", "lime juice", "grapefruit juice"])]
        if r() < 0.3:
            p["juice"].append(rng.choice(M_FRUIT))
        p["sweet"] = [rng.choice(M_SYRUPS)]
        if r() < 0.5:
            p["egg"] = ["egg white"]
        p["top"] = [rng.choice(["soda water", "sparkling water", "tonic water"])]
        p["method"], p["glass"] = "shake", rng.choice(["highball glass", "collins glass", "fizz glass"])
    elif cat == "Sparkling":
        p["mods"] = [rng.choice(["aperol", "elderflower liqueur", "campari", "lillet blanc", "pear liqueur", "crème de cassis",
                                 "suze", "apricot liqueur", "cocchi americano"])]
        if r() < 0.4:
            p["base"] = [rng.choice(["london dry gin", "vodka", "cognac", "calvados", "pisco"])]
        if r() < 0.6:
            p["juice"] = [rng.choice(M_FRUIT + ["lemon juice", "grapefruit juice"])]
        p["top"] = [rng.choice(M_SPARKLING)] + (["soda water"] if r() < 0.3 else [])
        p["method"], p["glass"] = "build", rng.choice(["flute", "wine glass", "coupe"])
        if p["juice"] and r() < 0.5:
            p["method"] = "shake"
    elif cat == "Mocktail":
        p["juice"] = rng.sample(M_CITRUS + M_FRUIT + M_MOCK_BASE, rng.choice([1, 2, 2]))
        if r() < 0.7:
            p["sweet"] = [rng.choice(M_SYRUPS)]
        if r() < 0.5:
            p["muddle"] = [rng.choice(M_MUDDLE)]
        p["top"] = [rng.choice(M_TOPS)]
        p["method"] = rng.choice(["build", "build", "shake"])
        p["glass"] = rng.choice(["highball glass", "collins glass", "wine glass", "rocks glass"])
    elif cat == "Frozen":
        p["base"] = [rng.choice(["white rum", "blanco tequila", "vodka", "aperol", "mezcal", "aged rum", "pisco"])]
        p["juice"] = [rng.choice(["lime juice", "lemon juice"]), rng.choice(M_FRUIT[:8])]
        p["sweet"] = [rng.choice(M_SYRUPS)]
        if r() < 0.3:
            p["muddle"] = [rng.choice(["strawberries", "mint leaves", "basil leaves", "blueberries", "raspberries"])]
        p["method"], p["glass"] = "blend", rng.choice(["hurricane glass", "coupe", "highball glass"])
    else:
        raise ValueError(cat)
    return p


def _modern_name(rng, c, cat) -> str:
    flav = [x for x in c["muddle"] + c["juice"] + c["sweet"] + c["mods"]
            if x not in ("lime juice", "lemon juice", "simple syrup", "egg white", "cream of coconut")
            and not any(w in x for w in ("tea", "aperitif", "vinegar", "verjus", "coffee", "water"))]
    words = list(_STYLE_WORD[cat])
    if cat == "Highball" and c["top"] and c["top"][0] in ("ginger beer", "ginger ale"):
        words += ["Mule", "Buck"]
    if cat == "Mocktail":
        if "lemonade" in c["top"] or "lemon juice" in c["juice"]:
            words.append("Lemonade")
        if c["top"] and "tonic" in c["top"][0]:
            words.append("Tonic")
    pat = rng.random()
    if pat < 0.35:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if pat < 0.5:
        return f"{rng.choice(_PLACES)} {rng.choice(_NOUN)}"
    if pat < 0.6:
        return f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if len(flav) >= 2:
        a, b = rng.sample(flav, 2)
        return f"{_flavor_label(a)} & {_flavor_label(b)} {rng.choice(words)}"
    if flav:
        return f"{rng.choice(_ADJ)} {_flavor_label(flav[0])} {rng.choice(words)}"
    return f"{rng.choice(_PLACES)} {rng.choice(words)}"


MODERN_PLAN = [("Sour", 22), ("Highball", 22), ("Stirred", 18), ("Tiki", 16), ("Fizz", 14), ("Mocktail", 20),
               ("Sparkling", 10), ("Frozen", 8)]


def build_modern(rng: random.Random, taken: set[str]) -> list[dict]:
    assert sum(n for _, n in MODERN_PLAN) == N_MODERN
    rows = []
    names = set(taken)
    for cat, n in MODERN_PLAN:
        made = 0
        while made < n:
            p = _modern_parts(rng, cat)
            c = C("", p.pop("glass"), cat, p.pop("method"), None, **p)
            ings = cocktail_ingredients(c)
            if len(ings) != len(set(ings)) or len(ings) > 12 or len(ings) < 2:
                continue
            name = _modern_name(rng, c, cat)
            if name.lower() in names:
                continue
            c["name"] = name
            c["garnish"] = _pick_garnish(rng, c)
            names.add(name.lower())
            rows.append(_cocktail_row(rng, c))
            made += 1
    rng.shuffle(rows)
    # deliberate quirk: two rows lost their ingredient list (empty string)
    for i in rng.sample(range(len(rows)), 2):
        rows[i]["ingredients"] = ""
    return rows


def write_classics(rows: list[dict]) -> None:
    df = pl.DataFrame(rows, schema={"name": pl.String, "ingredients": pl.String, "instructions": pl.String,
                                    "glass": pl.String, "category": pl.String})
    df.write_parquet(CLASSICS_PATH, compression="zstd", statistics=True)


def write_modern(rows: list[dict]) -> None:
    cols = ["name", "ingredients", "instructions", "glass", "category"]
    with open(MODERN_PATH, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        for r in rows:
            w.writerow(r)


# ==========================================================================
def main() -> None:
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    COCKTAIL_DIR.mkdir(parents=True, exist_ok=True)
    # independent RNG streams so editing one dataset does not reshuffle the others
    nutrition = build_nutrition(random.Random(SEED))
    recipes = build_recipes(random.Random(SEED + 1))
    classics = build_classics(random.Random(SEED + 2))
    modern = build_modern(random.Random(SEED + 3), {r["name"].lower() for r in classics})
    write_nutrition(nutrition)
    write_recipes(recipes)
    write_classics(classics)
    write_modern(modern)
    for path, n in [(NUTRITION_PATH, len(nutrition)), (RECIPES_PATH, len(recipes)),
                    (CLASSICS_PATH, len(classics)), (MODERN_PATH, len(modern))]:
        print(f"wrote {path.relative_to(ROOT.parent)}: {n} rows, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
