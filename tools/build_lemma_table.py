"""Build replylint/data/lemmas.json: the lemma of every word form our lexicons use.

Run by a developer when the lexicons change (needs `pip install spacy-lookups-data`,
about 100 MB, which replylint itself never needs):

    python tools/build_lemma_table.py

The table maps each form of each lemma that appears in checks/lexicons/*.toml to
that lemma, from spaCy's English lookup table (derived from WordNet 3.0; its
licence is kept beside the table in replylint/data/LICENSE-wordnet.txt). A few
hundred entries load in a millisecond, where the full table is 41,582.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tomllib
from pathlib import Path

import spacy_lookups_data

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(spacy_lookups_data.__file__).parent / "data"


def lexicon_words() -> set[str]:
    """Words of the lexicons, and of the LEMMA lists in token patterns."""
    words: set[str] = set()
    for path in sorted((ROOT / "checks" / "lexicons").glob("*.toml")):
        with path.open("rb") as fh:
            for value in tomllib.load(fh).values():
                if isinstance(value, list):
                    for phrase in value:
                        words.update(re.findall(r"[a-z][a-z'-]*", phrase.lower()))
    for path in sorted((ROOT / "checks").rglob("*.toml")):
        for lemma_list in re.findall(r"LEMMA\s*=\s*\{\s*IN\s*=\s*\[([^\]]*)\]", path.read_text(encoding="utf-8")):
            words.update(re.findall(r'"([a-z]+)"', lemma_list))
    return words


def main() -> None:
    with gzip.open(DATA / "en_lemma_lookup.json.gz", "rt", encoding="utf-8") as fh:
        lookup: dict[str, str] = json.load(fh)
    wanted = lexicon_words()
    lemmas = {lookup.get(w, w) for w in wanted}
    table = {form: lemma for form, lemma in lookup.items() if lemma in lemmas and form != lemma}
    out = ROOT / "replylint" / "data" / "lemmas.json"
    out.write_text(json.dumps(dict(sorted(table.items())), indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copyfile(DATA / "en_license.txt", out.parent / "LICENSE-wordnet.txt")
    print(f"{out}: {len(table)} forms of {len(lemmas)} lemmas")


if __name__ == "__main__":
    main()
