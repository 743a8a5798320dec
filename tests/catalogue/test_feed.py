from __future__ import annotations

import csv
import gzip
import io
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covisor.catalogue import feed
from covisor.catalogue.feed import ATOM, FeedError, FeedItem, G, ItemError, read_feed
from covisor.catalogue.prices import Money

MB = 1_000_000
Attributes = Mapping[str, str | Sequence[str]]

SHIRT_S: dict[str, str | list[str]] = {
    "id": "TS-1-S",
    "item_group_id": "TS-1",
    "title": "T-shirt, red, S",
    "description": 'Soft, "combed" cotton',
    "link": "https://shop.example/p/ts-1?size=S",
    "image_link": "https://shop.example/img/ts-1-red.jpg",
    "additional_image_link": [
        "https://shop.example/img/ts-1-red-back.jpg",
        "https://shop.example/img/ts-1-red-side.jpg",
    ],
    "price": "12.99 EUR",
    "sale_price": "9,99 EUR",
    "availability": "in stock",
    "brand": "Acme",
    "gtin": "4006381333931",
    "mpn": "TS1S",
    "color": "red",
    "size": "S",
    "material": "cotton",
    "product_type": "Apparel > Shirts",
    "condition": "new",
    "custom_label_0": "summer",
}
SHIRT_M: dict[str, str | list[str]] = {
    "id": "TS-1-M",
    "item_group_id": "TS-1",
    "title": "T-shirt, blue, M",
    "image_link": "https://shop.example/img/ts-1-blue.jpg",
    "additional_image_link": ["https://shop.example/img/ts-1-blue-back.jpg"],
    "price": "EUR 12.99",
    "availability": "out_of_stock",
    "color": "blue",
    "size": "M",
}
MUG: dict[str, str | list[str]] = {
    "id": "MUG-7",
    "title": "Mug",
    "image_link": "https://shop.example/img/mug.jpg",
    "price": "1.299,00 PLN",
    "availability": "PreOrder",
}
CATALOGUE = [SHIRT_S, SHIRT_M, MUG]

EXPECTED = [
    FeedItem(
        id="TS-1-S",
        title="T-shirt, red, S",
        description='Soft, "combed" cotton',
        link="https://shop.example/p/ts-1?size=S",
        image_link="https://shop.example/img/ts-1-red.jpg",
        additional_image_links=(
            "https://shop.example/img/ts-1-red-back.jpg",
            "https://shop.example/img/ts-1-red-side.jpg",
        ),
        price=Money(Decimal("12.99"), "EUR"),
        sale_price=Money(Decimal("9.99"), "EUR"),
        availability="in_stock",
        brand="Acme",
        gtin="4006381333931",
        mpn="TS1S",
        item_group_id="TS-1",
        color="red",
        size="S",
        material="cotton",
        product_type="Apparel > Shirts",
        condition="new",
        extra={"custom_label_0": "summer"},
    ),
    FeedItem(
        id="TS-1-M",
        title="T-shirt, blue, M",
        description="",
        link="",
        image_link="https://shop.example/img/ts-1-blue.jpg",
        additional_image_links=("https://shop.example/img/ts-1-blue-back.jpg",),
        price=Money(Decimal("12.99"), "EUR"),
        sale_price=None,
        availability="out_of_stock",
        brand="",
        gtin="",
        mpn="",
        item_group_id="TS-1",
        color="blue",
        size="M",
        material="",
        product_type="",
        condition="",
        extra={},
    ),
    FeedItem(
        id="MUG-7",
        title="Mug",
        description="",
        link="",
        image_link="https://shop.example/img/mug.jpg",
        additional_image_links=(),
        price=Money(Decimal("1299.00"), "PLN"),
        sale_price=None,
        availability="preorder",
        brand="",
        gtin="",
        mpn="",
        item_group_id="",
        color="",
        size="",
        material="",
        product_type="",
        condition="",
        extra={},
    ),
]

SHOE: dict[str, str | list[str]] = {
    "id": "SH-1",
    "title": "Shoe",
    "price": "59.00 EUR",
    "image_link": "https://shop.example/img/sh-1.jpg",
    "availability": "in stock",
}


