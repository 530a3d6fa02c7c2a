"""Sample data for the 清河门区 knowledge graph.

``graph_api.sample.builder`` generates ``loaders/sample/qinghemen.json`` deterministically:
the figures from the source article are reproduced exactly, everything else (names, addresses,
people, phone and ID numbers, buildings, most counts) is invented. See ``loaders/sample/README.md``.
"""
