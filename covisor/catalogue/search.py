"""Search text as every backend indexes it: folded so that case and accents never matter.

`fold` is applied to what is indexed and to what is searched, so the store's full-text engine
only has to split words: "Zapatílla" and "zapatilla", "żółty" and "zolty", "Straße" and
"strasse" fold alike. Unicode's compatibility decomposition drops the accents, case folding
gives "ß" → "ss", and the letters that decompose to nothing simpler (Polish "ł", Nordic "ø",
"æ", …) are mapped by hand.
"""

from __future__ import annotations

import re
import unicodedata

from covisor.store.products import IndexedProduct, ProductQuery
from covisor.store.records import ProductRecord

_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h"}
)
_WORD = re.compile(r"\w+")
MAX_TERMS = 8
"""Words of a query beyond these are ignored (a search box, not a document)."""
MAX_QUERY = 200


def fold(text: str) -> str:
    """`text` in lower case without accents: the form the index holds and queries are in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_LETTERS)


def indexed(product: ProductRecord) -> IndexedProduct:
    """`product` with its folded words (title, brand, type, colour, size, material) and codes
    (id, GTIN, MPN; space-delimited, so an exact code is found as ` code `)."""
    words = " ".join(
        fold(value)
        for value in (
            product.title,
            product.brand,
            product.product_type,
            product.color,
            product.size,
            product.material,
        )
        if value
    )
    codes = " ".join(fold(code) for code in (product.id, product.gtin, product.mpn) if code)
    return IndexedProduct(product=product, words=words, codes=f" {codes} ")


def parse_query(
    text: str,
    *,
    in_stock: bool = False,
    brand: str | None = None,
    product_type: str | None = None,
    limit: int = 20,
) -> ProductQuery:
    """The store query for what an agent typed: its folded words as prefixes, the whole text
    as an exact code (an SKU, GTIN or MPN pasted in)."""
    folded = fold(text[:MAX_QUERY]).strip()
    terms = tuple(dict.fromkeys(_WORD.findall(folded)))[:MAX_TERMS]
    code = folded if folded and " " not in folded else ""
    return ProductQuery(
        terms=terms,
        code=code,
        in_stock=in_stock,
        brand=brand,
        product_type=product_type,
        limit=limit,
    )