def g_attributes(attributes: Attributes) -> str:
    return "".join(
        f"<g:{name}>{escape(value)}</g:{name}>"
        for name, values in attributes.items()
        for value in ([values] if isinstance(values, str) else values)
    )


def rss_item(attributes: Attributes, own: str = "") -> str:
    return f"<item>\n  {own}{g_attributes(attributes)}\n</item>\n"


def rss(*items: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return (
        f'{prolog}<rss version="2.0" xmlns:g="{G}">\n<channel>\n<title>Shop</title>\n'
        f"<link>https://shop.example/</link>\n{''.join(items)}</channel>\n</rss>\n"
    )


def atom(*entries: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{ATOM}" xmlns:g="{G}">\n'
        f"<title>Shop</title>\n<id>urn:shop</id>\n{''.join(entries)}</feed>\n"
    )


def atom_entry(attributes: Attributes, own: str = "") -> str:
    return f"<entry>{own}{g_attributes(attributes)}</entry>\n"


def delimited(items: Sequence[Attributes], delimiter: str) -> str:
    names = list(dict.fromkeys(name for item in items for name in item))
    rows = [
        [
            value if isinstance(value, str) else ",".join(value)
            for value in (item.get(name, "") for name in names)
        ]
        for item in items
    ]
    if delimiter == "\t":  # as Google's TSV is written: no quoting
        return "".join("\t".join(row) + "\n" for row in [names, *rows])
    out = io.StringIO()
    csv.writer(out).writerows([names, *rows])
    return out.getvalue()


FORMATS: dict[str, Callable[[Sequence[Attributes]], str]] = {
    "rss": lambda items: rss(*map(rss_item, items)),
    "atom": lambda items: atom(*map(atom_entry, items)),
    "tsv": lambda items: delimited(items, "\t"),
    "csv": lambda items: delimited(items, ","),
}


def write(directory: Path, content: str | bytes, *, zipped: bool = False) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path = directory / "feed.bin"
    path.write_bytes(gzip.compress(data) if zipped else data)
    return path


def read(path: Path, *, max_bytes: int = 10 * MB, batch_size: int = 500) -> list[object]:
    return [
        item
        for batch in read_feed(path, max_bytes=max_bytes, batch_size=batch_size)
        for item in batch
    ]


def refusal(path: Path, *, max_bytes: int = 10 * MB) -> str:
    with pytest.raises(FeedError) as raised:
        read(path, max_bytes=max_bytes)
    assert str(raised.value) == raised.value.reason
    return raised.value.reason


def one(tmp_path: Path, attributes: Attributes, format: str = "rss") -> object:
    [item] = read(write(tmp_path, FORMATS[format]([attributes])))
    return item


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.mark.parametrize("zipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("chunk", [1, 5, feed.CHUNK])
def test_every_format_reads_the_same_catalogue(
    tmp_path: Path, format: str, zipped: bool, chunk: int
) -> None:
    path = write(tmp_path, FORMATS[format](CATALOGUE), zipped=zipped)
    with patch.object(feed, "CHUNK", chunk):
        assert read(path) == EXPECTED


def test_rss_items_fall_back_on_their_own_title_link_and_description(tmp_path: Path) -> None:
    own = (
        "<title>Own title</title><link>https://shop.example/own</link>"
        "<description>Own description</description>"
    )
    path = write(tmp_path, rss(rss_item(SHOE, own), rss_item({**SHOE, "id": "SH-2"}, own)))
    path.write_text(path.read_text().replace("<g:title>Shoe</g:title>", "", 1))
    first, second = read(path)
    assert isinstance(first, FeedItem) and isinstance(second, FeedItem)
    assert (first.title, first.link, first.description) == (
        "Own title",
        "https://shop.example/own",
        "Own description",
    )
    assert (second.title, second.link, second.description) == (
        "Shoe",
        "https://shop.example/own",
        "Own description",
    )


def test_atom_entries_use_the_alternate_link_and_summary_or_content(tmp_path: Path) -> None:
    attributes = {key: value for key, value in SHOE.items() if key != "title"}
    entries = [
        atom_entry(
            attributes,
            '<title type="html">Shoe &amp; lace</title>'
            '<link rel="self" href="https://shop.example/feed/1"/>'
            '<link href="https://shop.example/p/1"/>'
            "<summary>Summary</summary><content>Content</content>",
        ),
        atom_entry(
            {**attributes, "id": "SH-2"},
            '<title>Boot</title><link rel="alternate" href="https://shop.example/p/2"/>'
            '<content type="html">&lt;p&gt;Content&lt;/p&gt;</content>',
        ),
    ]
    first, second = read(write(tmp_path, atom(*entries)))
    assert isinstance(first, FeedItem) and isinstance(second, FeedItem)
    assert (first.title, first.link, first.description) == (
        "Shoe & lace",
        "https://shop.example/p/1",
        "Summary",
    )
    assert (second.title, second.link, second.description) == (
        "Boot",
        "https://shop.example/p/2",
        "<p>Content</p>",
    )


def test_unknown_attributes_are_kept_up_to_the_limits(tmp_path: Path) -> None:
    unknown = {f"custom_{n:02}": f"value {n}" for n in range(25)}
    attributes = {**SHOE, "long": "x" * 1_001, "longest": "y" * 1_000, **unknown}
    shipping = (
        "<g:shipping>\n  <g:country>US</g:country>\n  <g:service>Standard</g:service>\n"
        "  <g:price>4.95 USD</g:price>\n</g:shipping>"
    )
    item = one(tmp_path, attributes)
    assert isinstance(item, FeedItem)
    assert item.extra == {"longest": "y" * 1_000} | {
        f"custom_{n:02}": f"value {n}" for n in range(19)
    }
    [item] = read(write(tmp_path, rss(rss_item(SHOE, shipping))))
    assert isinstance(item, FeedItem)
    assert item.extra == {"shipping": "country:US;service:Standard;price:4.95 USD"}


def test_delimited_headers_take_any_case_a_g_prefix_and_spaces(tmp_path: Path) -> None:
    text = (
        "\ufeffG:ID,Title,Image Link,g:price,AVAILABILITY,Custom Label 0\r\n"
        "SH-1,Shoe,https://shop.example/img/sh-1.jpg,59.00 EUR,in stock,sale\r\n"
    )
    [item] = read(write(tmp_path, text))
    assert isinstance(item, FeedItem)
    assert (item.id, item.title, item.extra) == ("SH-1", "Shoe", {"custom_label_0": "sale"})


def test_delimited_cells_are_read_as_the_csv_module_reads_them(tmp_path: Path) -> None:
    text = (
        "id,title,description,image_link,price,availability\n"
        "\n"
        'A,"Shoe, left","Line one\r\nline ""two""",https://shop.example/a.jpg,1 EUR,in stock\n'
        'B,"Boot" tall,15" high,https://shop.example/b.jpg,2 EUR,in stock,ignored,cells\n'
        "C,Clog\n"
        "D,Sock,,https://shop.example/d.jpg,3 EUR,in stock"
    )
    a, b, c, d = read(write(tmp_path, text))
    assert isinstance(a, FeedItem) and isinstance(b, FeedItem) and isinstance(d, FeedItem)
    assert (a.title, a.description) == ("Shoe, left", 'Line one\r\nline "two"')
    assert (b.title, b.description, b.extra) == ("Boot tall", '15" high', {})
    assert c == ItemError(3, "C", "image_link: missing")
    assert d.title == "Sock"


def test_an_unclosed_quote_refuses_the_feed(tmp_path: Path) -> None:
    text = 'id,title\nA,Shoe\nB,"Boot\nC,Clog\n'
    assert refusal(write(tmp_path, text)) == "the file ends inside a quoted value opened on line 3"


def test_values_are_trimmed_and_blank_ones_are_absent(tmp_path: Path) -> None:
    padding = " \n\t" * 5_000
    attributes = {
        **SHOE,
        "title": f"{padding}{'t' * 200}{padding}",
        "brand": "   ",
        "color": " red ",
    }
    item = one(tmp_path, attributes)
    assert isinstance(item, FeedItem)
    assert (item.title, item.brand, item.color) == ("t" * 200, "", "red")
    inner = {**SHOE, "title": f"t{padding}t"}
    assert one(tmp_path, inner) == ItemError(1, "SH-1", "title: over 200 characters")


@pytest.mark.parametrize("format", ["rss", "csv"])
@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("title", 200),
        ("description", 5_000),
        ("link", 2_048),
        ("image_link", 2_048),
        ("brand", 1_000),
        ("product_type", 1_000),
    ],
)
def test_values_over_their_limit_refuse_the_item(
    tmp_path: Path, format: str, name: str, limit: int
) -> None:
    def value(length: int) -> str:
        prefix = "https://shop.example/" if "link" in name else ""
        return prefix + "a" * (length - len(prefix))

    item = one(tmp_path, {**SHOE, name: value(limit)}, format)
    assert isinstance(item, FeedItem)
    assert getattr(item, name) == value(limit)
    reason = f"{name}: over {limit} characters"
    assert one(tmp_path, {**SHOE, name: value(limit + 1)}, format) == ItemError(1, "SH-1", reason)


