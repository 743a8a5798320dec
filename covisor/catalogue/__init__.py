"""The shop's catalogue from its product feed: feed parsing, imports, products, search.

A feed (Google Merchant Center product data: RSS 2.0, Atom or TSV/CSV) is parsed as a stream
(`feed`), its prices read as feeds write them (`prices`), and imported incrementally and
crash-safely into the store's products slice (`importer`); agents search it (`search`) and show
its products in the viewer. The one-picture items agents upload stay in `media.catalogue`.
"""
