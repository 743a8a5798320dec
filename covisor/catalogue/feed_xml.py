"""A feed's RSS 2.0 or Atom XML read into `Raw` items, through defusedxml's SAX parser.

Split from feed.py, which tells the format and validates what this yields. `xml_items(chunks)`
takes the feed's bytes in chunks (already gunzipped and counted against the size limit) and
yields the items each chunk completes, so memory holds a chunk's items and the values' capped
`Text`s, never the document. DTDs, entities and external references are refused (a DTD named
html as "an HTML page"); broken XML, or an encoding Python has no codec for, raises `FeedError`
after the items before the break were yielded. The root tells the format: `<rss><channel><item>`
or Atom's `<feed><entry>`; any other root is no product feed.

Attributes are the elements in Google's namespace `G` directly inside an item, names
case-insensitive. One with sub-elements (`<g:shipping><g:country>US</g:country>…`) is kept as
"country:US;price:4.95 USD", held up to the attribute's limit. RSS's and Atom's own title, link
(Atom: the alternate `<link href>`) and description (Atom: summary, else content) stand in for
absent `g:` ones; of each own element, its first non-blank occurrence counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.parsers import expat
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl

import defusedxml.sax
from defusedxml import DefusedXmlException, DTDForbidden

from covisor.catalogue.feed_raw import LINK_CHARS, FeedError, Raw, Text, limit

G = "http://base.google.com/ns/1.0"
ATOM = "http://www.w3.org/2005/Atom"

_FALLBACKS = {
    "title": ("title",),
    "link": ("link",),
    "description": ("description", "summary", "content"),
}
"""RSS's and Atom's own item elements that stand in for an absent attribute, first first."""
_OWN = {element: name for name, elements in _FALLBACKS.items() for element in elements}
_UNKNOWN_ENCODING = expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]


def xml_items(chunks: Iterable[bytes]) -> Iterator[Raw]:
    """The items of the XML in `chunks`, in order; `FeedError` when the feed is refused."""
    handler = _FeedHandler()
    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd = True
    parser.forbid_entities = True
    parser.forbid_external = True
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    try:
        for chunk in chunks:
            parser.feed(chunk)
            yield from handler.take()
        parser.close()
    except (SAXParseException, DefusedXmlException, LookupError) as error:
        if isinstance(error, KeyError | IndexError):
            raise
        yield from handler.take()  # the items before the break
        raise _refusal(error) from None
    yield from handler.take()


def _refusal(error: SAXParseException | DefusedXmlException | LookupError) -> FeedError:
    """The refusal for a parser's `error`; a LookupError is Python's for an unknown codec."""
    if isinstance(error, DTDForbidden) and str(error.name).lower() == "html":
        return FeedError("not a product feed: it is an HTML page")
    if isinstance(error, DefusedXmlException):
        return FeedError("the feed declares a DTD/entities, which are refused")
    if isinstance(error, LookupError):
        return FeedError("the XML declares an encoding that is not supported")
    if getattr(error.getException(), "code", None) == _UNKNOWN_ENCODING:
        return FeedError("the XML declares an encoding that is not supported")
    return FeedError(f"the XML is broken at line {error.getLineNumber()}: {error.getMessage()}")


class _FeedHandler(ContentHandler):
    """Items of an RSS 2.0 or Atom feed, collected as they end for `take` to hand over."""

    def __init__(self) -> None:
        super().__init__()
        self._done: list[Raw] = []
        self._depth = 0
        self._item_depth = 0
        self._item_name: tuple[str | None, str] = (None, "item")
        self._own_uri: str | None = None
        self._raw = Raw()
        self._in_item = False
        self._own: dict[str, str | None] = {}
        self._name = ""
        self._is_own = False
        self._text: Text | None = None
        self._group: Text | None = None
        self._sub_name = ""
        self._sub: Text | None = None

    def take(self) -> list[Raw]:
        done, self._done = self._done, []
        return done

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        self._depth += 1
        if self._in_item:
            if self._depth == self._item_depth + 1:
                self._attribute(name, attrs)
            elif self._depth == self._item_depth + 2 and self._text is not None:
                self._sub_name, self._sub = name[1].lower(), Text(self._text.cap)
        elif self._depth == self._item_depth and name == self._item_name:
            self._in_item = True
            self._raw, self._own = Raw(), {}
        elif self._depth == 1:
            self._root(name)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        depth, self._depth = self._depth, self._depth - 1
        if not self._in_item:
            return
        if depth == self._item_depth:
            self._end_item()
        elif depth == self._item_depth + 1 and self._text is not None:
            value = (self._group or self._text).value()
            if not self._is_own:
                self._raw.put(self._name, value)
            elif value != "":
                self._own.setdefault(self._name, value)
            self._text = self._group = None
        elif depth == self._item_depth + 2 and self._sub is not None:
            self._end_sub(self._sub.value())
            self._sub = None

    def characters(self, content: str) -> None:
        if self._sub is not None and self._depth == self._item_depth + 2:
            self._sub.add(content)
        elif self._text is not None and self._depth == self._item_depth + 1:
            self._text.add(content)

    def _root(self, name: tuple[str | None, str]) -> None:
        if name == (None, "rss"):
            self._item_depth, self._item_name, self._own_uri = 3, (None, "item"), None
        elif name == (ATOM, "feed"):
            self._item_depth, self._item_name, self._own_uri = 2, (ATOM, "entry"), ATOM
        else:
            raise FeedError(f"not a product feed: its root element is <{name[1]}>")

    def _attribute(self, name: tuple[str | None, str], attrs: AttributesNSImpl) -> None:
        uri, local = name
        self._is_own = uri == self._own_uri
        if uri == G:
            self._name = local.lower()
            if self._raw.wants(self._name):
                self._text = Text(limit(self._name))
        elif self._is_own and self._own_uri == ATOM and local == "link":
            if attrs.get((None, "rel"), "alternate") == "alternate":
                href = Text(LINK_CHARS)
                href.add(attrs.get((None, "href"), ""))
                if href.value() != "":
                    self._own.setdefault("link", href.value())
        elif self._is_own and local in _OWN and local not in self._own:
            self._name = local
            self._text = Text(limit(_OWN[local]))

    def _end_sub(self, value: str | None) -> None:
        if value == "" or self._text is None:
            return
        if self._group is None:
            self._group = Text(self._text.cap)
        else:
            self._group.add(";")
        if value is None:
            self._group.over = True
        else:
            self._group.add(f"{self._sub_name}:{value}")

    def _end_item(self) -> None:
        raw = self._raw
        for name, sources in _FALLBACKS.items():
            if name not in raw.fields and name not in raw.over:
                raw.put(name, next((self._own[s] for s in sources if s in self._own), ""))
        self._done.append(raw)
        self._in_item = False