def test_an_id_over_50_characters_refuses_the_item_without_naming_it(tmp_path: Path) -> None:
    assert isinstance(one(tmp_path, {**SHOE, "id": "i" * 50}), FeedItem)
    assert one(tmp_path, {**SHOE, "id": "i" * 51}) == ItemError(1, None, "id: over 50 characters")


def test_more_than_ten_additional_images_refuse_the_item(tmp_path: Path) -> None:
    links = [f"https://shop.example/img/{n}.jpg" for n in range(11)]
    for format in FORMATS:
        item = one(tmp_path, {**SHOE, "additional_image_link": links[:10]}, format)
        assert isinstance(item, FeedItem) and item.additional_image_links == tuple(links[:10])
        reason = "additional_image_link: over 10 links"
        expected = ItemError(1, "SH-1", reason)
        assert one(tmp_path, {**SHOE, "additional_image_link": links}, format) == expected


@pytest.mark.parametrize("name", ["id", "title", "price", "image_link", "availability"])
def test_required_attributes(tmp_path: Path, name: str) -> None:
    attributes = {key: value for key, value in SHOE.items() if key != name}
    expected = ItemError(1, None if name == "id" else "SH-1", f"{name}: missing")
    assert one(tmp_path, attributes) == expected
    assert one(tmp_path, {**SHOE, name: "  "}, "csv") == expected


@pytest.mark.parametrize("name", ["link", "image_link", "additional_image_link"])
@pytest.mark.parametrize(
    "link",
    [
        "ftp://shop.example/a.jpg",
        "/img/a.jpg",
        "shop.example/a.jpg",
        "//shop.example/a.jpg",
        "javascript:alert(1)",
        "https://",
        "https://shop.example/a b.jpg",
        "https://shop.example/a\u00a0b.jpg",
        "https://[::1/a.jpg",
        "https://shop.example:99999/a.jpg",
    ],
)
def test_links_are_absolute_http_urls(tmp_path: Path, name: str, link: str) -> None:
    reason = f"{name}: not an absolute http(s) URL"
    assert one(tmp_path, {**SHOE, name: link}) == ItemError(1, "SH-1", reason)


def test_control_characters_refuse_the_item_but_lines_in_a_description(tmp_path: Path) -> None:
    assert one(tmp_path, {**SHOE, "title": "Sho\u0085e"}) == ItemError(
        1, "SH-1", "title: control characters"
    )
    assert one(tmp_path, {**SHOE, "brand": "Ac\x01me"}, "csv") == ItemError(
        1, "SH-1", "brand: control characters"
    )
    item = one(tmp_path, {**SHOE, "description": "One\n\tTwo", "tag": "a\x01b"}, "csv")
    assert isinstance(item, FeedItem)
    assert (item.description, item.extra) == ("One\n\tTwo", {})


@pytest.mark.parametrize(
    ("given", "availability"),
    [
        ("in stock", "in_stock"),
        ("in_stock", "in_stock"),
        ("InStock", "in_stock"),
        ("https://schema.org/InStock", "in_stock"),
        ("out of stock", "out_of_stock"),
        ("OutOfStock", "out_of_stock"),
        ("preorder", "preorder"),
        ("pre-order", "preorder"),
        ("backorder", "backorder"),
        ("Back Order", "backorder"),
    ],
)
def test_availability_is_normalised(tmp_path: Path, given: str, availability: str) -> None:
    item = one(tmp_path, {**SHOE, "availability": given})
    assert isinstance(item, FeedItem) and item.availability == availability


def test_other_availabilities_refuse_the_item(tmp_path: Path) -> None:
    reason = "availability: not one of in_stock, out_of_stock, preorder, backorder"
    assert one(tmp_path, {**SHOE, "availability": "available"}) == ItemError(1, "SH-1", reason)


@pytest.mark.parametrize(
    ("prices", "reason"),
    [
        ({"price": "59.00"}, "price: no currency"),
        ({"price": "\u0665\u0669 EUR"}, "price: digits other than 0-9"),
        ({"price": "-59 EUR"}, "price: negative"),
        ({"price": "5.9e1 EUR"}, "price: not a number"),
        ({"price": "59.5 JPY"}, "price: more than 0 decimals for JPY"),
        ({"sale_price": "49"}, "sale_price: no currency"),
        ({"sale_price": "49.00 USD"}, "sale_price: not in the currency of price"),
    ],
)
def test_bad_prices_refuse_the_item(tmp_path: Path, prices: Attributes, reason: str) -> None:
    assert one(tmp_path, {**SHOE, **prices}) == ItemError(1, "SH-1", reason)


def test_the_first_of_duplicate_ids_wins(tmp_path: Path) -> None:
    items = [SHOE, {**SHOE, "id": "SH-2"}, {**SHOE, "title": "Other"}, {**SHOE, "price": "x"}]
    for format in FORMATS:
        first, second, third, fourth = read(write(tmp_path, FORMATS[format](items)))
        assert isinstance(first, FeedItem) and first.title == "Shoe"
        assert isinstance(second, FeedItem)
        assert third == ItemError(3, "SH-1", "duplicate id")
        assert fourth == ItemError(4, "SH-1", "duplicate id")


def test_items_come_in_batches(tmp_path: Path) -> None:
    items = [{**SHOE, "id": f"SH-{n}"} for n in range(1_201)]
    path = write(tmp_path, FORMATS["csv"](items))
    batches = list(read_feed(path, max_bytes=10 * MB))
    assert [len(batch) for batch in batches] == [500, 500, 201]
    assert [len(batch) for batch in read_feed(path, max_bytes=10 * MB, batch_size=1_000)] == [
        1_000,
        201,
    ]
    with pytest.raises(ValueError):
        read_feed(path, max_bytes=10 * MB, batch_size=0)


@pytest.mark.parametrize("format", FORMATS)
def test_a_feed_without_items_yields_nothing(tmp_path: Path, format: str) -> None:
    text = FORMATS[format]([]) if format in ("rss", "atom") else "id,title,price\n\n"
    assert read(write(tmp_path, text)) == []


@pytest.mark.parametrize("content", [b"", b"  \n\r\n", gzip.compress(b""), b"\xef\xbb\xbf\n"])
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    assert refusal(write(tmp_path, content)) == "the feed is empty"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"items": []}\n', "not a product feed: its first line is no header with an id column"),
        (
            b"sku,name\n1,Shoe\n",
            "not a product feed: its first line is no header with an id column",
        ),
        (b"<html><body>Sign in</body></html>", "not a product feed: its root element is <html>"),
        (b"<!DOCTYPE html>\n<html></html>", "not a product feed: it is an HTML page"),
        (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            "not a product feed: its root element is <RDF>",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a product feed: it is binary data"),
        ("id,title\n".encode("utf-16"), "the file is not UTF-8 (line 1)"),
        (
            ("id," * 501 + "\n").encode(),
            "not a product feed: its header has over 500 columns",
        ),
    ],
)
def test_what_is_not_a_product_feed_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    assert refusal(write(tmp_path, content)) == reason


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


@pytest.mark.parametrize(
    "prolog",
    [
        BILLION_LAUGHS,
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
        '<!DOCTYPE rss SYSTEM "https://shop.example/rss.dtd">\n',
        "<!DOCTYPE rss>\n",
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "dtd"],
)
@pytest.mark.parametrize("zipped", [False, True], ids=["plain", "gzip"])
def test_dtds_and_entities_are_refused(tmp_path: Path, prolog: str, zipped: bool) -> None:
    title = "&lol9;" if "lol9" in prolog else "&xxe;"
    text = rss(rss_item(SHOE).replace("<g:title>Shoe", f"<g:title>{title}"), prolog=prolog)
    path = write(tmp_path, text, zipped=zipped)
    assert refusal(path) == "the feed declares a DTD/entities, which are refused"


def gzip_of(parts: Iterator[bytes]) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join([*(deflate.compress(part) for part in parts), deflate.flush()])


def test_a_gzip_bomb_is_refused_early_in_bounded_memory(tmp_path: Path) -> None:
    head = rss(rss_item(SHOE)).split("</channel>")[0].encode()
    path = write(tmp_path, gzip_of(iter([head, *[b" " * MB] * 50, b"</channel></rss>"])))
    assert path.stat().st_size < 100_000
    with peak_memory() as peak:
        reason = refusal(path)
    assert reason == "the feed is over 10 MB uncompressed"
    assert peak[0] < 2 * MB
    zeros = write(tmp_path, gzip_of(iter([b"\0" * MB] * 50)))
    assert refusal(zeros) == "not a product feed: it is binary data"


def test_a_feed_over_max_bytes_is_refused(tmp_path: Path) -> None:
    items = [{**SHOE, "id": f"SH-{n}"} for n in range(100)]
    for format in FORMATS:
        path = write(tmp_path, FORMATS[format](items))
        assert refusal(path, max_bytes=5_000) == "the feed is over 0.005 MB uncompressed"


@pytest.mark.parametrize("format", FORMATS)
def test_a_huge_title_refuses_its_item_only_in_bounded_memory(tmp_path: Path, format: str) -> None:
    huge = "Big shoe " * 1_200_000
    items = [SHOE, {**SHOE, "id": "SH-2", "title": huge}, {**SHOE, "id": "SH-3"}]
    path = write(tmp_path, FORMATS[format](items))
    assert path.stat().st_size > 10 * MB
    with peak_memory() as peak:
        first, second, third = read(path, max_bytes=20 * MB)
    assert peak[0] < 2 * MB
    assert isinstance(first, FeedItem) and isinstance(third, FeedItem)
    assert second == ItemError(2, "SH-2", "title: over 200 characters")


def test_broken_xml_is_refused_where_it_breaks_after_the_items_before(tmp_path: Path) -> None:
    good = "".join(rss_item({**SHOE, "id": f"SH-{n}"}) for n in range(3))
    text = rss(good + "<item><g:id>SH-9</g:title></item>\n" + rss_item(SHOE))
    line = text.splitlines().index("<item><g:id>SH-9</g:title></item>") + 1
    batches = read_feed(write(tmp_path, text), max_bytes=MB, batch_size=1)
    assert [item.id for batch in [next(batches) for _ in range(3)] for item in batch] == [
        "SH-0",
        "SH-1",
        "SH-2",
    ]
    with pytest.raises(FeedError) as raised:
        next(batches)
    assert raised.value.reason == f"the XML is broken at line {line}: mismatched tag"


def test_a_truncated_xml_feed_is_refused(tmp_path: Path) -> None:
    text = rss(rss_item(SHOE), rss_item({**SHOE, "id": "SH-2"}))
    cut = text[: text.index("SH-2")]
    assert refusal(write(tmp_path, cut)).startswith(
        f"the XML is broken at line {cut.count(chr(10)) + 1}: "
    )
    assert refusal(write(tmp_path, cut, zipped=True)).startswith("the XML is broken at line")


def test_a_truncated_or_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    data = gzip.compress(rss(*(rss_item({**SHOE, "id": f"SH-{n}"}) for n in range(50))).encode())
    assert refusal(write(tmp_path, data[:-12])) == "the gzip file is truncated"
    corrupt = data[:20] + bytes(b ^ 0xFF for b in data[20:60]) + data[60:]
    assert refusal(write(tmp_path, corrupt)) == "the gzip data is broken"


def test_a_gzip_of_several_members_is_read_whole(tmp_path: Path) -> None:
    text = FORMATS["csv"]([SHOE, {**SHOE, "id": "SH-2"}])
    middle = len(text) // 2
    path = write(
        tmp_path, gzip.compress(text[:middle].encode()) + gzip.compress(text[middle:].encode())
    )
    assert [item.id for item in read(path) if isinstance(item, FeedItem)] == ["SH-1", "SH-2"]


def test_xml_is_read_in_its_declared_encoding(tmp_path: Path) -> None:
    latin = rss(
        rss_item({**SHOE, "title": "Café crème"}),
        prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n',
    )
    [item] = read(write(tmp_path, latin.encode("latin-1")))
    assert isinstance(item, FeedItem) and item.title == "Café crème"
    utf16 = rss(
        rss_item({**SHOE, "title": "Ćma"}), prolog='<?xml version="1.0" encoding="UTF-16"?>\n'
    )
    [item] = read(write(tmp_path, utf16.encode("utf-16")))
    assert isinstance(item, FeedItem) and item.title == "Ćma"
    unknown = rss(rss_item(SHOE), prolog='<?xml version="1.0" encoding="x-no-such-thing"?>\n')
    assert refusal(write(tmp_path, unknown)) == "the XML declares an encoding that is not supported"


def test_tsv_and_csv_must_be_utf8(tmp_path: Path) -> None:
    text = FORMATS["tsv"]([SHOE, {**SHOE, "id": "SH-2", "title": "Café"}])
    assert refusal(write(tmp_path, text.encode("latin-1"))) == "the file is not UTF-8 (line 3)"
    cut = text.encode()[: text.encode().index(b"Caf") + 4]
    assert refusal(write(tmp_path, cut)) == "the file is not UTF-8 (line 3)"


def test_items_stream_in_bounded_memory(tmp_path: Path) -> None:
    description = "Soft wool, warm and light, knitted in the valley. " * 60
    path = tmp_path / "feed.xml"
    with path.open("w") as out:
        out.write(rss().split("</channel>")[0])
        out.writelines(
            f"<item><g:id>{n}</g:id><g:title>Sweater {n}</g:title><g:description>"
            f"{description}</g:description><g:image_link>https://shop.example/{n}.jpg"
            f"</g:image_link><g:price>{n}.99 EUR</g:price><g:availability>in stock"
            "</g:availability></item>\n"
            for n in range(12_000)
        )
        out.write("</channel></rss>\n")
    assert path.stat().st_size > 36 * MB
    count = 0
    with peak_memory() as peak:
        for batch in read_feed(path, max_bytes=100 * MB, batch_size=100):
            count += sum(isinstance(item, FeedItem) for item in batch)
    assert count == 12_000
    assert peak[0] < 6 * MB


CELL = st.text(alphabet=' ab,;"\t\r\n\u00e9\u00a0', max_size=12)


@settings(max_examples=60, deadline=None)
@given(notes=st.lists(CELL, min_size=1, max_size=6), chunk=st.integers(1, 9))
def test_any_cell_text_reads_back(
    tmp_path_factory: pytest.TempPathFactory, notes: list[str], chunk: int
) -> None:
    items = [{**SHOE, "id": f"SH-{n}", "note": note} for n, note in enumerate(notes)]
    path = write(tmp_path_factory.mktemp("cells"), FORMATS["csv"](items))
    with patch.object(feed, "CHUNK", chunk):
        read_back = read(path)
    expected = [{"note": note.strip()} if note.strip() else {} for note in notes]
    assert [item.extra for item in read_back if isinstance(item, FeedItem)] == expected
